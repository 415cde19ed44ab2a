// OTLP/JSON decoding of any message of the schema: simdjson parses, the descriptor drives.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>
#include <simdjson.h>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/core/json.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "internal/json_text.hpp"
#include "internal/otlp_fields.hpp"

namespace edgetrace::otlp {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using simdjson::dom::element;
using simdjson::dom::element_type;

// One step of the JSON path to the value being read.
struct PathStep {
  std::string_view key;  // empty for an array index
  std::size_t index = 0;
};

// A scalar read from JSON, before it is stored in a singular or repeated field.
struct Scalar {
  std::int64_t i64 = 0;
  std::uint64_t u64 = 0;
  double f64 = 0;
  bool b = false;
  std::string bytes;  // strings and bytes
};

class JsonReader {
 public:
  explicit JsonReader(const DecodeLimits& limits) : limits_(limits) {}

  core::Status read_root(element root, Message& out) {
    if (root.type() != element_type::OBJECT)
      return fail("expected a JSON object, got " + type_name(root));
    return read_message(root, out, 1);
  }

 private:
  static std::string type_name(element e) {
    switch (e.type()) {
      case element_type::ARRAY:
        return "an array";
      case element_type::OBJECT:
        return "an object";
      case element_type::INT64:
      case element_type::UINT64:
      case element_type::DOUBLE:
        return "a number";
      case element_type::STRING:
        return "a string";
      case element_type::BOOL:
        return "a boolean";
      case element_type::NULL_VALUE:
        return "null";
    }
    return "a value";
  }

  std::string path() const {
    std::string p = "$";
    for (const PathStep& step : path_) {
      if (step.key.empty()) {
        p += '[';
        p += std::to_string(step.index);
        p += ']';
      } else {
        p += '.';
        p.append(step.key);
      }
    }
    return p;
  }

  core::Status fail(std::string what) const {
    return core::invalid_argument("json: " + path() + ": " + what);
  }
  core::Status exhausted(std::string what) const {
    return core::Status(core::StatusCode::kResourceExhausted, "json: " + path() + ": " + what);
  }

  core::Status check_string(std::string_view s) const {
    if (s.size() > limits_.max_string_bytes) {
      return exhausted("string of " + std::to_string(s.size()) + " bytes exceeds the limit of " +
                       std::to_string(limits_.max_string_bytes));
    }
    return {};
  }

  // Finds the field whose JSON name is `key`, starting at field index `next` and wrapping
  // around. Writers emit keys in declaration order, so starting after the previous match
  // usually finds the next key at the first comparison.
  static const FieldDescriptor* find_field(const Descriptor& d, std::string_view key, int& next) {
    const int n = d.field_count();
    for (int step = 0; step < n; ++step) {
      int k = next + step;
      if (k >= n)
        k -= n;
      const FieldDescriptor* f = d.field(k);
      if (f->json_name() == key) {
        next = k + 1 < n ? k + 1 : 0;
        return f;
      }
    }
    return nullptr;
  }

  core::Status read_message(element object, Message& message, std::size_t depth) {
    if (depth > limits_.max_depth) {
      return exhausted("messages nested deeper than the limit of " +
                       std::to_string(limits_.max_depth));
    }
    const Descriptor& d = *message.GetDescriptor();
    const Reflection& r = *message.GetReflection();
    simdjson::dom::object obj;
    if (object.get_object().get(obj) != simdjson::SUCCESS)
      return fail("expected an object, got " + type_name(object));
    int next_field = 0;
    for (simdjson::dom::key_value_pair kv : obj) {
      path_.push_back(PathStep{kv.key, 0});
      core::Status s;
      const FieldDescriptor* f = find_field(d, kv.key, next_field);
      if (f == nullptr) {
        // Unknown keys (including snake_case spellings, which OTLP/JSON does not allow)
        // are ignored, as the specification requires; only their size is checked.
        s = check_string(kv.key);
      } else if (kv.value.type() != element_type::NULL_VALUE) {  // null means "not set"
        s = f->is_repeated() ? read_repeated(kv.value, message, r, *f, depth)
                             : read_singular(kv.value, message, r, *f, depth);
      }
      if (!s.ok())
        return s;
      path_.pop_back();
    }
    return {};
  }

  core::Status read_repeated(element value, Message& message, const Reflection& r,
                             const FieldDescriptor& f, std::size_t depth) {
    simdjson::dom::array array;
    if (value.get_array().get(array) != simdjson::SUCCESS)
      return fail("expected an array, got " + type_name(value));
    // A repeated key replaces what an earlier occurrence set.
    r.ClearField(&message, &f);
    std::size_t index = 0;
    for (element item : array) {
      path_.push_back(PathStep{{}, index});
      if (index >= limits_.max_array_length) {
        return exhausted("array longer than the limit of " +
                         std::to_string(limits_.max_array_length) + " elements");
      }
      core::Status s;
      if (f.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        if (item.type() != element_type::OBJECT) {
          s = fail("expected an object, got " + type_name(item));
        } else {
          s = read_message(item, *r.AddMessage(&message, &f), depth + 1);
        }
      } else if (item.type() == element_type::NULL_VALUE) {
        s = fail("null is not allowed in an array");
      } else {
        Scalar scalar;
        s = read_scalar(item, f, scalar);
        if (s.ok())
          add_scalar(message, r, f, scalar);
      }
      if (!s.ok())
        return s;
      path_.pop_back();
      ++index;
    }
    return {};
  }

  core::Status read_singular(element value, Message& message, const Reflection& r,
                             const FieldDescriptor& f, std::size_t depth) {
    if (f.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (value.type() != element_type::OBJECT)
        return fail("expected an object, got " + type_name(value));
      return read_message(value, *r.MutableMessage(&message, &f), depth + 1);
    }
    Scalar scalar;
    core::Status s = read_scalar(value, f, scalar);
    if (!s.ok())
      return s;
    set_scalar(message, r, f, scalar);
    return {};
  }

  // Integers: a JSON number (an integral double such as 1e3 included) or a decimal string.
  core::Status read_signed(element value, std::int64_t min, std::int64_t max,
                           std::int64_t& out) const {
    switch (value.type()) {
      case element_type::INT64:
        out = value.get_int64().value_unsafe();
        break;
      case element_type::UINT64:
        return fail("integer out of range");
      case element_type::DOUBLE: {
        const double d = value.get_double().value_unsafe();
        if (d != std::trunc(d) || !(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
          return fail("expected an integer, got " + std::to_string(d));
        out = static_cast<std::int64_t>(d);
        break;
      }
      case element_type::STRING: {
        std::string_view text = value.get_string().value_unsafe();
        if (!internal::parse_int64(text, out))
          return fail("expected a decimal integer string, got \"" + excerpt(text) + "\"");
        break;
      }
      default:
        return fail("expected an integer, got " + type_name(value));
    }
    if (out < min || out > max)
      return fail("integer " + std::to_string(out) + " out of range");
    return {};
  }

  core::Status read_unsigned(element value, std::uint64_t max, std::uint64_t& out) const {
    switch (value.type()) {
      case element_type::INT64: {
        const std::int64_t v = value.get_int64().value_unsafe();
        if (v < 0)
          return fail("expected a non-negative integer, got " + std::to_string(v));
        out = static_cast<std::uint64_t>(v);
        break;
      }
      case element_type::UINT64:
        out = value.get_uint64().value_unsafe();
        break;
      case element_type::DOUBLE: {
        const double d = value.get_double().value_unsafe();
        if (d != std::trunc(d) || !(d >= 0 && d < 18446744073709551616.0))
          return fail("expected a non-negative integer, got " + std::to_string(d));
        out = static_cast<std::uint64_t>(d);
        break;
      }
      case element_type::STRING: {
        std::string_view text = value.get_string().value_unsafe();
        if (!internal::parse_uint64(text, out))
          return fail("expected a decimal unsigned integer string, got \"" + excerpt(text) + "\"");
        break;
      }
      default:
        return fail("expected an integer, got " + type_name(value));
    }
    if (out > max)
      return fail("integer " + std::to_string(out) + " out of range");
    return {};
  }

  // The start of a bad value, for messages; never more than 40 bytes of it.
  static std::string excerpt(std::string_view text) {
    std::string e;
    core::append_json_string(e, text.substr(0, 40), core::JsonEscape::kShortForms);
    e = e.substr(1, e.size() - 2);
    if (text.size() > 40)
      e += "...";
    return e;
  }

  core::Status read_scalar(element value, const FieldDescriptor& f, Scalar& out) const {
    using Limits32 = std::numeric_limits<std::int32_t>;
    switch (f.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        return read_signed(value, Limits32::min(), Limits32::max(), out.i64);
      case FieldDescriptor::CPPTYPE_INT64:
        return read_signed(value, std::numeric_limits<std::int64_t>::min(),
                           std::numeric_limits<std::int64_t>::max(), out.i64);
      case FieldDescriptor::CPPTYPE_UINT32:
        return read_unsigned(value, std::numeric_limits<std::uint32_t>::max(), out.u64);
      case FieldDescriptor::CPPTYPE_UINT64:
        return read_unsigned(value, std::numeric_limits<std::uint64_t>::max(), out.u64);
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT:
        switch (value.type()) {
          case element_type::INT64:
            out.f64 = static_cast<double>(value.get_int64().value_unsafe());
            return {};
          case element_type::UINT64:
            out.f64 = static_cast<double>(value.get_uint64().value_unsafe());
            return {};
          case element_type::DOUBLE:
            out.f64 = value.get_double().value_unsafe();
            return {};
          case element_type::STRING: {
            std::string_view text = value.get_string().value_unsafe();
            if (!internal::parse_double(text, out.f64))
              return fail("expected a number, \"NaN\", \"Infinity\" or \"-Infinity\", got \"" +
                          excerpt(text) + "\"");
            return {};
          }
          default:
            return fail("expected a number, got " + type_name(value));
        }
      case FieldDescriptor::CPPTYPE_BOOL:
        if (value.type() != element_type::BOOL)
          return fail("expected true or false, got " + type_name(value));
        out.b = value.get_bool().value_unsafe();
        return {};
      case FieldDescriptor::CPPTYPE_ENUM: {
        // OTLP/JSON writes enums as integers; the proto3 JSON names are accepted too.
        if (value.type() == element_type::STRING &&
            !internal::parse_int64(value.get_string().value_unsafe(), out.i64)) {
          std::string_view name = value.get_string().value_unsafe();
          const EnumValueDescriptor* ev =
              f.enum_type()->FindValueByName(std::string(name.substr(0, 128)));
          if (ev == nullptr || name.size() > 128)
            return fail("unknown " + f.enum_type()->name() + " value \"" + excerpt(name) + "\"");
          out.i64 = ev->number();
          return {};
        }
        return read_signed(value, Limits32::min(), Limits32::max(), out.i64);
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        if (value.type() != element_type::STRING)
          return fail("expected a string, got " + type_name(value));
        std::string_view text = value.get_string().value_unsafe();
        core::Status s = check_string(text);
        if (!s.ok())
          return s;
        if (f.type() == FieldDescriptor::TYPE_STRING) {
          out.bytes.assign(text);
          return {};
        }
        if (const std::size_t id_size = internal::id_field_size(f); id_size != 0) {
          return read_id(text, id_size, out.bytes);
        }
        std::size_t bad = 0;
        if (!internal::decode_base64(text, out.bytes, bad))
          return fail("invalid base64 at offset " + std::to_string(bad));
        return {};
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        break;
    }
    return fail("unsupported field type");
  }

  // trace_id / span_id / parent_span_id: hex of exactly the id's size, in either case, or
  // "" for an id that is not set.
  core::Status read_id(std::string_view text, std::size_t size, std::string& out) const {
    out.clear();
    if (text.empty())
      return {};
    if (text.size() != 2 * size) {
      return fail("expected " + std::to_string(2 * size) + " hex characters, got " +
                  std::to_string(text.size()));
    }
    std::uint8_t bytes[16];
    const int bad =
        core::internal::decode_hex(text, std::span<std::uint8_t>(bytes, size), core::HexCase::kAny);
    if (bad >= 0)
      return fail("invalid hex character at offset " + std::to_string(bad));
    out.assign(reinterpret_cast<const char*>(bytes), size);
    return {};
  }

  static void set_scalar(Message& m, const Reflection& r, const FieldDescriptor& f, Scalar& v) {
    switch (f.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        r.SetInt32(&m, &f, static_cast<std::int32_t>(v.i64));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        r.SetInt64(&m, &f, v.i64);
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        r.SetUInt32(&m, &f, static_cast<std::uint32_t>(v.u64));
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        r.SetUInt64(&m, &f, v.u64);
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        r.SetDouble(&m, &f, v.f64);
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        r.SetFloat(&m, &f, static_cast<float>(v.f64));
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        r.SetBool(&m, &f, v.b);
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        r.SetEnumValue(&m, &f, static_cast<int>(v.i64));
        break;
      case FieldDescriptor::CPPTYPE_STRING:
        r.SetString(&m, &f, std::move(v.bytes));
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        break;
    }
  }

  static void add_scalar(Message& m, const Reflection& r, const FieldDescriptor& f, Scalar& v) {
    switch (f.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        r.AddInt32(&m, &f, static_cast<std::int32_t>(v.i64));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        r.AddInt64(&m, &f, v.i64);
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        r.AddUInt32(&m, &f, static_cast<std::uint32_t>(v.u64));
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        r.AddUInt64(&m, &f, v.u64);
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        r.AddDouble(&m, &f, v.f64);
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        r.AddFloat(&m, &f, static_cast<float>(v.f64));
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        r.AddBool(&m, &f, v.b);
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        r.AddEnumValue(&m, &f, static_cast<int>(v.i64));
        break;
      case FieldDescriptor::CPPTYPE_STRING:
        r.AddString(&m, &f, std::move(v.bytes));
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        break;
    }
  }

  const DecodeLimits& limits_;
  std::vector<PathStep> path_;
};

}  // namespace

core::Status decode_json_message(std::string_view text, google::protobuf::Message& out,
                                 const DecodeLimits& limits) {
  out.Clear();
  if (text.size() > limits.max_message_bytes) {
    return core::Status(core::StatusCode::kResourceExhausted,
                        "json: " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                            std::to_string(limits.max_message_bytes));
  }
  // Each message level is an object, and a repeated field adds an array between two.
  // (Clamped so that an "unlimited" max_depth cannot overflow.)
  const std::size_t json_depth = 2 * std::min<std::size_t>(limits.max_depth, 1 << 20) + 2;
  // Parsing needs buffers several times the document's size and a copy of the document
  // with padding after it. Each thread keeps both for documents up to kReusedBytes, so a
  // stream of export requests does not allocate them every time; a larger document gets
  // buffers of its own, freed on return, so that one huge request does not pin its memory
  // to the thread.
  constexpr std::size_t kReusedBytes = 1024 * 1024;
  thread_local simdjson::dom::parser reused_parser;
  thread_local std::string reused_copy;
  simdjson::dom::parser own_parser;
  const bool reuse = text.size() <= kReusedBytes;
  simdjson::dom::parser& parser = reuse ? reused_parser : own_parser;
  if ((parser.capacity() < text.size() || parser.max_depth() != json_depth) &&
      parser.allocate(std::max(text.size(), parser.capacity()), json_depth) != simdjson::SUCCESS) {
    return core::Status(
        core::StatusCode::kResourceExhausted,
        "json: cannot allocate a parser for " + std::to_string(text.size()) + " bytes");
  }
  element root;
  simdjson::error_code error;
  if (reuse) {
    reused_copy.assign(text);
    reused_copy.resize(text.size() + simdjson::SIMDJSON_PADDING);
    error = parser.parse(reused_copy.data(), text.size(), false).get(root);
  } else {
    error = parser.parse(text.data(), text.size(), true).get(root);
  }
  if (error == simdjson::DEPTH_ERROR) {
    return core::Status(core::StatusCode::kResourceExhausted,
                        "json: nesting deeper than the limit of " + std::to_string(json_depth) +
                            " objects and arrays");
  }
  if (error != simdjson::SUCCESS)
    return core::invalid_argument(std::string("json: ") + simdjson::error_message(error));
  JsonReader reader(limits);
  return reader.read_root(root, out);
}

}  // namespace edgetrace::otlp
