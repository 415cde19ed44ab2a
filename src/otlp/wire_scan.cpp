// scan_protobuf(): validates and counts an OTLP Export request on the wire, without
// building the message, for the receivers' pass-through of received bytes.
//
// The rules mirror the generated parser (protobuf 3.21, proto3), as WireExplainer in
// protobuf_codec.cpp does for error messages: a tag is a varint of at most 32 bits whose
// field number is not 0; wire types 0, 1, 2, 5 carry a varint, 8 bytes, a length-prefixed
// run, 4 bytes; a declared message field is parsed recursively (depth counted as
// DecodeLimits::max_depth counts it); a declared `string` field must be valid UTF-8 (proto3);
// a packed repeated scalar must hold whole values; unknown fields are skipped. Where the
// parser's behaviour is subtler (groups, a declared field arriving with another wire type,
// which the parser keeps as an unknown field), the scan gives up and the caller decodes:
// being stricter than the parser only costs a decode, being more lenient would let bytes the
// decoder refuses into the queue.
#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <vector>

#include "edgetrace/core/utf8.hpp"
#include "edgetrace/otlp/codec.hpp"

namespace edgetrace::otlp {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

enum class Kind : std::uint8_t {
  kUnknown,  // not declared: skipped whatever its wire type (groups excepted)
  kScalar,   // a varint, fixed32 or fixed64 with its declared wire type
  kPacked,   // a repeated scalar: its own wire type, or packed (2)
  kString,   // UTF-8 checked
  kBytes,
  kMessage,
};

struct FieldRule {
  Kind kind = Kind::kUnknown;
  std::uint8_t wire_type = 0;  // declared (for kPacked: the unpacked one)
  std::uint8_t fixed = 0;      // kPacked: element size for fixed types, 0 for varints
  bool severity = false;       // LogRecord.severity_number
  std::int32_t message = -1;   // kMessage: index of its MessageRules
};

constexpr FieldRule kUnknownField{};

struct MessageRules {
  std::vector<FieldRule> fields;  // by field number
  bool counted = false;           // a Span or a LogRecord: one item
};

std::uint8_t declared_wire_type(const FieldDescriptor& f) {
  switch (f.type()) {
    case FieldDescriptor::TYPE_DOUBLE:
    case FieldDescriptor::TYPE_FIXED64:
    case FieldDescriptor::TYPE_SFIXED64:
      return 1;
    case FieldDescriptor::TYPE_FLOAT:
    case FieldDescriptor::TYPE_FIXED32:
    case FieldDescriptor::TYPE_SFIXED32:
      return 5;
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES:
    case FieldDescriptor::TYPE_MESSAGE:
      return 2;
    case FieldDescriptor::TYPE_GROUP:
      return 3;
    default:
      return 0;
  }
}

// The tables of every message reachable from a request type, built once.
class Schema {
 public:
  explicit Schema(const Descriptor& root, const Descriptor& counted) : counted_(&counted) {
    add(root);
  }
  const MessageRules& rules(std::int32_t index) const {
    return messages_[static_cast<std::size_t>(index)];
  }

 private:
  std::int32_t add(const Descriptor& d) {
    if (auto it = index_.find(&d); it != index_.end())
      return it->second;
    const auto index = static_cast<std::int32_t>(messages_.size());
    index_.emplace(&d, index);
    messages_.emplace_back();
    MessageRules rules;
    rules.counted = &d == counted_;
    int max_number = 0;
    for (int i = 0; i < d.field_count(); ++i)
      max_number = std::max(max_number, d.field(i)->number());
    rules.fields.resize(static_cast<std::size_t>(max_number) + 1);
    for (int i = 0; i < d.field_count(); ++i) {
      const FieldDescriptor& f = *d.field(i);
      FieldRule& r = rules.fields[static_cast<std::size_t>(f.number())];
      r.wire_type = declared_wire_type(f);
      if (f.type() == FieldDescriptor::TYPE_MESSAGE) {
        r.kind = Kind::kMessage;
        r.message = add(*f.message_type());  // may reallocate messages_: assigned below
      } else if (f.type() == FieldDescriptor::TYPE_STRING) {
        r.kind = Kind::kString;
      } else if (f.type() == FieldDescriptor::TYPE_BYTES) {
        r.kind = Kind::kBytes;
      } else if (f.type() == FieldDescriptor::TYPE_GROUP) {
        r.kind = Kind::kUnknown;  // never in OTLP; a group makes the scan give up anyway
      } else {
        r.kind = f.is_packable() ? Kind::kPacked : Kind::kScalar;
        r.fixed = r.wire_type == 1 ? 8 : r.wire_type == 5 ? 4 : 0;
      }
      r.severity = rules.counted && f.name() == "severity_number" && r.wire_type == 0;
    }
    messages_[static_cast<std::size_t>(index)] = std::move(rules);
    return index;
  }

  const Descriptor* counted_;
  std::vector<MessageRules> messages_;
  std::map<const Descriptor*, std::int32_t> index_;
};

const Schema& traces_schema() {
  static const Schema schema(*TraceRequest::descriptor(),
                             *opentelemetry::proto::trace::v1::Span::descriptor());
  return schema;
}

const Schema& logs_schema() {
  static const Schema schema(*LogsRequest::descriptor(),
                             *opentelemetry::proto::logs::v1::LogRecord::descriptor());
  return schema;
}

// Valid UTF-8, with a fast pass over ASCII eight bytes at a time.
bool utf8_ok(const std::uint8_t* p, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, p + i, 8);
    if ((word & 0x8080808080808080ull) != 0)
      break;
  }
  for (; i < n && p[i] < 0x80; ++i) {
  }
  if (i == n)
    return true;
  return core::is_valid_utf8(std::string_view(reinterpret_cast<const char*>(p + i), n - i));
}

class Scanner {
 public:
  Scanner(const Schema& schema, std::size_t max_depth) : schema_(schema), max_depth_(max_depth) {}

  bool scan(const std::uint8_t* p, const std::uint8_t* end) { return walk(0, p, end, 1); }
  WireSummary summary() const { return summary_; }

 private:
  static bool varint(const std::uint8_t*& p, const std::uint8_t* end, std::uint64_t& v) {
    if (p != end && *p < 0x80) {
      v = *p++;
      return true;
    }
    v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (p == end)
        return false;
      const std::uint8_t b = *p++;
      v |= static_cast<std::uint64_t>(b & 0x7F) << (shift < 64 ? shift : 63);
      if ((b & 0x80) == 0)
        return shift < 63 || b <= 1;
    }
    return false;
  }

  // A tag or a length: at most 5 bytes and 32 bits (the parser reads both as 32-bit
  // varints; an overlong encoding is refused here, whatever the parser would do).
  static bool varint32(const std::uint8_t*& p, const std::uint8_t* end, std::uint32_t& v) {
    std::uint64_t value = 0;
    const std::uint8_t* start = p;
    if (!varint(p, end, value) || p - start > 5 ||
        value > std::numeric_limits<std::uint32_t>::max())
      return false;
    v = static_cast<std::uint32_t>(value);
    return true;
  }

  static bool packed_ok(const FieldRule& r, const std::uint8_t* p, const std::uint8_t* end) {
    const auto len = static_cast<std::size_t>(end - p);
    if (r.fixed != 0)
      return len % r.fixed == 0;
    while (p < end) {
      std::uint64_t v = 0;
      if (!varint(p, end, v))
        return false;
    }
    return true;
  }

  bool walk(std::int32_t message, const std::uint8_t* p, const std::uint8_t* end,
            std::size_t depth) {
    // The parser's limit is max_depth - 1 levels below the top one; one level less here
    // keeps the scan on the strict side of it.
    if (depth >= max_depth_)
      return false;
    const MessageRules& rules = schema_.rules(message);
    std::int64_t severity = 0;
    while (p < end) {
      std::uint32_t tag = 0;
      if (!varint32(p, end, tag))
        return false;
      const std::uint32_t number = tag >> 3;
      const auto wire_type = static_cast<std::uint8_t>(tag & 7);
      if (number == 0)
        return false;
      const FieldRule& r = number < rules.fields.size() ? rules.fields[number] : kUnknownField;
      if (r.kind != Kind::kUnknown && wire_type != r.wire_type &&
          !(r.kind == Kind::kPacked && wire_type == 2))
        return false;  // kept as an unknown field by the parser: let it decide
      switch (wire_type) {
        case 0: {
          std::uint64_t v = 0;
          if (!varint(p, end, v))
            return false;
          if (r.severity)
            severity = static_cast<std::int32_t>(v);  // the last occurrence wins
          break;
        }
        case 1:
          if (end - p < 8)
            return false;
          p += 8;
          break;
        case 5:
          if (end - p < 4)
            return false;
          p += 4;
          break;
        case 2: {
          std::uint32_t len = 0;
          if (!varint32(p, end, len) || len > static_cast<std::uint64_t>(end - p))
            return false;
          const std::uint8_t* field_end = p + len;
          switch (r.kind) {
            case Kind::kMessage:
              if (!walk(r.message, p, field_end, depth + 1))
                return false;
              break;
            case Kind::kString:
              if (!utf8_ok(p, static_cast<std::size_t>(len)))
                return false;
              break;
            case Kind::kPacked:
              if (!packed_ok(r, p, field_end))
                return false;
              break;
            default:
              break;
          }
          p = field_end;
          break;
        }
        default:
          return false;  // groups (3, 4) and the invalid wire types 6 and 7
      }
    }
    if (rules.counted) {
      ++summary_.items;
      summary_.max_severity = std::max(summary_.max_severity, static_cast<int>(severity));
    }
    return true;
  }

  const Schema& schema_;
  std::size_t max_depth_;
  WireSummary summary_;
};

}  // namespace

std::optional<WireSummary> scan_protobuf(std::string_view bytes, bool logs,
                                         const DecodeLimits& limits) {
  constexpr std::size_t kIntMax = static_cast<std::size_t>(std::numeric_limits<int>::max());
  if (bytes.size() > std::min(limits.max_message_bytes, kIntMax))
    return std::nullopt;
  Scanner scanner(logs ? logs_schema() : traces_schema(), limits.max_depth);
  const auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
  if (!scanner.scan(p, p + bytes.size()))
    return std::nullopt;
  return scanner.summary();
}

}  // namespace edgetrace::otlp
