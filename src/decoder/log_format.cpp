// defmt-print's log format strings (see log_format.hpp). The parser follows the combinators
// of defmt-decoder's decoder/src/log/format/parser.rs one for one, including how they
// backtrack: a parser that does not match ("error") lets the caller try the next
// alternative, one that matched but is wrong ("failure") ends the whole parse. Rendering
// follows InternalFormatter::format and build_formatted_string in format/mod.rs.

#include "edgetrace/decoder/log_format.hpp"

#include <algorithm>
#include <charconv>

#include "edgetrace/core/severity.hpp"
#include "edgetrace/core/utf8.hpp"

namespace edgetrace::decoder {

namespace {

using Align = LogSegment::Align;
using Color = LogSegment::Color;
using Field = LogSegment::Field;

enum class Outcome : std::uint8_t { kOk, kError, kFailure };

// What one parameter or specifier parsed into (parser.rs IntermediateOutput).
struct Item {
  enum class Kind : std::uint8_t { kMetadata, kWidth, kColor, kStyle, kNested };
  Kind kind = Kind::kMetadata;
  LogSegment segment;  // kMetadata: field (and file_components); kNested: the segment
  std::size_t width = 0;
  bool zero_fill = false;
  std::optional<Align> align;
  Color color = Color::kNone;
  std::uint8_t style = 0;
  std::string_view text;  // as written, for messages
};

// Rust's char::is_alphabetic, which parser.rs uses to delimit words: ASCII letters, and
// outside ASCII everything but the common punctuation, symbol and emoji blocks (an
// approximation of Unicode's Alphabetic property; it only decides where a word that is
// not a specifier anyway ends).
bool is_alphabetic(char32_t c) {
  if (c < 0x80) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
  if (c < 0xC0) {
    return c == 0xAA || c == 0xB5 || c == 0xBA;
  }
  if (c == 0xD7 || c == 0xF7) {
    return false;
  }
  if ((c >= 0x2000 && c <= 0x2BFF) || (c >= 0x3000 && c <= 0x303F) ||
      (c >= 0xE000 && c <= 0xF8FF) || (c >= 0xFE00 && c <= 0xFE0F) ||
      (c >= 0xFF00 && c <= 0xFF20) || (c >= 0x1F000 && c <= 0x1FAFF)) {
    return false;
  }
  return true;
}

// nom's take_while(char::is_alphabetic): the length in bytes of the leading word.
std::size_t alphabetic_run(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const core::Utf8CodePoint cp = core::decode_utf8(s, i);
    if (!cp.valid || !is_alphabetic(cp.code_point)) {
      break;
    }
    i += cp.length;
  }
  return i;
}

std::size_t count_chars(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++n;
    }
  }
  return n;
}

bool is_specifier(const LogSegment& s) {
  return s.field != Field::kLiteral && s.field != Field::kGroup;
}

class Parser {
 public:
  std::string failure;  // why the parse failed, once it has

  // parser.rs parse_argument::<NEST>: `{`, everything up to the matching `}`, `}`; the
  // inside is parsed as a segment and anything it leaves is ignored (nom's and_then).
  Outcome argument(bool nest, std::string_view& in, LogSegment& out) {
    if (in.empty() || in.front() != '{') {
      return Outcome::kError;
    }
    std::string_view inner;
    if (!take_until_unbalanced(in.substr(1), inner)) {
      return Outcome::kError;
    }
    const std::string_view after = in.substr(1 + inner.size());
    if (after.empty() || after.front() != '}') {
      return Outcome::kError;
    }
    const std::string_view saved = argument_;
    argument_ = inner;
    std::string_view rest = inner;
    const Outcome o = nest ? nested_log_segment_list(rest, out) : log_segment(rest, out);
    argument_ = saved;
    if (o != Outcome::kOk) {
      return o;
    }
    in.remove_prefix(inner.size() + 2);
    return Outcome::kOk;
  }

  // parser.rs parse_string_segment: text up to the next `{` or `%` (at least one byte).
  static Outcome string_segment(std::string_view& in, LogSegment& out) {
    const std::size_t n = std::min(in.find_first_of("{%"), in.size());
    if (n == 0) {
      return Outcome::kError;
    }
    out = LogSegment{};
    out.field = Field::kLiteral;
    out.literal = std::string(in.substr(0, n));
    in.remove_prefix(n);
    return Outcome::kOk;
  }

 private:
  Outcome fail(const std::string& what) {
    if (failure.empty()) {
      failure = what + " in `{" + std::string(argument_) + "}`";
    }
    return Outcome::kFailure;
  }

  // parser.rs take_until_unbalanced('{', '}'): up to the `}` that closes the argument; a
  // backslash skips the character after it. Without such a `}` the text must be balanced.
  static bool take_until_unbalanced(std::string_view in, std::string_view& inner) {
    int depth = 0;
    std::size_t i = 0;
    while (i < in.size()) {
      const char c = in[i];
      if (c == '\\') {
        if (i + 1 >= in.size()) {
          return false;  // defmt-print panics here (slices past the end)
        }
        i += 1 + core::decode_utf8(in, i + 1).length;
        continue;
      }
      if (c == '{') {
        ++depth;
      } else if (c == '}' && --depth == -1) {
        inner = in.substr(0, i);
        return true;
      }
      ++i;
    }
    if (depth != 0) {
      return false;
    }
    inner = in;
    return true;
  }

  // parser.rs parse_metadata.
  static Outcome metadata(std::string_view& in, Item& item) {
    const std::size_t n = alphabetic_run(in);
    const std::string_view word = in.substr(0, n);
    LogSegment& s = item.segment;
    s = LogSegment{};
    if (word == "c") {
      s.field = Field::kCrateName;
    } else if (word == "F") {
      s.field = Field::kFilePath;
    } else if (word == "l") {
      s.field = Field::kLine;
    } else if (word == "s") {
      s.field = Field::kMessage;
    } else if (word == "L") {
      s.field = Field::kLevel;
    } else if (word == "m") {
      s.field = Field::kModulePath;
    } else if (word == "t") {
      s.field = Field::kTimestamp;
    } else if (!word.empty() && word.find_first_not_of('f') == std::string_view::npos) {
      s.field = Field::kFileName;
      s.file_components = static_cast<std::uint8_t>(word.size());  // `as u8` in defmt
    } else {
      return Outcome::kError;
    }
    item.kind = Item::Kind::kMetadata;
    item.text = word;
    in.remove_prefix(n);
    return Outcome::kOk;
  }

  // parser.rs parse_color: `severity`, `werror`, or a name colored::Color::from_str
  // accepts (lower-cased first; names with spaces cannot be reached by a word).
  static Outcome color(std::string_view& in, Item& item) {
    const std::size_t n = alphabetic_run(in);
    const std::string_view word = in.substr(0, n);
    Color c = Color::kNone;
    if (word == "severity") {
      c = Color::kSeverity;
    } else if (word == "werror") {
      c = Color::kWarnError;
    } else {
      std::string lower(word);
      for (char& ch : lower) {
        if (ch >= 'A' && ch <= 'Z') {
          ch = static_cast<char>(ch - 'A' + 'a');
        }
      }
      struct Name {
        std::string_view name;
        Color color;
      };
      static constexpr Name kNames[] = {
          {"black", Color::kBlack},    {"red", Color::kRed},   {"green", Color::kGreen},
          {"yellow", Color::kYellow},  {"blue", Color::kBlue}, {"magenta", Color::kMagenta},
          {"purple", Color::kMagenta}, {"cyan", Color::kCyan}, {"white", Color::kWhite},
      };
      for (const Name& name : kNames) {
        if (name.name == lower) {
          c = name.color;
        }
      }
      if (c == Color::kNone) {
        return Outcome::kError;
      }
    }
    item.kind = Item::Kind::kColor;
    item.color = c;
    item.text = word;
    in.remove_prefix(n);
    return Outcome::kOk;
  }

  // parser.rs parse_style.
  static Outcome style(std::string_view& in, Item& item) {
    const std::size_t n = alphabetic_run(in);
    const std::string_view word = in.substr(0, n);
    std::uint8_t bit = 0;
    if (word == "bold") {
      bit = LogSegment::kBold;
    } else if (word == "italic") {
      bit = LogSegment::kItalic;
    } else if (word == "underline") {
      bit = LogSegment::kUnderline;
    } else if (word == "strike") {
      bit = LogSegment::kStrike;
    } else if (word == "dimmed") {
      bit = LogSegment::kDimmed;
    } else {
      return Outcome::kError;
    }
    item.kind = Item::Kind::kStyle;
    item.style = bit;
    item.text = word;
    in.remove_prefix(n);
    return Outcome::kOk;
  }

  // parser.rs parse_width_and_alignment: [<^>] then ASCII digits; a leading 0 pads with 0.
  Outcome width(std::string_view& in, Item& item) {
    std::string_view s = in;
    std::optional<Align> align;
    if (!s.empty() && (s.front() == '<' || s.front() == '^' || s.front() == '>')) {
      align = s.front() == '<' ? Align::kLeft : s.front() == '^' ? Align::kCenter : Align::kRight;
      s.remove_prefix(1);
    }
    std::size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') {
      ++digits;
    }
    if (digits == 0) {
      return Outcome::kError;
    }
    std::size_t w = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + digits, w);
    if (ec != std::errc() || p != s.data() + digits) {
      return Outcome::kError;  // over usize: defmt's parse::<usize>() fails too
    }
    if (w > LogFormat::kMaxWidth) {
      return fail("width " + std::to_string(w) + " is over the limit of " +
                  std::to_string(LogFormat::kMaxWidth));
    }
    item.kind = Item::Kind::kWidth;
    item.width = w;
    item.zero_fill = s.front() == '0';
    item.align = align;
    item.text = in.substr(0, static_cast<std::size_t>(p - in.data()));
    in.remove_prefix(item.text.size());
    return Outcome::kOk;
  }

  // parser.rs parse_format::<FAIL_ON_ERR>: a colour, a style or a width.
  Outcome format(std::string_view& in, Item& item, bool fail_on_error) {
    Outcome o = color(in, item);
    if (o == Outcome::kError) {
      o = style(in, item);
    }
    if (o == Outcome::kError) {
      o = width(in, item);
    }
    if (o == Outcome::kError && fail_on_error) {
      const std::size_t end = std::min(in.find_first_of("%{}"), in.size());
      return fail("`%" + std::string(in.substr(0, end)) + "` is not a colour, a style or a width");
    }
    return o;
  }

  // nom's separated_list1(sep, element): one element, then more after each separator;
  // an element that does not match after a separator ends the list before that separator.
  template <typename Element>
  static Outcome separated_list(std::string_view& in, char sep, std::vector<Item>& items,
                                Element element) {
    Item first;
    std::string_view s = in;
    Outcome o = element(s, first);
    if (o != Outcome::kOk) {
      return o;
    }
    items.push_back(std::move(first));
    for (;;) {
      if (s.empty() || s.front() != sep) {
        break;
      }
      std::string_view after = s.substr(1);
      Item next;
      o = element(after, next);
      if (o == Outcome::kError) {
        break;
      }
      if (o == Outcome::kFailure) {
        return o;
      }
      items.push_back(std::move(next));
      s = after;
    }
    in = s;
    return Outcome::kOk;
  }

  // alt() over the given parsers: the first that does not answer "error".
  template <typename... Parsers>
  static Outcome first_of(std::string_view& in, Item& item, Parsers... parsers) {
    Outcome o = Outcome::kError;
    auto attempt = [&](auto& parser) {
      if (o == Outcome::kError) {
        o = try_one(in, item, parser);
      }
    };
    (attempt(parsers), ...);
    return o;
  }
  template <typename P>
  static Outcome try_one(std::string_view& in, Item& item, P parser) {
    std::string_view s = in;
    const Outcome o = parser(s, item);
    if (o == Outcome::kOk) {
      in = s;
    }
    return o;
  }

  // parser.rs parse_log_segment::<false>: `:`-separated specifier and parameters, or one
  // group.
  Outcome log_segment(std::string_view& in, LogSegment& out) {
    std::vector<Item> items;
    const Outcome o = separated_list(in, ':', items, [this](std::string_view& s, Item& item) {
      return first_of(
          s, item, [](std::string_view& t, Item& i) { return metadata(t, i); },
          [this](std::string_view& t, Item& i) { return format(t, i, false); },
          [this](std::string_view& t, Item& i) { return nested(true, t, i); });
    });
    if (o != Outcome::kOk) {
      return o;
    }
    return build(false, items, out);
  }

  // parser.rs parse_log_segment::<true>: the inside of an argument within a group:
  // `%`-separated segments and parameters.
  Outcome nested_log_segment_list(std::string_view& in, LogSegment& out) {
    std::vector<Item> items;
    const Outcome o = separated_list(in, '%', items, [this](std::string_view& s, Item& item) {
      return first_of(
          s, item, [this](std::string_view& t, Item& i) { return nested_log_segment(t, i); },
          [this](std::string_view& t, Item& i) { return format(t, i, false); },
          [this](std::string_view& t, Item& i) { return nested(false, t, i); });
    });
    if (o != Outcome::kOk) {
      return o;
    }
    return build(false, items, out);
  }

  // The `parse_nested_log_segment` of parse_log_segment::<true>: a specifier with its
  // `:` parameters; one that does not build is "error" (nom's map_res), not failure.
  Outcome nested_log_segment(std::string_view& in, Item& item) {
    std::vector<Item> items;
    std::string_view s = in;
    const Outcome o = separated_list(s, ':', items, [this](std::string_view& t, Item& i) {
      return first_of(
          t, i, [](std::string_view& u, Item& j) { return metadata(u, j); },
          [this](std::string_view& u, Item& j) { return format(u, j, false); });
    });
    if (o != Outcome::kOk) {
      return o;
    }
    LogSegment seg;
    const std::string saved = failure;
    if (build(false, items, seg) != Outcome::kOk) {
      failure = saved;
      return Outcome::kError;
    }
    item.kind = Item::Kind::kNested;
    item.segment = std::move(seg);
    in = s;
    return Outcome::kOk;
  }

  // parser.rs parse_nested::<NEST>: arguments, text and `%` parameters, as many as there
  // are; together they are one group.
  Outcome nested(bool nest, std::string_view& in, Item& item) {
    std::vector<Item> items;
    std::string_view s = in;
    for (;;) {
      Item next;
      std::string_view t = s;
      Outcome o = argument(nest, t, next.segment);
      if (o == Outcome::kError) {
        t = s;
        o = string_segment(t, next.segment);
      }
      if (o == Outcome::kOk) {
        next.kind = Item::Kind::kNested;
      } else if (o == Outcome::kError && !s.empty() && s.front() == '%') {
        t = s.substr(1);
        o = format(t, next, true);
      }
      if (o == Outcome::kError) {
        break;
      }
      if (o == Outcome::kFailure) {
        return o;
      }
      items.push_back(std::move(next));
      s = t;
    }
    LogSegment seg;
    if (build(true, items, seg) != Outcome::kOk) {
      return Outcome::kFailure;
    }
    item.kind = Item::Kind::kNested;
    item.segment = std::move(seg);
    in = s;
    return Outcome::kOk;
  }

  // parser.rs build_log_segment::<NEST>.
  Outcome build(bool nest, std::vector<Item>& items, LogSegment& out) {
    std::optional<LogSegment> metadata;
    std::optional<Color> color;
    std::uint8_t styles = 0;
    std::optional<Item> width;
    std::vector<LogSegment> nested;
    bool has_nested = false;
    for (Item& item : items) {
      switch (item.kind) {
        case Item::Kind::kMetadata:
          if (metadata) {
            return fail("a second specifier `" + std::string(item.text) + "`");
          }
          metadata = std::move(item.segment);
          break;
        case Item::Kind::kColor:
          if (color) {
            return fail("a second colour `" + std::string(item.text) + "`");
          }
          color = item.color;
          break;
        case Item::Kind::kStyle:
          if ((styles & item.style) != 0) {
            return fail("the style `" + std::string(item.text) + "` is given twice");
          }
          styles |= item.style;
          break;
        case Item::Kind::kWidth:
          if (width) {
            return fail("a second width `" + std::string(item.text) + "`");
          }
          width = item;
          break;
        case Item::Kind::kNested:
          nested.push_back(std::move(item.segment));
          has_nested = true;
          break;
      }
    }
    if (nest) {
      if (!has_nested) {
        return fail("an empty group or an unknown specifier");
      }
      bool any = false;
      for (const LogSegment& s : nested) {
        any = any || is_specifier(s);
      }
      if (!any) {
        return fail("no specifier ({s}, {L}, {t}, {f}, {F}, {l}, {m}, {c}) where one is expected");
      }
      metadata = LogSegment{};
      metadata->field = Field::kGroup;
      metadata->children = std::move(nested);
    } else {
      if (metadata && has_nested) {
        return fail("a specifier and a group together");
      }
      if (has_nested) {
        if (nested.size() != 1) {
          return fail("more than one group");
        }
        out = std::move(nested.front());  // this level's parameters are dropped, as in defmt
        return Outcome::kOk;
      }
    }
    if (!metadata) {
      return fail("no specifier");
    }
    out = std::move(*metadata);
    out.color = color.value_or(Color::kNone);
    out.styles = styles;
    if (width) {
      out.width = width->width;
      out.zero_fill = width->zero_fill;
      out.align = width->align.value_or(Align::kLeft);
    }
    return Outcome::kOk;
  }

  std::string_view argument_;  // the argument being parsed, for messages
};

bool contains(const std::vector<LogSegment>& segments, Field field) {
  for (const LogSegment& s : segments) {
    if (s.field == field || (s.field == Field::kGroup && contains(s.children, field))) {
      return true;
    }
  }
  return false;
}

// format/mod.rs build_formatted_string: Rust's `{:<w$}` family, counting characters.
void append_padded(std::string_view text, const LogSegment& seg, std::size_t default_width,
                   std::string& out) {
  const std::size_t width = seg.width.value_or(default_width);
  const std::size_t n = count_chars(text);
  if (n >= width) {
    out += text;
    return;
  }
  const std::size_t pad = width - n;
  const char fill = seg.zero_fill ? '0' : ' ';
  std::size_t before = 0;
  if (seg.align == Align::kRight) {
    before = pad;
  } else if (seg.align == Align::kCenter) {
    before = pad / 2;
  }
  out.append(before, fill);
  out += text;
  out.append(pad - before, fill);
}

// format/mod.rs build_file_name: the last `n` components of the path as
// std::path::Path::iter gives them (a leading "/" is a component of its own, so a whole
// absolute path comes out as "//a/b.rs"), each followed by '/', the last '/' removed.
std::string file_name(std::string_view path, std::size_t n) {
  std::vector<std::string_view> parts;
  if (path.starts_with('/')) {
    parts.push_back("/");
  }
  std::size_t i = 0;
  bool first = true;
  while (i <= path.size()) {
    const std::size_t slash = std::min(path.find('/', i), path.size());
    const std::string_view part = path.substr(i, slash - i);
    if (!part.empty() && (part != "." || (first && !path.starts_with('/')))) {
      parts.push_back(part);
    }
    if (!part.empty()) {
      first = false;
    }
    i = slash + 1;
  }
  const std::size_t take = std::min(n, parts.size());
  std::string out;
  for (std::size_t k = parts.size() - take; k < parts.size(); ++k) {
    out += parts[k];
    out.push_back('/');
  }
  if (!out.empty()) {
    out.pop_back();
  }
  return out;
}

void append_segment(const LogSegment& seg, const Record& r, std::string& out) {
  switch (seg.field) {
    case Field::kLiteral:
      out += seg.literal;
      return;
    case Field::kTimestamp:
      append_padded(r.timestamp_text.empty() ? std::string_view("<time>") : r.timestamp_text, seg,
                    0, out);
      return;
    case Field::kLevel:
      append_padded(r.level ? core::severity_text(*r.level) : std::string_view("<lvl>"), seg, 5,
                    out);
      return;
    case Field::kMessage:
      append_padded(r.message, seg, 0, out);
      return;
    case Field::kFileName:
      append_padded(r.location.file.empty() ? std::string("<file>")
                                            : file_name(r.location.file, seg.file_components),
                    seg, 0, out);
      return;
    case Field::kFilePath:
      append_padded(r.location.file.empty() ? std::string_view("<file>") : r.location.file, seg, 0,
                    out);
      return;
    case Field::kLine:
      append_padded(std::to_string(r.location.line), seg, 4, out);
      return;
    case Field::kModulePath:
      append_padded(r.location.module.empty() ? std::string_view("<mod path>") : r.location.module,
                    seg, 0, out);
      return;
    case Field::kCrateName: {
      const std::string_view m = r.location.module;
      const std::size_t sep = m.find("::");
      append_padded(m.empty() || sep == std::string_view::npos ? std::string_view("<crate>")
                                                               : m.substr(0, sep),
                    seg, 0, out);
      return;
    }
    case Field::kGroup: {
      std::string inner;
      for (const LogSegment& child : seg.children) {
        append_segment(child, r, inner);
      }
      append_padded(inner, seg, 0, out);
      return;
    }
  }
}

}  // namespace

core::Result<LogFormat> LogFormat::parse(std::string_view text) {
  LogFormat format;
  format.text_ = std::string(text);
  Parser parser;
  std::string_view in = text;
  for (;;) {
    LogSegment seg;
    std::string_view t = in;
    Outcome o = parser.argument(false, t, seg);
    if (o == Outcome::kError) {
      t = in;
      o = Parser::string_segment(t, seg);
    }
    if (o == Outcome::kFailure) {
      return core::invalid_argument("log format `" + std::string(text) + "`: " + parser.failure);
    }
    if (o == Outcome::kError) {
      break;  // defmt-print ignores the rest too
    }
    format.segments_.push_back(std::move(seg));
    in = t;
  }
  if (!contains(format.segments_, Field::kMessage)) {
    return core::invalid_argument("log format `" + std::string(text) +
                                  "` must contain a `{s}` format specifier");
  }
  return format;
}

const LogFormat& LogFormat::defmt_default(bool has_timestamp, bool with_location) {
  static const LogFormat kPlain = *LogFormat::parse("{L} {s}");
  static const LogFormat kTimestamp = *LogFormat::parse("{t} {L} {s}");
  static const LogFormat kLocation = *LogFormat::parse("{L} {s}\n└─ {m} @ {F}:{l}");
  static const LogFormat kBoth = *LogFormat::parse("{t} {L} {s}\n└─ {m} @ {F}:{l}");
  if (with_location) {
    return has_timestamp ? kBoth : kLocation;
  }
  return has_timestamp ? kTimestamp : kPlain;
}

bool LogFormat::has_timestamp() const noexcept {
  return contains(segments_, Field::kTimestamp);
}

std::string LogFormat::render(const Record& record) const {
  std::string out;
  append(record, out);
  return out;
}

void LogFormat::append(const Record& record, std::string& out) const {
  if (!record.level) {
    out += record.message;  // println!: the message alone, unformatted
    return;
  }
  for (const LogSegment& seg : segments_) {
    append_segment(seg, record, out);
  }
}

}  // namespace edgetrace::decoder
