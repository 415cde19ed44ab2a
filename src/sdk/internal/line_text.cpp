#include "internal/line_text.hpp"

#include <pthread.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <variant>

#include "edgetrace/core/utf8.hpp"

namespace edgetrace::sdk::internal {
namespace {

constexpr char kHex[] = "0123456789abcdef";
// 1 for bytes the fast loop must stop at in any mode.
constexpr std::array<std::uint8_t, 256> make_special() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c)
    t[static_cast<std::size_t>(c)] = (c < 0x20 || c == '"' || c == '\\' || c >= 0x7f) ? 1 : 0;
  return t;
}
constexpr std::array<std::uint8_t, 256> kSpecial = make_special();

void append_text_code_point_escape(std::string& out, unsigned code) {
  // Rust's char::escape_debug form: \u{1b}
  out += "\\u{";
  if (code >= 0x10)
    out += kHex[(code >> 4) & 0xF];
  out += kHex[code & 0xF];
  out += '}';
}

template <typename T>
void append_chars(std::string& out, T value) {
  char buffer[32];
  const auto r = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, r.ptr);
}

void append_hex_bytes(std::string& out, const core::Bytes& bytes) {
  for (std::uint8_t b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
}

thread_local bool g_scratch_destroyed = false;  // trivially destructible: usable at exit

struct ThreadScratch {
  std::string line;
  bool in_use = false;
  ~ThreadScratch() { g_scratch_destroyed = true; }
};

ThreadScratch* thread_scratch() noexcept {
  if (g_scratch_destroyed)
    return nullptr;
  static thread_local ThreadScratch scratch;
  return &scratch;
}

constexpr std::size_t kMaxKeptScratch = 64 * 1024;

}  // namespace

void append_escaped(std::string& out, std::string_view s, Escape mode) {
  std::size_t run = 0;  // start of the bytes not yet copied
  std::size_t i = 0;
  const auto flush = [&] { out.append(s.data() + run, i - run); };
  while (i < s.size()) {
    // Eight plain bytes at a time: none below 0x20, none >= 0x7f, no '"', no '\\'.
    while (i + 8 <= s.size()) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
      constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
      const auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
      const std::uint64_t special = ((w - kOnes * 0x20) | w | has_zero(w ^ (kOnes * '"')) |
                                     has_zero(w ^ (kOnes * '\\')) | (w + kOnes)) &
                                    kHigh;
      if (special != 0)
        break;
      i += 8;
    }
    if (i >= s.size())
      break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (kSpecial[c] == 0) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const std::size_t len = core::utf8_sequence_length(s, i);
      if (len == 0) {
        flush();
        out += core::kUtf8Replacement;
        run = ++i;
        continue;
      }
      // C1 controls (U+0080..U+009F) act as escape sequences on some terminals.
      if (c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) {
        flush();
        append_text_code_point_escape(out, static_cast<unsigned char>(s[i + 1]));
        i += 2;
        run = i;
        continue;
      }
      i += len;
      continue;
    }
    if ((c == '"' || c == '\\') && mode == Escape::kPlain) {
      ++i;
      continue;
    }
    if (c == '\t' && mode == Escape::kPlain) {
      ++i;
      continue;
    }
    flush();
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        append_text_code_point_escape(out, c);
        break;
    }
    run = ++i;
  }
  flush();
}

void append_int(std::string& out, std::int64_t value) {
  append_chars(out, value);
}

void append_uint(std::string& out, std::uint64_t value) {
  append_chars(out, value);
}

void append_double_text(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "inf" : "-inf";
  } else {
    append_chars(out, value);
  }
}

void append_double_json(std::string& out, double value) {
  if (std::isfinite(value)) {
    append_chars(out, value);
  } else {
    out += '"';
    append_double_text(out, value);
    out += '"';
  }
}

void append_value_text(std::string& out, const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kEmpty:
      break;
    case Value::Kind::kBool:
      out += value.as_bool() ? "true" : "false";
      break;
    case Value::Kind::kInt:
      append_int(out, value.as_int());
      break;
    case Value::Kind::kUint:
      append_uint(out, value.as_uint());
      break;
    case Value::Kind::kDouble:
      append_double_text(out, value.as_double());
      break;
    case Value::Kind::kString:
      out += '"';
      append_escaped(out, value.as_string(), Escape::kQuoted);
      out += '"';
      break;
    case Value::Kind::kAttribute:
      append_attribute_text(out, value.as_attribute());
      break;
  }
}

void append_value_json(std::string& out, const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kEmpty:
      out += "null";
      break;
    case Value::Kind::kBool:
      out += value.as_bool() ? "true" : "false";
      break;
    case Value::Kind::kInt:
      append_int(out, value.as_int());
      break;
    case Value::Kind::kUint:
      append_uint(out, value.as_uint());
      break;
    case Value::Kind::kDouble:
      append_double_json(out, value.as_double());
      break;
    case Value::Kind::kString:
      core::append_json_string(out, value.as_string(), kJsonEscape);
      break;
    case Value::Kind::kAttribute:
      append_attribute_json(out, value.as_attribute());
      break;
  }
}

namespace {

template <bool kJson>
void append_attribute(std::string& out, const core::AttributeValue& value) {
  const auto scalar = [&out](const auto& v) {
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<T, std::string>) {
      if constexpr (kJson) {
        core::append_json_string(out, v, kJsonEscape);
      } else {
        out += '"';
        append_escaped(out, v, Escape::kQuoted);
        out += '"';
      }
    } else if constexpr (std::is_same_v<T, bool>) {
      out += v ? "true" : "false";
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
      append_int(out, v);
    } else if constexpr (std::is_same_v<T, double>) {
      if constexpr (kJson)
        append_double_json(out, v);
      else
        append_double_text(out, v);
    } else {
      static_assert(std::is_same_v<T, core::Bytes>);
      if constexpr (kJson)
        out += '"';
      append_hex_bytes(out, v);
      if constexpr (kJson)
        out += '"';
    }
  };
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::vector<bool>>) {
          out += '[';
          for (std::size_t i = 0; i < v.size(); ++i) {
            if (i != 0)
              out += kJson ? "," : ", ";
            scalar(static_cast<bool>(v[i]));
          }
          out += ']';
        } else if constexpr (std::is_same_v<T, std::vector<std::string>> ||
                             std::is_same_v<T, std::vector<std::int64_t>> ||
                             std::is_same_v<T, std::vector<double>> ||
                             std::is_same_v<T, std::vector<core::Bytes>>) {
          out += '[';
          for (std::size_t i = 0; i < v.size(); ++i) {
            if (i != 0)
              out += kJson ? "," : ", ";
            scalar(v[i]);
          }
          out += ']';
        } else {
          scalar(v);
        }
      },
      value.variant());
}

}  // namespace

void append_attribute_text(std::string& out, const core::AttributeValue& value) {
  append_attribute<false>(out, value);
}

void append_attribute_json(std::string& out, const core::AttributeValue& value) {
  append_attribute<true>(out, value);
}

std::string_view current_thread_name(char (&buffer)[16]) noexcept {
  buffer[0] = '\0';
  if (pthread_getname_np(pthread_self(), buffer, sizeof buffer) != 0)
    return {};
  return std::string_view(buffer, strnlen(buffer, sizeof buffer));
}

ScratchLine::ScratchLine() noexcept : line_(&fallback_) {
  ThreadScratch* scratch = thread_scratch();
  if (scratch != nullptr && !scratch->in_use) {
    scratch->in_use = true;
    scratch->line.clear();
    line_ = &scratch->line;
    owns_thread_buffer_ = true;
  }
}

ScratchLine::~ScratchLine() {
  if (!owns_thread_buffer_)
    return;
  ThreadScratch* scratch = thread_scratch();
  // One huge line should not pin its memory to the thread forever.
  if (scratch->line.capacity() > kMaxKeptScratch)
    std::string().swap(scratch->line);
  scratch->in_use = false;
}

}  // namespace edgetrace::sdk::internal
