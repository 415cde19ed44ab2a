// Byte-level encoders shared by the device library's sources (docs/wire-format.md).
// Freestanding; every function writes at most the bytes stated and returns the new end.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace edgetrace::device::internal {

// Unsigned LEB128: at most 5 bytes.
inline uint8_t* put_varint32(uint8_t* p, uint32_t v) noexcept {
  while (v >= 0x80u) {
    *p++ = static_cast<uint8_t>(v | 0x80u);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}

// Unsigned LEB128: at most 10 bytes.
inline uint8_t* put_varint64(uint8_t* p, uint64_t v) noexcept {
  while (v >= 0x80u) {
    *p++ = static_cast<uint8_t>(v | 0x80u);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
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
