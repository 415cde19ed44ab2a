// Protobuf encoding and decoding, with a precise explanation of malformed input.
//
// The generated parser only says "failed". When it does, a second pass walks the bytes with
// the message's descriptor and reports the first problem it finds: which field (as a path
// of proto field names), at which byte offset, and what is wrong. The second pass runs only
// on failure, so valid input costs nothing extra.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/message.h>
#include <google/protobuf/stubs/logging.h>

#include "edgetrace/core/utf8.hpp"
#include "edgetrace/otlp/codec.hpp"

namespace edgetrace::otlp {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// Walks protobuf bytes with a descriptor to find the first malformed spot.
class WireExplainer {
 public:
  WireExplainer(std::string_view bytes, std::size_t max_depth)
      : base_(reinterpret_cast<const std::uint8_t*>(bytes.data())), max_depth_(max_depth) {}

  // Returns "" when nothing wrong was found.
  std::string explain(const Descriptor& d, std::size_t size) {
    walk(&d, base_, base_ + size, 1);
    return problem_;
  }

 private:
  struct Step {
    const FieldDescriptor* field;  // null for unknown fields
    int number;
    int index;  // element index for repeated fields, -1 otherwise
  };

  std::string where() const {
    std::string p;
    for (const Step& s : path_) {
      if (!p.empty())
        p += '.';
      p += s.field != nullptr ? s.field->name() : "<field " + std::to_string(s.number) + ">";
      if (s.index >= 0)
        p += "[" + std::to_string(s.index) + "]";
    }
    return p.empty() ? "top level" : p;
  }

  bool report(const std::uint8_t* at, const std::string& what) {
    problem_ = where() + " (byte offset " + std::to_string(at - base_) + "): " + what;
    return false;
  }

  // Reads a varint; false when truncated or longer than 10 bytes.
  static bool varint(const std::uint8_t*& p, const std::uint8_t* end, std::uint64_t& v) {
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

  static bool wire_type_matches(const FieldDescriptor& f, std::uint32_t wire_type) {
    if (f.is_packable() && wire_type == 2)
      return true;
    switch (f.type()) {
      case FieldDescriptor::TYPE_DOUBLE:
      case FieldDescriptor::TYPE_FIXED64:
      case FieldDescriptor::TYPE_SFIXED64:
        return wire_type == 1;
      case FieldDescriptor::TYPE_FLOAT:
      case FieldDescriptor::TYPE_FIXED32:
      case FieldDescriptor::TYPE_SFIXED32:
        return wire_type == 5;
      case FieldDescriptor::TYPE_STRING:
      case FieldDescriptor::TYPE_BYTES:
      case FieldDescriptor::TYPE_MESSAGE:
        return wire_type == 2;
      case FieldDescriptor::TYPE_GROUP:
        return wire_type == 3;
      default:
        return wire_type == 0;
    }
  }

  // Returns false (with problem_ set) at the first malformed spot. `end_group` is the
  // field number of the group being read, or 0 for a length-delimited message.
  bool walk(const Descriptor* d, const std::uint8_t* p, const std::uint8_t* end, std::size_t depth,
            int end_group = 0) {
    if (depth > max_depth_)
      return report(p, "messages nested deeper than the limit of " + std::to_string(max_depth_));
    std::vector<int> counts(d != nullptr ? static_cast<std::size_t>(d->field_count()) : 0, 0);
    while (p < end) {
      const std::uint8_t* tag_at = p;
      std::uint64_t tag = 0;
      if (!varint(p, end, tag) || tag > std::numeric_limits<std::uint32_t>::max())
        return report(tag_at, "truncated or malformed field tag");
      const auto number = static_cast<int>(tag >> 3);
      const auto wire_type = static_cast<std::uint32_t>(tag & 7);
      if (number == 0)
        return report(tag_at, "field number 0 is invalid");
      const FieldDescriptor* named = d != nullptr ? d->FindFieldByNumber(number) : nullptr;
      int index = -1;
      if (named != nullptr && named->is_repeated())
        index = counts[static_cast<std::size_t>(named->index())]++;
      path_.push_back(Step{named, number, index});
      // With another wire type than its declaration the parser keeps the field as unknown
      // bytes, so its content is not checked against the declared type.
      const FieldDescriptor* f =
          named != nullptr && wire_type_matches(*named, wire_type) ? named : nullptr;
      switch (wire_type) {
        case 0: {
          std::uint64_t v = 0;
          if (!varint(p, end, v))
            return report(tag_at, "truncated or malformed varint");
          break;
        }
        case 1:
          if (end - p < 8)
            return report(tag_at, "truncated 64-bit value");
          p += 8;
          break;
        case 5:
          if (end - p < 4)
            return report(tag_at, "truncated 32-bit value");
          p += 4;
          break;
        case 2: {
          std::uint64_t len = 0;
          if (!varint(p, end, len))
            return report(tag_at, "truncated or malformed length");
          if (len > static_cast<std::uint64_t>(end - p)) {
            return report(tag_at, "length " + std::to_string(len) + " exceeds the " +
                                      std::to_string(end - p) + " bytes left");
          }
          const std::uint8_t* field_end = p + len;
          if (f != nullptr && f->type() == FieldDescriptor::TYPE_MESSAGE) {
            if (!walk(f->message_type(), p, field_end, depth + 1))
              return false;
          } else if (f != nullptr && f->type() == FieldDescriptor::TYPE_STRING) {
            std::string_view s(reinterpret_cast<const char*>(p), len);
            const std::size_t bad = core::find_invalid_utf8(s);
            if (bad != std::string_view::npos)
              return report(p + bad, "invalid UTF-8 in a string field");
          } else if (f != nullptr && f->is_packable()) {
            if (!check_packed(*f, p, field_end))
              return report(tag_at, "malformed packed repeated field");
          }
          p = field_end;
          break;
        }
        case 3:
          if (!walk(nullptr, p, end, depth + 1, number))
            return false;
          p = group_end_;
          break;
        case 4:
          if (end_group == number) {
            path_.pop_back();
            group_end_ = p;
            return true;
          }
          return report(tag_at, "unexpected end-group tag");
        default:
          return report(tag_at, "invalid wire type " + std::to_string(wire_type));
      }
      path_.pop_back();
    }
    if (end_group != 0)
      return report(p, "group without its end-group tag");
    return true;
  }

  static bool check_packed(const FieldDescriptor& f, const std::uint8_t* p,
                           const std::uint8_t* end) {
    const auto len = end - p;
    switch (f.type()) {
      case FieldDescriptor::TYPE_DOUBLE:
      case FieldDescriptor::TYPE_FIXED64:
      case FieldDescriptor::TYPE_SFIXED64:
        return len % 8 == 0;
      case FieldDescriptor::TYPE_FLOAT:
      case FieldDescriptor::TYPE_FIXED32:
      case FieldDescriptor::TYPE_SFIXED32:
        return len % 4 == 0;
      default:
        while (p < end) {
          std::uint64_t v = 0;
          if (!varint(p, end, v))
            return false;
        }
        return true;
    }
  }

  const std::uint8_t* base_;
  std::size_t max_depth_;
  std::vector<Step> path_;
  const std::uint8_t* group_end_ = nullptr;
  std::string problem_;
};

}  // namespace

void encode_protobuf_message(const google::protobuf::Message& message, std::string& out) {
  // Messages are proto3 without required fields, so serialization cannot fail short of
  // the 2 GiB limit of the format, which DecodeLimits and batching keep far away.
  message.AppendToString(&out);
}

core::Status decode_protobuf_message(std::string_view bytes, google::protobuf::Message& out,
                                     const DecodeLimits& limits) {
  out.Clear();
  const std::string& name = out.GetDescriptor()->name();
  // The protobuf library reads at most 2 GiB - 1 in one message whatever the limit says.
  constexpr std::size_t kIntMax = static_cast<std::size_t>(std::numeric_limits<int>::max());
  const std::size_t max_bytes = std::min(limits.max_message_bytes, kIntMax);
  if (bytes.size() > max_bytes) {
    return core::Status(core::StatusCode::kResourceExhausted,
                        "protobuf: " + name + ": " + std::to_string(bytes.size()) +
                            " bytes exceeds the limit of " + std::to_string(max_bytes));
  }
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                               static_cast<int>(bytes.size()));
  // The generated parser counts the top-level message as one level fewer than we do.
  input.SetRecursionLimit(
      static_cast<int>(std::min(limits.max_depth > 0 ? limits.max_depth - 1 : 0, kIntMax)));
  bool parsed = false;
  {
    // The parser logs malformed strings (invalid UTF-8) to stderr itself. A receiver would
    // print a line per hostile request; the Status below carries the same facts instead.
    // The silencer is process-wide while it lives, so it is held only around the parse.
    google::protobuf::LogSilencer quiet;
    parsed = out.ParseFromCodedStream(&input) && input.ConsumedEntireMessage();
  }
  if (parsed)
    return {};
  WireExplainer explainer(bytes, limits.max_depth);
  std::string problem = explainer.explain(*out.GetDescriptor(), bytes.size());
  if (problem.empty())
    problem = "malformed message of " + std::to_string(bytes.size()) + " bytes";
  const bool too_deep = problem.find("nested deeper") != std::string::npos;
  return core::Status(
      too_deep ? core::StatusCode::kResourceExhausted : core::StatusCode::kInvalidArgument,
      "protobuf: " + name + ": " + problem);
}

}  // namespace edgetrace::otlp
