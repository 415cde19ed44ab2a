#include "testing/edgetrace_wire_writer.hpp"

namespace edgetrace::testing {

std::uint16_t crc16(const std::vector<std::uint8_t>& data) {
  std::uint16_t crc = 0xffff;
  for (std::uint8_t byte : data) {
    crc ^= static_cast<std::uint16_t>(byte << 8);
    for (int b = 0; b < 8; ++b) {
      crc = static_cast<std::uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
    }
  }
  return crc;
}

std::vector<std::uint8_t> cobsr_encode(const std::vector<std::uint8_t>& in) {
  std::vector<std::uint8_t> out;
  std::size_t code_pos = 0;
  out.push_back(0);
  std::uint8_t code = 1;
  for (std::uint8_t b : in) {
    if (b == 0) {
      out[code_pos] = code;
      code_pos = out.size();
      out.push_back(0);
      code = 1;
      continue;
    }
    out.push_back(b);
    ++code;
    if (code == 0xff) {
      out[code_pos] = code;
      code_pos = out.size();
      out.push_back(0);
      code = 1;
    }
  }
  // COBS/R: a last byte >= the last block's code replaces the code.
  if (out.size() > code_pos + 1 && out.back() >= code) {
    out[code_pos] = out.back();
    out.pop_back();
  } else {
    out[code_pos] = code;
  }
  return out;
}

std::vector<std::uint8_t> make_frame(const std::vector<std::uint8_t>& record, std::uint8_t seq) {
  std::vector<std::uint8_t> covered = record;
  const std::uint8_t seq_byte = static_cast<std::uint8_t>(0x80 | (seq & 0x7f));
  covered.push_back(seq_byte);
  const std::uint16_t crc = crc16(covered);
  std::vector<std::uint8_t> raw = record;
  raw.push_back(static_cast<std::uint8_t>(crc & 0xff));
  raw.push_back(static_cast<std::uint8_t>(crc >> 8));
  raw.push_back(seq_byte);
  std::vector<std::uint8_t> out = cobsr_encode(raw);
  out.push_back(0);
  return out;
}

void put_varint(std::vector<std::uint8_t>& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

std::vector<std::uint8_t> make_meta(const std::vector<SiteSpec>& sites, std::uint64_t ids_base,
                                    std::size_t pointer_size, bool little_endian) {
  auto put = [little_endian](std::vector<std::uint8_t>& out, std::uint64_t v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t shift = 8 * (little_endian ? i : n - 1 - i);
      out.push_back(static_cast<std::uint8_t>(v >> shift));
    }
  };
  std::vector<std::uint8_t> meta;
  for (const SiteSpec& s : sites) {
    const std::string body = s.file + '\0' + s.text + '\0';
    const std::size_t header = 24 + pointer_size;
    std::vector<std::uint8_t> rec;
    put(rec, 0x31535445u, 4);  // "ETS1"
    put(rec, s.line, 4);
    put(rec, ids_base + s.tag - 8, pointer_size);
    put(rec, header + body.size(), 2);
    rec.push_back(s.span ? 2 : 1);
    rec.push_back(s.level);
    rec.push_back(static_cast<std::uint8_t>(s.sig.size()));
    for (std::size_t i = 0; i < 8; ++i) {
      rec.push_back(i < s.sig.size() ? s.sig[i] : 0);
    }
    rec.insert(rec.end(), 3, 0);
    rec.insert(rec.end(), body.begin(), body.end());
    while (rec.size() % pointer_size != 0) {
      rec.push_back(0);
    }
    meta.insert(meta.end(), rec.begin(), rec.end());
  }
  return meta;
}

}  // namespace edgetrace::testing
