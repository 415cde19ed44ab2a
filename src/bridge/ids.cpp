#include "edgetrace/bridge/ids.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace edgetrace::bridge {
namespace {

// Longest label + 0x00 + length byte + device id + two 8-byte integers.
constexpr std::size_t kMaxInput = 32 + 1 + 1 + 255 + 16;

std::array<std::uint8_t, SHA256_DIGEST_LENGTH> digest(std::string_view label,
                                                      std::span<const std::uint8_t> device,
                                                      std::uint64_t boot, std::uint64_t n) {
  std::array<std::uint8_t, kMaxInput> in{};
  std::size_t size = 0;
  for (char c : label)
    in[size++] = static_cast<std::uint8_t>(c);
  in[size++] = 0;
  const std::size_t device_size = std::min<std::size_t>(device.size(), 255);
  in[size++] = static_cast<std::uint8_t>(device_size);
  std::copy_n(device.begin(), device_size, in.begin() + static_cast<std::ptrdiff_t>(size));
  size += device_size;
  for (std::uint64_t v : {boot, n})
    for (int shift = 56; shift >= 0; shift -= 8)
      in[size++] = static_cast<std::uint8_t>(v >> shift);
  std::array<std::uint8_t, SHA256_DIGEST_LENGTH> out{};
  SHA256(in.data(), size, out.data());
  return out;
}

template <typename Id>
Id id_from(const std::array<std::uint8_t, SHA256_DIGEST_LENGTH>& d) {
  std::array<std::uint8_t, Id::kSize> bytes{};
  std::copy_n(d.begin(), Id::kSize, bytes.begin());
  if (std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; }))
    bytes.back() = 1;
  return Id(bytes);
}

}  // namespace

core::TraceId derive_trace_id(std::span<const std::uint8_t> device_id, std::uint64_t boot_counter,
                              std::uint64_t root_span) noexcept {
  return id_from<core::TraceId>(digest("edgetrace.trace.v1", device_id, boot_counter, root_span));
}

core::SpanId derive_span_id(std::span<const std::uint8_t> device_id, std::uint64_t boot_counter,
                            std::uint64_t span) noexcept {
  return id_from<core::SpanId>(digest("edgetrace.span.v1", device_id, boot_counter, span));
}

}  // namespace edgetrace::bridge
