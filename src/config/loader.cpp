#include "edgetrace/config/loader.hpp"

// toml++ is used header-only and without exceptions in this one translation unit: parse
// errors come back as values, and the parser is compiled with our sanitizer and fuzzing
// flags like the rest of the code.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
// toml++ 3.3 asserts invariants its parser does not always establish (a table header such
// as `[*x]` reaches parse_key() with a character that cannot start a key; the parser then
// reports an error correctly). With NDEBUG those asserts become __builtin_assume, which
// would make such input undefined behaviour, so they are compiled as nothing in every build.
#pragma push_macro("NDEBUG")
#undef NDEBUG
#define TOML_ASSERT(expr) static_cast<void>(0)
#include <toml++/toml.h>
#pragma pop_macro("NDEBUG")

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

namespace edgetrace::config {
namespace internal {

struct DocumentData {
  std::string source;
  toml::table root;
};

}  // namespace internal

namespace {

const toml::node& node_of(const void* p) {
  return *static_cast<const toml::node*>(p);
}
const toml::table& table_of(const void* p) {
  return *static_cast<const toml::table*>(p);
}

Position position_of(const toml::source_region& where, const std::string& fallback) {
  Position p;
  p.source = where.path ? std::string(*where.path) : fallback;
  p.line = where.begin.line;
  p.column = where.begin.column;
  return p;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t dot = path.find('.');
    parts.push_back(path.substr(0, dot));
    if (dot == std::string_view::npos)
      break;
    path.remove_prefix(dot + 1);
  }
  return parts;
}

std::string_view type_name_of(const toml::node& node) noexcept {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date or time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// Rejects, before toml++ sees them, characters that TOML never allows where they are:
// control characters other than tab and line ends (anywhere), and non-ASCII characters
// outside strings and comments (bare keys are ASCII). Besides giving a clear message, this
// keeps toml++ 3.3 away from two of its bugs: it mishandles NUL bytes inside keys, and its
// whitespace test reaches __builtin_unreachable for the code points U+00A1..U+0499,
// U+2CEE..U+30E7 (but U+3000) and U+FCC6..U+FEFE wherever the parser tests them (outside
// strings, but also in malformed values that contain quotes). Those are refused everywhere;
// a string can still hold them as \uXXXX escapes.
core::Status check_characters(std::string_view text, std::string_view source) {
  enum class State { kNormal, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral };
  State state = State::kNormal;
  std::size_t line = 1;
  std::size_t column = 1;
  auto fail = [&](std::string_view what) {
    return core::invalid_argument(std::string(source) + ":" + std::to_string(line) + ":" +
                                  std::to_string(column) + ": " + std::string(what));
  };
  bool after_backslash = false;  // in a basic string: the byte after a backslash
  bool trimming = false;         // in a multi-line basic string: after a line-ending backslash
  auto skip_closing = [&](std::size_t& i, char quote) {
    i += 2;
    column += 2;
    // A closing delimiter may be preceded by up to two quotes of content: """a"""" ends
    // with the content a".
    for (int extra = 0; extra < 2 && i + 1 < text.size() && text[i + 1] == quote; ++extra) {
      ++i;
      ++column;
    }
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      char code[16];
      std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(c));
      return fail("control character " + std::string(code) + " is not allowed in TOML");
    }
    const bool ascii = c < 0x80;
    if (c >= 0xc2 && c <= 0xef && i + 1 < text.size()) {
      // A two- or three-byte sequence: the code points toml++ 3.3 cannot test for
      // whitespace without undefined behaviour, wherever it happens to test them.
      char32_t cp = 0;
      if (c < 0xe0)
        cp = (char32_t{c} & 0x1f) << 6 | (static_cast<unsigned char>(text[i + 1]) & 0x3f);
      else if (i + 2 < text.size())
        cp = (char32_t{c} & 0x0f) << 12 |
             (char32_t{static_cast<unsigned char>(text[i + 1])} & 0x3f) << 6 |
             (static_cast<unsigned char>(text[i + 2]) & 0x3f);
      const bool unsupported = (cp > 0xa0 && cp < 0x49a) ||
                               (cp >= 0x2cee && cp < 0x30e8 && cp != 0x3000) ||
                               (cp >= 0xfcc6 && cp < 0xfeff);
      if (unsupported) {
        char code[16];
        std::snprintf(code, sizeof code, "%04X", static_cast<unsigned>(cp));
        return fail("character U+" + std::string(code) +
                    " is not supported by the TOML parser; write it as the escape \\u" + code +
                    " in a double-quoted string");
      }
    }
    const bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
    const std::string_view rest = text.substr(i);
    switch (state) {
      case State::kNormal:
        if (!ascii)
          return fail("non-ASCII character outside a string or comment (quote the key)");
        if (c == '#') {
          state = State::kComment;
        } else if (rest.starts_with("\"\"\"")) {
          state = State::kMultiBasic;
          i += 2;
          column += 2;
        } else if (rest.starts_with("'''")) {
          state = State::kMultiLiteral;
          i += 2;
          column += 2;
        } else if (c == '"') {
          state = State::kBasic;
        } else if (c == '\'') {
          state = State::kLiteral;
        }
        break;
      case State::kComment:
        if (c == '\n')
          state = State::kNormal;
        break;
      case State::kBasic:
        if (after_backslash)
          after_backslash = false;
        else if (c == '\\')
          after_backslash = true;
        else if (c == '"' || c == '\n')
          state = State::kNormal;
        break;
      case State::kLiteral:
        if (c == '\'' || c == '\n')
          state = State::kNormal;
        break;
      case State::kMultiBasic:
        if (after_backslash) {
          if (!ascii)
            return fail("non-ASCII character after a backslash in a multi-line string");
          after_backslash = false;
          trimming = space;  // a line-ending backslash trims every following space
          break;
        }
        if (trimming) {
          if (!ascii)
            return fail("non-ASCII character after a backslash in a multi-line string");
          if (space)
            break;
          trimming = false;  // the first character after the trimmed spaces
        }
        if (c == '\\') {
          after_backslash = true;
        } else if (rest.starts_with("\"\"\"")) {
          state = State::kNormal;
          skip_closing(i, '"');
        }
        break;
      case State::kMultiLiteral:
        if (rest.starts_with("'''")) {
          state = State::kNormal;
          skip_closing(i, '\'');
        }
        break;
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xc0) != 0x80) {
      ++column;  // code points, as toml++ counts them
    }
  }
  return {};
}

core::Result<toml::table> parse_text(std::string_view text, std::string_view source) {
  if (core::Status s = check_characters(text, source); !s.ok())
    return s;
  toml::parse_result parsed = toml::parse(text, source);
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    return core::invalid_argument(position_of(e.source(), std::string(source)).to_string() + ": " +
                                  std::string(e.description()));
  }
  return std::move(parsed).table();
}

}  // namespace

// ---- Position, Value, Table ----

std::string Position::to_string() const {
  return source + ":" + std::to_string(line) + ":" + std::to_string(column);
}

Value::Type Value::type() const noexcept {
  switch (node_of(node_).type()) {
    case toml::node_type::string:
      return Type::kString;
    case toml::node_type::integer:
      return Type::kInteger;
    case toml::node_type::floating_point:
      return Type::kFloat;
    case toml::node_type::boolean:
      return Type::kBoolean;
    case toml::node_type::array:
      return Type::kArray;
    case toml::node_type::table:
      return Type::kTable;
    default:
      return Type::kDateTime;
  }
}

std::string_view Value::type_name() const noexcept {
  return type_name_of(node_of(node_));
}

Position Value::position() const {
  return position_of(node_of(node_).source(), doc_->source);
}

std::optional<std::string> Value::string() const {
  return node_of(node_).value<std::string>();
}
std::optional<std::int64_t> Value::integer() const {
  if (!node_of(node_).is_integer())
    return std::nullopt;
  return node_of(node_).value<std::int64_t>();
}
std::optional<double> Value::number() const {
  const toml::node& n = node_of(node_);
  if (n.is_floating_point())
    return n.value<double>();
  if (n.is_integer())
    return static_cast<double>(*n.value<std::int64_t>());
  return std::nullopt;
}
std::optional<bool> Value::boolean() const {
  if (!node_of(node_).is_boolean())
    return std::nullopt;
  return node_of(node_).value<bool>();
}
std::vector<Value> Value::array() const {
  std::vector<Value> out;
  if (const toml::array* a = node_of(node_).as_array())
    for (const toml::node& n : *a)
      out.push_back(Value(doc_, &n));
  return out;
}
std::optional<Table> Value::table() const {
  if (const toml::table* t = node_of(node_).as_table())
    return Table(doc_, t, {});
  return std::nullopt;
}

Position Table::position() const {
  return position_of(table_of(table_).source(), doc_->source);
}

std::vector<std::pair<std::string, Value>> Table::entries() const {
  std::vector<std::pair<std::string, Value>> out;
  for (auto&& [k, v] : table_of(table_))
    out.emplace_back(std::string(k.str()), Value(doc_, &v));
  return out;
}

std::optional<Value> Table::get(std::string_view key) const {
  if (const toml::node* n = table_of(table_).get(key))
    return Value(doc_, n);
  return std::nullopt;
}

Position Table::key_position(std::string_view key) const {
  for (auto&& [k, v] : table_of(table_))
    if (k.str() == key)
      return position_of(k.source(), doc_->source);
  return position();
}

std::optional<Table> Table::sub_table(std::string_view key) const {
  const toml::node* n = table_of(table_).get(key);
  if (n == nullptr || !n->is_table())
    return std::nullopt;
  return Table(doc_, n->as_table(),
               path_.empty() ? std::string(key) : path_ + "." + std::string(key));
}

// ---- Document ----

Document::Document() : data_(std::make_shared<internal::DocumentData>()) {}

core::Result<Document> Document::parse(std::string_view toml_text, std::string_view source_name) {
  core::Result<toml::table> t = parse_text(toml_text, source_name);
  if (!t)
    return t.status();
  auto data = std::make_shared<internal::DocumentData>();
  data->source = std::string(source_name);
  data->root = std::move(t).value();
  return Document(std::move(data));
}

core::Result<Document> Document::load_file(const std::string& path, std::size_t max_bytes) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f)
    return core::not_found("config file '" + path + "': " + std::strerror(errno));
  std::string text;
  char buf[8192];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) {
    if (text.size() + n > max_bytes) {
      return core::invalid_argument("config file '" + path + "' is larger than " +
                                    std::to_string(max_bytes) + " bytes");
    }
    text.append(buf, n);
  }
  if (std::ferror(f.get()))
    return core::invalid_argument("config file '" + path + "': read error");
  return parse(text, path);
}

core::Result<std::string> read_token_file(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return core::not_found("cannot read the token file " + path);
  std::stringstream text;
  text << in.rdbuf();
  std::string token(core::trim_ows(text.str()));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r'))
    token.pop_back();
  token = std::string(core::trim_ows(token));
  if (token.empty())
    return core::invalid_argument("the token file " + path + " is empty");
  for (char c : token) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
      return core::invalid_argument("the token file " + path +
                                    " holds more than one line or a non-printable character");
  }
  return token;
}

const std::string& Document::source_name() const noexcept {
  return data_->source;
}

core::Status Document::set(std::string_view dotted_key, std::string_view value) {
  const std::vector<std::string_view> parts = split_path(dotted_key);
  for (std::string_view p : parts)
    if (p.empty())
      return core::invalid_argument("--set: key '" + std::string(dotted_key) +
                                    "' has an empty part");
  const std::string source = "--set " + std::string(dotted_key);
  // A TOML value, else the text as a string (a literal string keeps positions when possible).
  core::Result<toml::table> parsed = parse_text("v = " + std::string(value), source);
  if (!parsed && value.find('\'') == std::string_view::npos &&
      value.find('\n') == std::string_view::npos) {
    parsed = parse_text("v = '" + std::string(value) + "'", source);
  }
  toml::table* t = &data_->root;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    toml::node* n = t->get(parts[i]);
    if (n == nullptr) {
      t->insert(parts[i], toml::table{});
      n = t->get(parts[i]);
    }
    if (!n->is_table()) {
      return core::invalid_argument(
          "--set " + std::string(dotted_key) + ": '" +
          std::string(dotted_key.substr(
              0, static_cast<std::size_t>(parts[i].data() + parts[i].size() - dotted_key.data()))) +
          "' is " + std::string(type_name_of(*n)) + ", not a table");
    }
    t = n->as_table();
  }
  if (parsed) {
    t->insert_or_assign(parts.back(), std::move(*parsed->get("v")));
  } else {
    t->insert_or_assign(parts.back(), std::string(value));
  }
  return {};
}

Table Document::root() const {
  return Table(data_, &data_->root, {});
}

core::Result<std::optional<Table>> Document::table(std::string_view dotted_path) const {
  const toml::table* t = &data_->root;
  const std::vector<std::string_view> parts = split_path(dotted_path);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const toml::node* n = t->get(parts[i]);
    if (n == nullptr)
      return std::optional<Table>();
    if (!n->is_table()) {
      const std::string so_far(dotted_path.substr(
          0, static_cast<std::size_t>(parts[i].data() + parts[i].size() - dotted_path.data())));
      return core::invalid_argument(position_of(n->source(), data_->source).to_string() + ": '" +
                                    so_far + "' must be a table ([" + so_far + "]), got " +
                                    std::string(type_name_of(*n)));
    }
    t = n->as_table();
  }
  return std::optional<Table>(Table(data_, t, std::string(dotted_path)));
}

std::vector<std::string> Document::find_tables(std::string_view name) const {
  std::vector<std::string> out;
  std::function<void(const toml::table&, const std::string&)> walk =
      [&](const toml::table& t, const std::string& prefix) {
        for (auto&& [k, v] : t) {
          if (!v.is_table())
            continue;
          const std::string path =
              prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
          if (k.str() == name)
            out.push_back(path);
          walk(*v.as_table(), path);
        }
      };
  walk(data_->root, {});
  return out;
}

// ---- TableReader ----

TableReader::TableReader(Table table) : table_(std::move(table)) {}

core::Status TableReader::expected(const Value& v, std::string_view what) {
  return core::invalid_argument("expected " + std::string(what) + ", got " +
                                std::string(v.type_name()));
}

TableReader& TableReader::custom(std::string_view key, Read read) {
  keys_.push_back({std::string(key), std::move(read)});
  return *this;
}

TableReader& TableReader::boolean(std::string_view key, bool& out) {
  return custom(key, [&out](const Value& v) -> core::Status {
    if (!v.is_boolean())
      return expected(v, "a boolean (true or false)");
    out = *v.boolean();
    return {};
  });
}

TableReader& TableReader::string(std::string_view key, std::string& out) {
  return custom(key, [&out](const Value& v) -> core::Status {
    if (!v.is_string())
      return expected(v, "a string");
    out = *v.string();
    return {};
  });
}

TableReader& TableReader::string(std::string_view key, std::optional<std::string>& out) {
  return custom(key, [&out](const Value& v) -> core::Status {
    if (!v.is_string())
      return expected(v, "a string");
    out = *v.string();
    return {};
  });
}

TableReader& TableReader::integer(std::string_view key, std::int64_t& out, std::int64_t min,
                                  std::int64_t max, std::string_view what) {
  return custom(key, [&out, min, max, w = std::string(what)](const Value& v) -> core::Status {
    if (!v.is_integer())
      return expected(v, w);
    const std::int64_t n = *v.integer();
    if (n < min || n > max) {
      return core::invalid_argument("must be between " + std::to_string(min) + " and " +
                                    std::to_string(max) + ", got " + std::to_string(n));
    }
    out = n;
    return {};
  });
}

TableReader& TableReader::size(std::string_view key, std::size_t& out, std::size_t min,
                               std::size_t max, std::string_view what) {
  return custom(key, [&out, min, max, w = std::string(what)](const Value& v) -> core::Status {
    if (!v.is_integer())
      return expected(v, w);
    const std::int64_t n = *v.integer();
    if (n < 0 || static_cast<std::uint64_t>(n) < min || static_cast<std::uint64_t>(n) > max) {
      return core::invalid_argument("must be between " + std::to_string(min) + " and " +
                                    std::to_string(max) + ", got " + std::to_string(n));
    }
    out = static_cast<std::size_t>(n);
    return {};
  });
}

namespace {

core::Status read_number(const Value& v, double min, double max, double& out) {
  std::optional<double> n = v.number();
  if (!n) {
    char what[96];
    std::snprintf(what, sizeof what, "a number between %g and %g", min, max);
    return TableReader::expected(v, what);
  }
  if (std::isnan(*n) || *n < min || *n > max) {
    char what[96];
    std::snprintf(what, sizeof what, "must be between %g and %g", min, max);
    return core::invalid_argument(what);
  }
  out = *n;
  return {};
}

}  // namespace

TableReader& TableReader::number(std::string_view key, double& out, double min, double max) {
  return custom(key, [&out, min, max](const Value& v) { return read_number(v, min, max, out); });
}

TableReader& TableReader::number(std::string_view key, std::optional<double>& out, double min,
                                 double max) {
  return custom(key, [&out, min, max](const Value& v) -> core::Status {
    double d = 0;
    core::Status s = read_number(v, min, max, d);
    if (s.ok())
      out = d;
    return s;
  });
}

TableReader& TableReader::duration(std::string_view key, std::chrono::milliseconds& out) {
  return custom(key, [&out](const Value& v) -> core::Status {
    if (v.is_integer()) {
      const std::int64_t ms = *v.integer();
      if (ms < 0)
        return core::invalid_argument("must not be negative");
      out = std::chrono::milliseconds(ms);
      return {};
    }
    if (!v.is_string())
      return expected(v, "milliseconds (an integer) or a string such as \"10s\"");
    core::Result<std::chrono::milliseconds> d = parse_duration(*v.string());
    if (!d)
      return d.status();
    out = *d;
    return {};
  });
}

TableReader& TableReader::byte_size(std::string_view key, std::uint64_t& out) {
  return custom(key, [&out](const Value& v) -> core::Status {
    if (v.is_integer()) {
      const std::int64_t n = *v.integer();
      if (n < 0)
        return core::invalid_argument("must not be negative");
      out = static_cast<std::uint64_t>(n);
      return {};
    }
    if (!v.is_string())
      return expected(v, "bytes (an integer) or a string such as \"64KiB\"");
    core::Result<std::uint64_t> b = parse_byte_size(*v.string());
    if (!b)
      return b.status();
    out = *b;
    return {};
  });
}

TableReader& TableReader::string_list(std::string_view key, std::vector<std::string>& out) {
  return custom(key, [&out](const Value& v) -> core::Status {
    if (v.is_string()) {
      out = split_list(*v.string());
      return {};
    }
    if (!v.is_array())
      return expected(v, "an array of strings or a string \"a, b\"");
    std::vector<std::string> items;
    for (const Value& item : v.array()) {
      if (!item.is_string())
        return core::invalid_argument("array item: " + expected(item, "a string").message());
      items.push_back(*item.string());
    }
    out = std::move(items);
    return {};
  });
}

TableReader& TableReader::endpoint(std::string_view key, std::string& out) {
  return custom(key, [&out](const Value& v) -> core::Status {
    if (!v.is_string())
      return expected(v, "a string (a URL such as \"http://collector:4318\")");
    const std::string text = *v.string();
    if (!text.empty()) {
      core::Result<Endpoint> e = parse_endpoint(text);
      if (!e)
        return e.status();
    }
    out = text;
    return {};
  });
}

TableReader& TableReader::table(std::string_view key,
                                std::function<core::Status(TableReader&)> read) {
  const std::string path =
      table_.path().empty() ? std::string(key) : table_.path() + "." + std::string(key);
  keys_.push_back(
      {std::string(key), [this, path, read = std::move(read)](const Value& v) -> core::Status {
         std::optional<Table> t = v.table();
         if (!t)
           return expected(v, "a table ([" + path + "])");
         t->path_ = path;
         TableReader sub(std::move(*t));
         core::Status s = read(sub);
         if (s.ok())
           s = sub.finish();
         // Errors of the sub-table carry their own position.
         nested_error_ = !s.ok();
         return s;
       }});
  return *this;
}

core::Status TableReader::finish() {
  if (!finished_)
    finished_ = walk();
  return *finished_;
}

core::Status TableReader::walk() {
  for (auto&& [name, value] : table_.entries()) {
    const Key* key = nullptr;
    for (const Key& k : keys_)
      if (k.name == name)
        key = &k;
    if (key == nullptr) {
      std::vector<std::string_view> names;
      for (const Key& k : keys_)
        names.push_back(k.name);
      return core::invalid_argument(table_.key_position(name).to_string() + ": [" + table_.path() +
                                    "] unknown key '" + name +
                                    "' (valid keys: " + join_names(names, ", ") + ")");
    }
    nested_error_ = false;
    core::Status s = key->read(value);
    if (s.ok())
      continue;
    if (nested_error_)
      return s;
    return core::Status(s.code(), value.position().to_string() + ": [" + table_.path() + "] key '" +
                                      name + "': " + s.message());
  }
  return {};
}

}  // namespace edgetrace::config
