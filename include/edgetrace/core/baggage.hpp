// W3C Baggage: the `baggage` header (key=value;properties, comma-separated).
//
//   Result<Baggage> b = Baggage::parse("userId=alice, serverNode=DF%2028;region=eu");
//   b->get("serverNode");          // "DF 28" (values are percent-decoded)
//   b->set("tenant", "a,b").ignore();
//   b->to_header();                // "userId=alice,serverNode=DF%2028;region=eu,tenant=a%2Cb"
//
// Grammar: list-member = key OWS "=" OWS value *( OWS ";" OWS property ), key is an RFC 7230
// token, value is baggage-octets with percent-encoding; property = key [OWS "=" OWS value].
// A malformed member makes the header invalid, with the offset in the error.
//
// Limits (W3C Baggage): at most 180 members, 4096 bytes per member and 8192 bytes in all.
// Members past a limit are dropped whole, never cut, and counted in dropped().
//
// Thread-safety: a value type. Parsing never throws and never reads past its input.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/core/result.hpp"

namespace edgetrace::core {

class Baggage {
 public:
  static constexpr std::size_t kMaxMembers = 180;
  static constexpr std::size_t kMaxMemberBytes = 4096;
  static constexpr std::size_t kMaxHeaderBytes = 8192;

  struct Entry {
    std::string key;
    std::string value;     // decoded
    std::string metadata;  // properties as written on the wire, e.g. "p1;k=v" (may be empty)
    friend bool operator==(const Entry&, const Entry&) = default;
  };

  Baggage() = default;

  static Result<Baggage> parse(std::string_view header);

  // Adds or replaces `key`. The key must be a token and the metadata valid properties;
  // the value may be any text (it is percent-encoded on output).
  Status set(std::string_view key, std::string_view value, std::string_view metadata = {});
  bool erase(std::string_view key);
  std::optional<std::string_view> get(std::string_view key) const;

  const std::vector<Entry>& entries() const noexcept { return entries_; }
  bool empty() const noexcept { return entries_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }
  // Members parse() dropped because of the limits.
  std::size_t dropped() const noexcept { return dropped_; }

  // The header value. Members that would break the limits are left out (whole); their
  // number is stored in `*left_out` when given.
  std::string to_header(std::size_t* left_out = nullptr) const;

 private:
  std::vector<Entry> entries_;
  std::size_t dropped_ = 0;
};

}  // namespace edgetrace::core
