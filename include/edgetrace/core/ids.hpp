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

namespace internal {
// The state of this thread's span-id generator (see random_span_ids): a 128-bit Lehmer
// generator, odd once seeded; zero before the thread's first id and in a child after fork().
struct SpanIdState {
  std::uint64_t lo;
  std::uint64_t hi;
};
extern constinit thread_local SpanIdState t_span_ids;
// Seeds this thread's state from its xoshiro256** generator (itself seeded from getrandom).
[[gnu::cold]] void seed_span_ids() noexcept;
// Draws again when a draw came out zero (about once in 2^64 ids).
[[gnu::cold]] void redraw_span_ids(TraceId* trace, SpanId& span) noexcept;
}  // namespace internal

// A new span's ids in one call, cheaper than two random(): a random span id, and a random
// trace id too when `trace` is not null (a root span). Both valid (non-zero).
//
// Ids come from a per-thread Lehmer (multiplicative congruential) generator with 128 bits
// of state and the 64-bit multiplier 0xda942042e4dd58b5, returning the state's high 64 bits
// (D. Lemire, "The fastest conventional random number generator that can pass Big Crush?",
// 2019; the multiplier is PCG's "cheap multiplier"): one multiply per 64 bits. Inline, so
// that a span's start pays no call for it.
inline void random_span_ids(TraceId* trace, SpanId& span) noexcept {
  __extension__ typedef unsigned __int128 U128;
  constexpr std::uint64_t kMultiplier = 0xda942042e4dd58b5ULL;
  internal::SpanIdState& s = internal::t_span_ids;
  if ((s.lo & 1) == 0) [[unlikely]]
    internal::seed_span_ids();
  // One step: the state times the multiplier, modulo 2^128. The empty asm keeps the
  // compiler from folding two or three steps into products by the multiplier's powers,
  // which are 128-bit and cost more than the steps.
  std::uint64_t lo = s.lo;
  std::uint64_t hi = s.hi;
  const auto step = [&lo, &hi]() noexcept {
    const U128 low = static_cast<U128>(lo) * kMultiplier;
    lo = static_cast<std::uint64_t>(low);
    hi = hi * kMultiplier + static_cast<std::uint64_t>(low >> 64);
    __asm__("" : "+r"(lo), "+r"(hi));
    return hi;
  };
  const std::uint64_t id = step();
  std::uint64_t t0 = 1;
  std::uint64_t t1 = 0;
  if (trace != nullptr) {
    t0 = step();
    t1 = step();
  }
  s.lo = lo;
  s.hi = hi;
  if (id == 0 || (t0 | t1) == 0) [[unlikely]] {
    internal::redraw_span_ids(trace, span);
    return;
  }
  static_assert(sizeof(SpanId) == 8 && sizeof(TraceId) == 16);
  __builtin_memcpy(static_cast<void*>(&span), &id, 8);
  if (trace != nullptr) {
    __builtin_memcpy(static_cast<void*>(trace), &t0, 8);
    __builtin_memcpy(static_cast<void*>(reinterpret_cast<std::uint8_t*>(trace) + 8), &t1, 8);
  }
}

}  // namespace edgetrace::core
