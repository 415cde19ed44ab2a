#include "edgetrace/processors/redaction.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

namespace edgetrace::processors {

// How a candidate of a pattern is checked before it is replaced.
enum class Redactor::Kind : unsigned char {
  kPlain,     // the whole match (or its secret group)
  kCard,      // 13-19 digits passing the Luhn check
  kIpv4,      // not part of a longer dotted number ("1.2.3.4.5", "v1.2.3.4" by \b)
  kIpv6,      // not glued to a word; a digit somewhere or all eight groups
  kDigitKey,  // a prefixed key: its secret must hold a digit ("sk-learn-examples" is no key)
  kBearer,    // a scheme's credential: a digit, or mixed case and at least 16 characters
};

namespace {

// What a text must contain for a built-in pattern to match in it (a necessary condition,
// never a sufficient one): one scan of the text (clues()) tells which patterns are worth
// running, so that a clean string costs one pass over its bytes and no regular expression.
enum Clue : std::uint32_t {
  kAt = 1u << 0,            // '@' (e-mail)
  kAssign = 1u << 1,        // ':' or '=' (key=value secrets)
  kScheme = 1u << 2,        // "bearer" or "basic", any case, then a space
  kJwtStart = 1u << 3,      // "eyJ"
  kKeyPrefix = 1u << 4,     // "sk", "pk" or "rk", then '-' or '_'
  kAwsPrefix = 1u << 5,     // "AKIA" or "ASIA"
  kGithubPrefix = 1u << 6,  // "gh" + one of "pousr" + '_'
  kSlackPrefix = 1u << 7,   // "xox" + one of "abposr" + '-'
  kGooglePrefix = 1u << 8,  // "AIza"
  kGitlabPrefix = 1u << 9,  // "glpat-"
  kCardDigits = 1u << 10,   // 13 digits or more
  kDottedQuad = 1u << 11,   // 4 digits or more and 3 dots or more
  kColon = 1u << 12,        // ':' (IPv6)
};

struct BuiltIn {
  std::string_view name;  // the option name (several entries may share one)
  std::string_view regex;
  int secret_group;  // 1-based group inside `regex` holding what is replaced; 0: whole match
  int kind;          // Redactor::Kind as int (the enum is private)
  // The bytes a match can start with ("a-z" ranges; a '-' last is itself): at a match of the
  // combined expression, only the patterns that can start there are tried.
  std::string_view first;
  std::uint32_t clue;  // the Clue a text needs for this pattern to match in it
};

std::array<bool, 256> first_bytes(std::string_view spec) {
  std::array<bool, 256> set{};
  for (std::size_t i = 0; i < spec.size(); ++i) {
    if (i + 2 < spec.size() && spec[i + 1] == '-') {
      for (int c = static_cast<unsigned char>(spec[i]);
           c <= static_cast<unsigned char>(spec[i + 2]); ++c)
        set[static_cast<std::size_t>(c)] = true;
      i += 2;
    } else {
      set[static_cast<unsigned char>(spec[i])] = true;
    }
  }
  return set;
}

// One octet of a dotted-quad address, 0-255 without leading zeros.
#define ET_OCTET "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
#define ET_IPV4 ET_OCTET "\\." ET_OCTET "\\." ET_OCTET "\\." ET_OCTET
#define ET_HEX "[0-9A-Fa-f]{1,4}"

// The order matters at one starting position (leftmost-first alternation): a key=value
// secret before the bare forms, cards before IPv4. Within IPv6, forms with more groups after
// "::" come first so that "fe80::1" is not cut to "fe80::".
constexpr BuiltIn kBuiltIns[] = {
    {"email",
     "[A-Za-z0-9._%+\\-]+@[A-Za-z0-9](?:[A-Za-z0-9\\-]*[A-Za-z0-9])?"
     "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9\\-]*[A-Za-z0-9])?)*\\.[A-Za-z]{2,}",
     0, 0, "A-Za-z0-9._%+-", kAt},
    // key=value / key: value / "key": "value" forms, also an Authorization header with or
    // without a scheme.
    {"api_key",
     "(?i:\\b(?:authorization|proxy-authorization|x-api-key|api[_\\-]?key|apikey|api[_\\-]?token|"
     "access[_\\-]?token|auth[_\\-]?token|refresh[_\\-]?token|id[_\\-]?token|client[_\\-]?secret|"
     "secret[_\\-]?key|secret|password|passwd|pwd|token)[\"']?\\s*[:=]\\s*[\"']?"
     "(?:(?:bearer|basic|digest|token)\\s+)?)([^\\s\"'&,;]{3,})",
     1, 0, "aApPxXrRiIcCsStT", kAssign},
    {"bearer_token", "(?i:\\b(?:bearer|basic))\\s+([A-Za-z0-9\\-._~+/]{8,}=*)", 1, 5, "bB",
     kScheme},
    // A JSON Web Token: base64url of '{"' starts every header.
    {"bearer_token", "\\beyJ[A-Za-z0-9_\\-]{8,}\\.[A-Za-z0-9_\\-]{8,}\\.[A-Za-z0-9_\\-]*", 0, 0,
     "e", kJwtStart},
    // Stripe/OpenAI-style sk-/pk-/rk- keys.
    {"api_key", "\\b(?:sk|pk|rk)[\\-_][A-Za-z0-9_\\-]{16,}", 0, 4, "spr", kKeyPrefix},
    // AWS access key ids, GitHub, Slack, Google API and GitLab tokens.
    {"api_key", "\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b", 0, 0, "A", kAwsPrefix},
    {"api_key", "\\bgh[pousr]_[A-Za-z0-9]{36,}", 0, 0, "g", kGithubPrefix},
    {"api_key", "\\bxox[abposr]-[A-Za-z0-9\\-]{10,}", 0, 0, "x", kSlackPrefix},
    {"api_key", "\\bAIza[0-9A-Za-z_\\-]{35}", 0, 0, "A", kGooglePrefix},
    {"api_key", "\\bglpat-[0-9A-Za-z_\\-]{20,}", 0, 0, "g", kGitlabPrefix},
    // Payment card numbers start with 2-6 (Mastercard, Amex/Diners, Visa, Mastercard,
    // Discover/UnionPay); digits may be grouped by single spaces or dashes.
    {"card", "\\b[2-6][0-9](?:[ \\-]?[0-9]){11,17}\\b", 0, 1, "2-6", kCardDigits},
    {"ipv4", "\\b" ET_IPV4 "\\b", 0, 2, "0-9", kDottedQuad},
    {"ipv6",
     "(?:(?:" ET_HEX ":){1,4}:" ET_IPV4 "|::(?:[Ff]{4}(?::0{1,4})?:)?" ET_IPV4 "|(?:" ET_HEX
     ":){7}" ET_HEX "|" ET_HEX ":(?::" ET_HEX "){1,6}|(?:" ET_HEX ":){1,2}(?::" ET_HEX
     "){1,5}|(?:" ET_HEX ":){1,3}(?::" ET_HEX "){1,4}|(?:" ET_HEX ":){1,4}(?::" ET_HEX
     "){1,3}|(?:" ET_HEX ":){1,5}(?::" ET_HEX "){1,2}|(?:" ET_HEX ":){1,6}:" ET_HEX "|(?:" ET_HEX
     ":){1,7}:|:(?:(?::" ET_HEX "){1,7}|:))",
     0, 3, "0-9a-fA-F:", kColon},
};

#undef ET_OCTET
#undef ET_IPV4
#undef ET_HEX

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
bool is_word(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool luhn_ok(std::string_view s) noexcept {
  int sum = 0;
  int digits = 0;
  bool twice = false;
  for (auto it = s.rbegin(); it != s.rend(); ++it) {
    if (!is_digit(*it))
      continue;
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9)
        d -= 9;
    }
    sum += d;
    twice = !twice;
    ++digits;
  }
  return digits >= 13 && digits <= 19 && sum % 10 == 0;
}

char lower_ascii(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Whether `text` ends, before `end`, with `word` in any case.
bool ends_with_word(std::string_view text, std::size_t end, std::string_view word) noexcept {
  if (end < word.size())
    return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (lower_ascii(text[end - word.size() + i]) != word[i])
      return false;
  }
  return true;
}

bool preceded_by(std::string_view text, std::size_t end, std::string_view literal) noexcept {
  return end >= literal.size() && text.substr(end - literal.size(), literal.size()) == literal;
}

// The Clues found in `text`, in one pass over its bytes.
std::uint32_t clues(std::string_view text) noexcept {
  std::uint32_t found = 0;
  std::size_t digits = 0;
  std::size_t dots = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      ++digits;
      continue;
    }
    if (c >= 'a' && c <= 'z')
      continue;  // the common case: every clue is found at another byte
    switch (c) {
      case '@':
        found |= kAt;
        break;
      case '=':
        found |= kAssign;
        break;
      case ':':
        found |= kAssign | kColon;
        break;
      case '.':
        ++dots;
        break;
      case ' ':
      case '\t':
      case '\n':
      case '\v':
      case '\f':
      case '\r':
        if (ends_with_word(text, i, "bearer") || ends_with_word(text, i, "basic"))
          found |= kScheme;
        break;
      case 'J':
        if (preceded_by(text, i, "ey"))
          found |= kJwtStart;
        break;
      case 'A': {
        const std::string_view four = text.substr(i, 4);
        if (four == "AKIA" || four == "ASIA")
          found |= kAwsPrefix;
        else if (four == "AIza")
          found |= kGooglePrefix;
        break;
      }
      case '_':
      case '-':
        if (i >= 2 && text[i - 1] == 'k' &&
            (text[i - 2] == 's' || text[i - 2] == 'p' || text[i - 2] == 'r'))
          found |= kKeyPrefix;
        if (c == '_' && i >= 3 && preceded_by(text, i - 1, "gh") &&
            std::string_view("pousr").find(text[i - 1]) != std::string_view::npos)
          found |= kGithubPrefix;
        if (c == '-' && i >= 4 && preceded_by(text, i - 1, "xox") &&
            std::string_view("abposr").find(text[i - 1]) != std::string_view::npos)
          found |= kSlackPrefix;
        if (c == '-' && preceded_by(text, i, "glpat"))
          found |= kGitlabPrefix;
        break;
      default:
        break;
    }
  }
  if (digits >= 13)
    found |= kCardDigits;
  if (digits >= 4 && dots >= 3)
    found |= kDottedQuad;
  return found;
}

re2::RE2::Options regex_options() {
  re2::RE2::Options o;
  // Errors are returned to the caller, never logged. The default memory budget (8 MiB) is
  // kept: a 64 MiB one measured no faster (processors_bench, BM_RedactLongString).
  o.set_log_errors(false);
  return o;
}

bool is_separator(char c) noexcept {
  return c == '/' || c == '\\';
}

// Characters after which an absolute path may start.
bool path_may_follow(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == '"' || c == '\'' ||
         c == '=' || c == '[' || c == ',' || c == '<';
}
// Characters that end a path inside a stack trace.
bool ends_path(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '\'' || c == '(' ||
         c == ')' || c == ',' || c == ':' || c == '>' || c == ']';
}

}  // namespace

Redactor::~Redactor() = default;

core::Result<std::unique_ptr<Redactor>> Redactor::create(const RedactionOptions& options) {
  for (const std::string& name : options.only_default_patterns) {
    if (std::find(std::begin(kDefaultPatternNames), std::end(kDefaultPatternNames), name) ==
        std::end(kDefaultPatternNames)) {
      return core::invalid_argument("unknown default redaction pattern '" + name +
                                    "' (known: email, bearer_token, api_key, card, ipv4, ipv6)");
    }
  }
  std::unique_ptr<Redactor> r(new Redactor());
  r->options_ = options;
  std::string combined;
  const re2::RE2::Options ro = regex_options();
  auto add = [&](std::string_view regex, Kind kind, int secret_group,
                 const std::array<bool, 256>& first, std::uint32_t clue) -> core::Status {
    auto alone = std::make_unique<re2::RE2>(re2::StringPiece(regex.data(), regex.size()), ro);
    if (!alone->ok()) {
      return core::invalid_argument("redaction pattern '" + std::string(regex) +
                                    "': " + alone->error());
    }
    if (!combined.empty())
      combined += '|';
    // Non-capturing: the combined expression is only asked for a match's bounds.
    combined += "(?:";
    combined.append(regex);
    combined += ')';
    r->max_groups_ = std::max(r->max_groups_, alone->NumberOfCapturingGroups());
    r->patterns_.push_back({std::move(alone), kind, secret_group, first, clue});
    r->clues_ = clue == 0 ? kEveryClue : r->clues_ | clue;
    return {};
  };
  if (options.default_patterns) {
    for (const BuiltIn& b : kBuiltIns) {
      if (!options.only_default_patterns.empty() &&
          std::find(options.only_default_patterns.begin(), options.only_default_patterns.end(),
                    b.name) == options.only_default_patterns.end()) {
        continue;
      }
      if (core::Status s =
              add(b.regex, static_cast<Kind>(b.kind), b.secret_group, first_bytes(b.first), b.clue);
          !s.ok())
        return core::internal_error(s.message());
    }
  }
  for (const std::string& p : options.patterns) {
    std::array<bool, 256> any;
    any.fill(true);
    if (core::Status s = add(p, Kind::kPlain, 0, any, 0); !s.ok())
      return s;
  }
  if (!r->patterns_.empty()) {
    r->combined_ = std::make_unique<re2::RE2>(combined, ro);
    if (!r->combined_->ok())
      return core::invalid_argument("redaction patterns: " + r->combined_->error());
    // Only the built-in patterns have a known shortest match ("::" is the shortest IPv6).
    r->min_length_ = options.patterns.empty() ? 2 : 0;
  }
  return r;
}

std::uint32_t Redactor::possible(std::string_view text) const noexcept {
  // A user's pattern has no known clue: everything is possible then.
  return clues_ == kEveryClue ? kEveryClue : clues(text) & clues_;
}

bool Redactor::matches(std::string_view text) const {
  if (!combined_ || text.size() < min_length_ || possible(text) == 0)
    return false;
  return re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *combined_);
}

bool Redactor::accept(Kind kind, std::string_view text, std::size_t begin, std::size_t end) const {
  const std::string_view m = text.substr(begin, end - begin);
  switch (kind) {
    case Kind::kPlain:
      return end > begin;
    case Kind::kCard:
      return luhn_ok(m);
    case Kind::kIpv4: {
      if (begin > 0 && (text[begin - 1] == '.' || is_word(text[begin - 1])))
        return false;
      if (end + 1 < text.size() && text[end] == '.' && is_digit(text[end + 1]))
        return false;
      return true;
    }
    case Kind::kIpv6: {
      if (begin > 0 &&
          (is_word(text[begin - 1]) || text[begin - 1] == ':' || text[begin - 1] == '.'))
        return false;
      if (end < text.size() && (is_word(text[end]) || text[end] == ':'))
        return false;
      const bool has_digit = std::any_of(m.begin(), m.end(), is_digit);
      return has_digit || std::count(m.begin(), m.end(), ':') == 7;
    }
    case Kind::kDigitKey:
      return std::any_of(m.begin(), m.end(), is_digit);
    case Kind::kBearer: {
      if (std::any_of(m.begin(), m.end(), is_digit))
        return true;
      const bool upper =
          std::any_of(m.begin(), m.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
      const bool lower =
          std::any_of(m.begin(), m.end(), [](char c) { return c >= 'a' && c <= 'z'; });
      return upper && lower && m.size() >= 16;
    }
  }
  return false;
}

bool Redactor::redact(std::string& text) const {
  if (!combined_ || text.size() < min_length_)
    return false;
  std::uint32_t possible_here = possible(text);
  if (possible_here == 0)
    return false;
  std::size_t last_at = text.rfind('@');
  thread_local std::vector<re2::StringPiece> groups;
  thread_local std::string out;
  groups.resize(static_cast<std::size_t>(max_groups_) + 1);
  const re2::StringPiece input(text.data(), text.size());
  std::size_t pos = 0;
  std::size_t copied = 0;
  bool changed = false;
  re2::StringPiece whole;
  while (pos < text.size() &&
         combined_->Match(input, pos, text.size(), re2::RE2::UNANCHORED, &whole, 1)) {
    const std::size_t match_begin = static_cast<std::size_t>(whole.data() - text.data());
    const std::size_t match_end = match_begin + whole.size();
    const auto first = static_cast<unsigned char>(text[match_begin]);
    // The patterns that can match here: they start with this byte, and the text after it
    // holds their clue (an e-mail address needs an '@' at or after its start).
    if (last_at != std::string::npos && last_at < match_begin) {
      possible_here &= ~static_cast<std::uint32_t>(kAt);
      last_at = std::string::npos;
    }
    const auto candidate = [&](const Pattern& p) {
      return p.first[first] && (p.clue == 0 || (p.clue & possible_here) != 0);
    };
    const std::size_t candidates =
        static_cast<std::size_t>(std::count_if(patterns_.begin(), patterns_.end(), candidate));
    for (const Pattern& p : patterns_) {
      if (!candidate(p))
        continue;
      std::size_t begin = match_begin;
      std::size_t end = match_end;
      if (candidates == 1 && p.secret_group == 0) {
        // Only this pattern can match here, so the combined expression's match is its
        // (leftmost-first at the same start): no second search for its bounds.
      } else {
        const int n = p.re->NumberOfCapturingGroups() + 1;
        if (!p.re->Match(input, match_begin, text.size(), re2::RE2::ANCHOR_START, groups.data(), n))
          continue;
        end = match_begin + groups[0].size();
      }
      if (p.secret_group > 0 && groups[static_cast<std::size_t>(p.secret_group)].data()) {
        const re2::StringPiece& secret = groups[static_cast<std::size_t>(p.secret_group)];
        begin = static_cast<std::size_t>(secret.data() - text.data());
        end = begin + secret.size();
      }
      if (accept(p.kind, text, begin, end)) {
        if (!changed)
          out.clear();
        out.append(text, copied, begin - copied);
        out += options_.replacement;
        copied = end;
        changed = true;
      }
      break;
    }
    // An empty match is never replaced; step over one byte so the scan moves on.
    pos = match_end > match_begin ? match_end : match_begin + 1;
  }
  if (!changed)
    return false;
  out.append(text, copied, std::string::npos);
  text.assign(out);
  return true;
}

bool Redactor::trim_paths(std::string& text) const {
  thread_local std::string out;
  out.clear();
  bool changed = false;
  std::size_t copied = 0;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    const bool boundary = i == 0 || path_may_follow(text[i - 1]);
    std::size_t start = std::string::npos;
    if (boundary && text[i] == '/') {
      start = i;
    } else if (boundary && i + 2 < n &&
               ((text[i] >= 'A' && text[i] <= 'Z') || (text[i] >= 'a' && text[i] <= 'z')) &&
               text[i + 1] == ':' && is_separator(text[i + 2])) {
      start = i;  // a Windows drive path, C:\...
    }
    if (start == std::string::npos) {
      ++i;
      continue;
    }
    std::size_t end = start + (text[start] == '/' ? 0 : 2);
    while (end < n && !ends_path(text[end]))
      ++end;
    const std::string_view path(text.data() + start, end - start);
    const std::size_t separators =
        static_cast<std::size_t>(std::count_if(path.begin(), path.end(), is_separator));
    if (separators < 2) {
      i = end > i ? end : i + 1;
      continue;
    }
    std::string_view trimmed;
    for (const std::string& root_text : options_.stack_path_roots) {
      std::string_view root = root_text;
      while (root.size() > 1 && is_separator(root.back()))
        root.remove_suffix(1);
      if (!root.empty() && path.size() > root.size() + 1 && path.substr(0, root.size()) == root &&
          is_separator(path[root.size()])) {
        trimmed = path.substr(root.size() + 1);
        break;
      }
    }
    if (trimmed.empty()) {
      const std::size_t last = path.find_last_of("/\\");
      trimmed = path.substr(last + 1);
    }
    if (!trimmed.empty() && trimmed.size() != path.size()) {
      out.append(text, copied, start - copied);
      out.append(trimmed);
      copied = end;
      changed = true;
    }
    i = end;
  }
  if (!changed)
    return false;
  out.append(text, copied, std::string::npos);
  text.assign(out);
  return true;
}

}  // namespace edgetrace::processors
