// Byte-level encoders shared by the device library and its C++ front end (device.hpp),
// see docs/wire-format.md. Freestanding; each writes at most the bytes stated.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace edgetrace::device::internal {

// Unsigned LEB128, general case: at most 5 / 10 bytes.
__attribute__((noinline)) inline uint8_t* put_varint32_long(uint8_t* p, uint32_t v) noexcept {
  while (v >= 0x80u) {
    *p++ = static_cast<uint8_t>(v | 0x80u);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}

__attribute__((noinline)) inline uint8_t* put_varint64_long(uint8_t* p, uint64_t v) noexcept {
  while (v >= 0x80u) {
    *p++ = static_cast<uint8_t>(v | 0x80u);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}

// Inline for the common one-byte case (small ids, deltas and arguments), out of line
// otherwise: keeps the log path short without growing every caller.
__attribute__((always_inline)) inline uint8_t* put_varint32(uint8_t* p, uint32_t v) noexcept {
  if (v < 0x80u) {
    *p = static_cast<uint8_t>(v);
    return p + 1;
  }
  return put_varint32_long(p, v);
}

__attribute__((always_inline)) inline uint8_t* put_varint64(uint8_t* p, uint64_t v) noexcept {
  if (v < 0x80u) {
    *p = static_cast<uint8_t>(v);
    return p + 1;
  }
  return put_varint64_long(p, v);
}

inline uint32_t zigzag32(int32_t v) noexcept {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}

inline uint64_t zigzag64(int64_t v) noexcept {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

// Accepts a null src when n is 0 (empty strings, absent device id).
inline void copy_bytes(uint8_t* dst, const void* src, size_t n) noexcept {
  if (n != 0) {
    __builtin_memcpy(dst, src, n);
  }
}

}  // namespace edgetrace::device::internal
