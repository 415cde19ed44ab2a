// The TOML config loader: one file format, one set of rules, for the SDK, the CLI and the
// daemon (docs/configuration.md describes them for users).
//
//   core::Result<config::Document> doc = config::Document::load_file("/etc/edgetraced.toml");
//   if (!doc) { std::fprintf(stderr, "%s\n", doc.status().message().c_str()); return 2; }
//   if (core::Status s = doc->set("queue.max_bytes", "1GiB"); !s.ok()) ...   // --set KEY=VALUE
//
//   QueueOptions q;                                   // defaults written in the struct
//   core::Result<std::optional<config::Table>> t = doc->table("queue");  // any dotted path
//   if (t && *t) {
//     config::TableReader r(**t);
//     r.string("dir", q.dir);
//     r.byte_size("max_bytes", q.max_bytes);         // 1073741824, "1GiB", "10MB"
//     r.duration("flush_interval", q.flush_interval);  // 250, "250ms", "5s", "1m"
//     r.choice("overflow", q.overflow, kOverflowNames);
//     if (core::Status s = r.finish(); !s.ok()) return s;   // "file:3:7: [queue] key ..."
//   }
//
// Layering, lowest first: the defaults written in the options structs < the file (and --set
// values, which replace keys of the file) < environment variables (applied by the program to
// the typed struct, e.g. config::read_otel_environment()) < explicit values set in code.
//
// Errors carry the position of what is wrong as "<source>:<line>:<column>: ". A key a table
// does not declare is an error that lists the keys it does declare; a value of the wrong type
// or out of range says what was expected. The first error is reported.
//
// Before the TOML parser sees the text, control characters (other than tab and line ends) are
// refused everywhere, and non-ASCII characters outside strings and comments (bare keys are
// ASCII); code points that toml++ 3.3 cannot handle are refused with the escape to use.
//
// Thread-safety: a Document is immutable after loading except through set(); Tables and
// Values are views that keep their Document's data alive (shared ownership) and may be read
// from several threads when nothing calls set(). A TableReader is used by one thread.
// Only Document::load_file() does I/O (one read of at most `max_bytes`).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edgetrace/config/values.hpp"
#include "edgetrace/core/result.hpp"

namespace edgetrace::config {

// Largest file Document::load_file() reads by default.
inline constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

namespace internal {
struct DocumentData;
}  // namespace internal

class Table;

// Where a key or value was written.
struct Position {
  std::string source;  // the file name, or "--set <key>" for a value given by set()
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  // "source:line:column"
  std::string to_string() const;
};

// One value of the document (a view).
class Value {
 public:
  enum class Type : std::uint8_t { kString, kInteger, kFloat, kBoolean, kArray, kTable, kDateTime };

  Type type() const noexcept;
  // "a string", "an integer", "a float", "a boolean", "an array", "a table", "a date or time"
  std::string_view type_name() const noexcept;
  Position position() const;

  bool is_string() const noexcept { return type() == Type::kString; }
  bool is_integer() const noexcept { return type() == Type::kInteger; }
  bool is_boolean() const noexcept { return type() == Type::kBoolean; }
  bool is_table() const noexcept { return type() == Type::kTable; }
  bool is_array() const noexcept { return type() == Type::kArray; }
  // An integer or a float.
  bool is_number() const noexcept { return type() == Type::kInteger || type() == Type::kFloat; }

  // The value when it has that type; nullopt otherwise.
  std::optional<std::string> string() const;
  std::optional<std::int64_t> integer() const;
  std::optional<double> number() const;  // integers converted
  std::optional<bool> boolean() const;
  std::vector<Value> array() const;  // empty unless an array
  std::optional<Table> table() const;

 private:
  friend class Table;
  friend class Document;
  Value(std::shared_ptr<const internal::DocumentData> doc, const void* node)
      : doc_(std::move(doc)), node_(node) {}
  std::shared_ptr<const internal::DocumentData> doc_;
  const void* node_;  // a toml::node of *doc_
};

// One table of the document (a view), with its dotted path for messages.
class Table {
 public:
  const std::string& path() const noexcept { return path_; }
  Position position() const;
  // The keys and values in the parser's order (sorted by key).
  std::vector<std::pair<std::string, Value>> entries() const;
  std::optional<Value> get(std::string_view key) const;
  // Where `key` itself was written (for unknown-key errors).
  Position key_position(std::string_view key) const;
  // A table below this one ("console" -> "<path>.console"); nullopt when absent.
  std::optional<Table> sub_table(std::string_view key) const;

 private:
  friend class Value;
  friend class Document;
  friend class TableReader;
  Table(std::shared_ptr<const internal::DocumentData> doc, const void* table, std::string path)
      : doc_(std::move(doc)), table_(table), path_(std::move(path)) {}
  std::shared_ptr<const internal::DocumentData> doc_;
  const void* table_;  // a toml::table of *doc_
  std::string path_;
};

// A parsed TOML document.
class Document {
 public:
  // An empty document.
  Document();

  // Parses TOML text; `source_name` starts every position in errors.
  static core::Result<Document> parse(std::string_view toml_text,
                                      std::string_view source_name = "config");
  // Reads and parses a file (at most `max_bytes`). A missing file is kNotFound.
  static core::Result<Document> load_file(const std::string& path,
                                          std::size_t max_bytes = kMaxConfigBytes);

  const std::string& source_name() const noexcept;

  // Sets the value at a dotted key path ("exporters.otlp.endpoint"), creating the tables on
  // the way and replacing what was there; `value` is a TOML value ("\"http://c:4318\"", "1024",
  // "true", "[1, 2]"), and text that is not a valid TOML value is taken as a string. Errors: an
  // empty key part, or a key below a value that is not a table.
  core::Status set(std::string_view dotted_key, std::string_view value);

  // The table at a dotted path ("tracing", "worker.tracing"); nullopt when absent; an error
  // (with its position) when something that is not a table is there.
  core::Result<std::optional<Table>> table(std::string_view dotted_path) const;
  // The document itself.
  Table root() const;

  // The dotted paths of every table whose last key is `name` ("tracing" finds "tracing" and
  // "worker.tracing"), in document order.
  std::vector<std::string> find_tables(std::string_view name) const;

 private:
  explicit Document(std::shared_ptr<internal::DocumentData> data) : data_(std::move(data)) {}
  std::shared_ptr<internal::DocumentData> data_;
};

// The bearer token in a token file: one line of printable ASCII, surrounding whitespace
// ignored. Errors: kNotFound "cannot read the token file <path>", kInvalidArgument when it
// is empty or holds more than one line or a non-printable character. The token is never part
// of a message. Used for every token file (symbols, devices) of the CLI and the daemon.
core::Result<std::string> read_token_file(const std::string& path);

// Reads one table into typed fields. Each method declares a key (the list of valid keys in
// unknown-key errors is in declaration order) and how to read it; finish() walks the table,
// reads the keys that are present into their fields and returns the first problem:
//   "<source>:<line>:<col>: [<path>] unknown key 'x' (valid keys: a, b, c)"
//   "<source>:<line>:<col>: [<path>] key 'k': expected a boolean (true or false), got a string"
// A field is written only when its key is present and valid. The references given must stay
// valid until finish() returns.
class TableReader {
 public:
  using Read = std::function<core::Status(const Value&)>;

  explicit TableReader(Table table);
  // Holds pointers to itself (sub-table readers): neither copied nor moved.
  TableReader(const TableReader&) = delete;
  TableReader& operator=(const TableReader&) = delete;

  TableReader& boolean(std::string_view key, bool& out);
  TableReader& string(std::string_view key, std::string& out);
  TableReader& string(std::string_view key, std::optional<std::string>& out);
  // An integer in [min, max]; `expected` describes it in type errors ("an integer (0: keep
  // every file)").
  TableReader& integer(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max,
                       std::string_view expected = "an integer");
  TableReader& size(std::string_view key, std::size_t& out, std::size_t min, std::size_t max,
                    std::string_view expected = "an integer");
  // An integer or a float in [min, max] ("must be between <min> and <max>").
  TableReader& number(std::string_view key, double& out, double min, double max);
  TableReader& number(std::string_view key, std::optional<double>& out, double min, double max);
  // An integer (milliseconds) or a string with a unit (values.hpp).
  TableReader& duration(std::string_view key, std::chrono::milliseconds& out);
  // An integer (bytes) or a string with a unit (values.hpp).
  TableReader& byte_size(std::string_view key, std::uint64_t& out);
  // A string naming one value of `names` (any case); `what` names it in errors. `names`
  // must outlive finish() (a constexpr table at namespace scope, as in values.hpp).
  template <typename E>
  TableReader& choice(std::string_view key, E& out, std::span<const EnumName<E>> names,
                      std::string_view what = "value") {
    std::vector<std::string_view> list = enum_names(names);
    return custom(key, [&out, names, what, list](const Value& v) -> core::Status {
      if (!v.is_string())
        return expected(v, "a string (" + join_names(list) + ")");
      core::Result<E> e = parse_enum(*v.string(), names, what);
      if (!e)
        return e.status();
      out = *e;
      return {};
    });
  }
  template <typename E, std::size_t N>
  TableReader& choice(std::string_view key, E& out, const std::array<EnumName<E>, N>& names,
                      std::string_view what = "value") {
    return choice<E>(key, out, std::span<const EnumName<E>>(names), what);
  }
  // An array of strings, or one string of comma-separated items.
  TableReader& string_list(std::string_view key, std::vector<std::string>& out);
  // An http:// or https:// URL (values.hpp); "" is accepted and means "the default".
  TableReader& endpoint(std::string_view key, std::string& out);
  // Any other reading; the Status message is prefixed with the value's position and key.
  TableReader& custom(std::string_view key, Read read);
  // A sub-table read by `read`, whose errors carry their own positions. A value that is not a
  // table is an error ("expected a table ([<path>.<key>])").
  TableReader& table(std::string_view key, std::function<core::Status(TableReader&)> read);

  // Walks the table once; a second call returns the first call's result without reading
  // again (table() finishes a sub-table its `read` already finished, and the references that
  // `read` gave may be gone by then).
  core::Status finish();

  // "expected <what>, got <type of v>", for custom readers.
  static core::Status expected(const Value& v, std::string_view what);

  const Table& source_table() const noexcept { return table_; }

 private:
  struct Key {
    std::string name;
    Read read;
  };
  Table table_;
  std::vector<Key> keys_;
  bool nested_error_ = false;             // the last error came from a sub-table (has its position)
  std::optional<core::Status> finished_;  // finish()'s result, once it ran
  core::Status walk();
};

}  // namespace edgetrace::config
