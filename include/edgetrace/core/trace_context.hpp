// W3C Trace Context (Level 2): the `traceparent` and `tracestate` headers.
//
//   Result<TraceParent> tp = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-"
//                                               "00f067aa0ba902b7-01");
//   char buf[kTraceParentSize];
//   format_traceparent(*tp, buf);               // no allocation
//
//   Result<TraceState> ts = TraceState::parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
//   ts->set("edgetrace", "s1").ignore();        // new/updated members move to the front
//   std::string header = ts->to_header();       // truncated to 512 characters if needed
//
//   SpanContext ctx = extract_trace_context(traceparent, tracestate).value_or(SpanContext{});
//
// Rules (W3C Trace Context Level 2):
//  - version `ff` is invalid; version `00` must be exactly 55 characters; a higher version
//    must be at least 55 characters, its known fields are parsed and anything after the
//    flags must start with '-' and is ignored;
//  - hex must be lowercase; all-zero trace-id or parent-id is invalid;
//  - flags: sampled (0x01) and random (0x02) are kept; other bits are reserved and are
//    written as zero when the header is formatted (always as version 00);
//  - tracestate: at most 32 list-members; keys `(lcalpha / DIGIT) 0*255(keychar)` where a
//    keychar may be "@" (Level 2: "tenant@system" is one valid form among others); a
//    duplicated key keeps its left-most member; empty members and OWS are allowed; with a
//    version-00 traceparent one invalid member discards the whole tracestate, with a higher
//    version the valid members are kept; when formatting exceeds 512 characters, members
//    over 128 characters are removed first, then members from the end;
//  - tracestate is ignored when traceparent is invalid.
//
// Thread-safety: all types are values. Parsing never throws, never reads past the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/core/result.hpp"

namespace edgetrace::core {

struct TraceFlags {
  static constexpr std::uint8_t kSampled = 0x01;
  static constexpr std::uint8_t kRandom = 0x02;
  static constexpr std::uint8_t kKnown = kSampled | kRandom;

  std::uint8_t bits = 0;

  constexpr bool sampled() const noexcept { return (bits & kSampled) != 0; }
  constexpr bool random() const noexcept { return (bits & kRandom) != 0; }
  constexpr TraceFlags with_sampled(bool on) const noexcept {
    return {static_cast<std::uint8_t>(on ? (bits | kSampled) : (bits & ~kSampled))};
  }
  friend constexpr bool operator==(TraceFlags, TraceFlags) noexcept = default;
};

// The parsed fields of a traceparent header.
struct TraceParent {
  std::uint8_t version = 0;
  TraceId trace_id;
  SpanId parent_id;
  TraceFlags flags;

  friend bool operator==(const TraceParent&, const TraceParent&) noexcept = default;
};

inline constexpr std::size_t kTraceParentSize = 55;

// Parses a traceparent header value. Errors name the rule broken and the offset.
Result<TraceParent> parse_traceparent(std::string_view header);

// Writes the version-00 form (55 characters, no terminator) into `out`; reserved flag bits
// are written as zero. Never allocates.
void format_traceparent(const TraceParent& tp, std::span<char, kTraceParentSize> out) noexcept;
std::string format_traceparent(const TraceParent& tp);

// An ordered tracestate list. The left-most member belongs to the system that wrote the
// traceparent.
class TraceState {
 public:
  static constexpr std::size_t kMaxMembers = 32;
  static constexpr std::size_t kMaxKeySize = 256;
  static constexpr std::size_t kMaxValueSize = 256;
  static constexpr std::size_t kMaxHeaderSize = 512;    // what to_header() keeps
  static constexpr std::size_t kLargeMemberSize = 128;  // removed first when truncating

  using Member = std::pair<std::string, std::string>;

  TraceState() = default;

  // What parse() does with a member that breaks the grammar (or with members past 32).
  enum class InvalidMembers : std::uint8_t {
    kDiscardHeader,  // the whole header is invalid (an error)
    kSkip,           // keep the valid members, skip the others, keep the first 32
  };

  // Parses a (possibly comma-combined) tracestate header. A duplicated key keeps its
  // left-most member (duplicates_dropped() counts the others); invalid members and more
  // than 32 list-members are handled as `invalid` says.
  static Result<TraceState> parse(std::string_view header,
                                  InvalidMembers invalid = InvalidMembers::kDiscardHeader);

  static bool valid_key(std::string_view key) noexcept;
  static bool valid_value(std::string_view value) noexcept;

  // Adds or updates `key`, moving it to the front. When that makes 33 members, the
  // right-most one is removed. Invalid key or value: error, list unchanged.
  Status set(std::string_view key, std::string_view value);
  // Removes `key`; returns whether it was present.
  bool erase(std::string_view key);
  std::optional<std::string_view> get(std::string_view key) const;

  const std::vector<Member>& members() const noexcept { return members_; }
  bool empty() const noexcept { return members_.empty(); }
  std::size_t size() const noexcept { return members_.size(); }
  // Members parse() dropped because their key appeared earlier in the header.
  std::size_t duplicates_dropped() const noexcept { return duplicates_dropped_; }

  // The header value, at most kMaxHeaderSize characters (whole members are dropped).
  std::string to_header() const;

  friend bool operator==(const TraceState& a, const TraceState& b) {
    return a.members_ == b.members_;
  }

 private:
  std::vector<Member> members_;
  std::size_t duplicates_dropped_ = 0;
};

// What a span's identity is, as propagated between processes.
struct SpanContext {
  TraceId trace_id;
  SpanId span_id;
  TraceFlags flags;
  TraceState state;
  bool remote = false;

  bool valid() const noexcept { return trace_id.valid() && span_id.valid(); }
  bool sampled() const noexcept { return flags.sampled(); }

  friend bool operator==(const SpanContext&, const SpanContext&) = default;
};

// Extracts a remote SpanContext from the two headers. An invalid traceparent is an error
// (and tracestate is not looked at); an invalid tracestate is discarded and does not
// affect the result, as the recommendation requires. With a traceparent version above 00,
// the tracestate's valid members are kept even when others are invalid.
Result<SpanContext> extract_trace_context(std::string_view traceparent,
                                          std::string_view tracestate);

}  // namespace edgetrace::core
