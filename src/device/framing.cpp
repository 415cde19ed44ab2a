// Frame = COBS/R(record || crc16 || seq) || 0x00; see docs/wire-format.md "Frames".
#include <stddef.h>
#include <stdint.h>

#include "edgetrace/device/edgetrace.h"

namespace {

// CRC-16/CCITT-FALSE, nibble table: 32 bytes of flash instead of 512 for a byte table.
constexpr uint16_t kCrcNibble[16] = {0x0000, 0x1021, 0x2042, 0x3063, 0x4084, 0x50a5,
                                     0x60c6, 0x70e7, 0x8108, 0x9129, 0xa14a, 0xb16b,
                                     0xc18c, 0xd1ad, 0xe1ce, 0xf1ef};

}  // namespace

extern "C" uint16_t et_crc16(uint16_t crc, const uint8_t* data, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    crc = static_cast<uint16_t>((crc << 4) ^ kCrcNibble[((crc >> 12) ^ (data[i] >> 4)) & 0x0f]);
    crc = static_cast<uint16_t>((crc << 4) ^ kCrcNibble[((crc >> 12) ^ (data[i] & 0x0f)) & 0x0f]);
  }
  return crc;
}

extern "C" size_t et_frame_record(const uint8_t* record, size_t len, uint8_t* seq, uint8_t* out) {
  if (len == 0 || len > ETD_MAX_RECORD) {
    return 0;
  }
  const uint8_t seq_byte = static_cast<uint8_t>(0x80u | (*seq & 0x7fu));
  *seq = static_cast<uint8_t>((*seq + 1u) & 0x7fu);
  uint16_t crc = et_crc16(0xffff, record, len);
  crc = et_crc16(crc, &seq_byte, 1);
  const uint8_t trailer[3] = {static_cast<uint8_t>(crc & 0xffu), static_cast<uint8_t>(crc >> 8),
                              seq_byte};

  // COBS: each block is a code byte (1 + number of non-zero bytes that follow) standing in
  // for the zero that ends the block; the last block ends at the end of the frame.
  size_t code_pos = 0;
  size_t o = 1;
  uint8_t code = 1;
  const size_t n = len + 3;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t b = i < len ? record[i] : trailer[i - len];
    if (b == 0) {
      out[code_pos] = code;
      code_pos = o++;
      code = 1;
      continue;
    }
    out[o++] = b;
    if (++code == 0xff && i + 1 < n) {
      out[code_pos] = code;
      code_pos = o++;
      code = 1;
    }
  }
  // COBS/R: the last byte is the sequence byte (>= 0x80). When it is >= the final code, it
  // replaces the code byte and is dropped from the end; the decoder recognises this by the
  // code running past the frame. With frames <= 127 bytes this always applies.
  const uint8_t last = out[o - 1];
  if (code > 1 && last >= code) {
    out[code_pos] = last;
    --o;
  } else {
    out[code_pos] = code;
  }
  out[o++] = 0x00;
  return o;
}
