// TraceId (16 bytes) and SpanId (8 bytes), and their random generation.
//
//   TraceId t = TraceId::random();            // never all-zero
//   std::string hex = t.to_hex();             // 32 lowercase hex characters
//   Result<SpanId> s = SpanId::from_hex("00f067aa0ba902b7");
//
// An all-zero id is invalid (W3C Trace Context, OTLP). Text form is lowercase hex;
// from_hex() rejects uppercase unless HexCase::kAny is passed (OTLP/JSON input accepts
// either case).
//
// Random ids come from a per-thread xoshiro256** generator seeded once per thread from
// the OS (getrandom), and re-seeded in a child after fork() so parent and child never
// produce the same ids. Generation is lock-free and allocation-free.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "edgetrace/core/result.hpp"

namespace edgetrace::core {

enum class HexCase : std::uint8_t {
  kLowerOnly,  // W3C headers: uppercase hex is invalid
  kAny,        // OTLP/JSON input: case-insensitive
};

// Any bytes as lowercase hex (build-ids, device ids).
std::string to_hex(std::span<const std::uint8_t> bytes);
// The same for bytes held in a string (protobuf bytes fields).
std::string to_hex(std::string_view bytes);

namespace internal {
// Decodes 2*out.size() hex characters from `text` into `out`. Returns the offset of the
// first bad character, or -1 when all are valid.
int decode_hex(std::string_view text, std::span<std::uint8_t> out, HexCase hex_case) noexcept;
void encode_hex(std::span<const std::uint8_t> in, char* out) noexcept;
// Uniform 64-bit random value from this thread's generator; thread-safe, never blocks.
std::uint64_t random_u64() noexcept;
// Fills `out` with random bytes that are not all zero (a valid id).
void fill_random_nonzero(std::span<std::uint8_t> out) noexcept;
}  // namespace internal

// A fixed-size binary identifier. N is 16 for TraceId and 8 for SpanId.
template <std::size_t N>
class ByteId {
 public:
  static constexpr std::size_t kSize = N;
  static constexpr std::size_t kHexSize = 2 * N;

  // The invalid (all-zero) id.
  constexpr ByteId() noexcept = default;
  constexpr explicit ByteId(const std::array<std::uint8_t, N>& bytes) noexcept : bytes_(bytes) {}
  explicit ByteId(std::span<const std::uint8_t, N> bytes) noexcept {
    for (std::size_t i = 0; i < N; ++i)
      bytes_[i] = bytes[i];
  }

  // Parses exactly kHexSize hex characters.
  static Result<ByteId> from_hex(std::string_view text, HexCase hex_case = HexCase::kLowerOnly) {
    if (text.size() != kHexSize) {
      return invalid_argument("expected " + std::to_string(kHexSize) + " hex characters, got " +
                              std::to_string(text.size()));
    }
    ByteId id;
    int bad = internal::decode_hex(text, id.bytes_, hex_case);
    if (bad >= 0) {
      return invalid_argument(
          std::string(hex_case == HexCase::kLowerOnly ? "expected lowercase hex" : "expected hex") +
          " at offset " + std::to_string(bad));
    }
    return id;
  }

  // A random, valid (non-zero) id.
  static ByteId random() noexcept {
    ByteId id;
    internal::fill_random_nonzero(id.bytes_);
    return id;
  }

  constexpr bool valid() const noexcept {
    for (std::uint8_t b : bytes_) {
      if (b != 0)
        return true;
    }
    return false;
  }

  constexpr const std::array<std::uint8_t, N>& bytes() const noexcept { return bytes_; }

  // Writes kHexSize lowercase hex characters to `out` (no terminator).
  void write_hex(char* out) const noexcept { internal::encode_hex(bytes_, out); }
  std::string to_hex() const {
    std::string s(kHexSize, '\0');
    write_hex(s.data());
    return s;
  }

  friend constexpr bool operator==(const ByteId&, const ByteId&) noexcept = default;
  friend constexpr auto operator<=>(const ByteId&, const ByteId&) noexcept = default;

 private:
  std::array<std::uint8_t, N> bytes_{};
};

using TraceId = ByteId<16>;
using SpanId = ByteId<8>;

// A new span's ids in one call, cheaper than two random(): a random span id, and a random
// trace id too when `trace` is not null (a root span). Both valid (non-zero).
void random_span_ids(TraceId* trace, SpanId& span) noexcept;

}  // namespace edgetrace::core
