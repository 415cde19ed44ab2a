#include "edgetrace/bridge/ids.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace edgetrace::bridge {
namespace {

// OpenSSL 3's one-shot SHA256() looks the algorithm up in the provider tables and
// allocates a digest context on every call, which cost more than the hash of one block
// itself: the algorithm is fetched once per process and each thread reuses one context.
const EVP_MD* sha256_md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct DigestContext {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  DigestContext() = default;
  DigestContext(const DigestContext&) = delete;
  DigestContext& operator=(const DigestContext&) = delete;
  ~DigestContext() { EVP_MD_CTX_free(ctx); }
};

void sha256(const std::uint8_t* data, std::size_t size, std::uint8_t* out) {
  thread_local DigestContext context;
  const EVP_MD* md = sha256_md();
  unsigned int length = 0;
  if (md == nullptr || context.ctx == nullptr ||
      EVP_DigestInit_ex2(context.ctx, md, nullptr) != 1 ||
      EVP_DigestUpdate(context.ctx, data, size) != 1 ||
      EVP_DigestFinal_ex(context.ctx, out, &length) != 1) {
    // Without a usable context (out of memory): the one-shot function.
    SHA256(data, size, out);
  }
}

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
  sha256(in.data(), size, out.data());
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
