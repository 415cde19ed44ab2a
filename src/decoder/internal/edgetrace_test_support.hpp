// Test support for the edgetrace decoder: an independent frame writer (COBS/R + CRC-16 +
// sequence byte, docs/wire-format.md), a writer of edgetrace_meta records, and the loader
// of the golden vectors in tests/vectors/. Used by the decoder's tests, fuzz targets and
// benchmark. Not thread-safe; allocates.
#pragma once

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "edgetrace/decoder/edgetrace_table.hpp"

namespace edgetrace::decoder::internal {

inline std::uint16_t test_crc16(const std::vector<std::uint8_t>& data) {
  std::uint16_t crc = 0xffff;
  for (std::uint8_t byte : data) {
    crc ^= static_cast<std::uint16_t>(byte << 8);
    for (int b = 0; b < 8; ++b) {
      crc = static_cast<std::uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
    }
  }
  return crc;
}

// COBS/R encoding of `in` (without the delimiter).
inline std::vector<std::uint8_t> cobsr_encode(const std::vector<std::uint8_t>& in) {
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

// One frame on the wire: COBS/R(record || crc || seq_byte) || 00.
inline std::vector<std::uint8_t> make_frame(const std::vector<std::uint8_t>& record,
                                            std::uint8_t seq) {
  std::vector<std::uint8_t> covered = record;
  const std::uint8_t seq_byte = static_cast<std::uint8_t>(0x80 | (seq & 0x7f));
  covered.push_back(seq_byte);
  const std::uint16_t crc = test_crc16(covered);
  std::vector<std::uint8_t> raw = record;
  raw.push_back(static_cast<std::uint8_t>(crc & 0xff));
  raw.push_back(static_cast<std::uint8_t>(crc >> 8));
  raw.push_back(seq_byte);
  std::vector<std::uint8_t> out = cobsr_encode(raw);
  out.push_back(0);
  return out;
}

inline void put_varint(std::vector<std::uint8_t>& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

inline std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

inline std::vector<std::uint8_t> from_hex(const std::string& text) {
  std::vector<std::uint8_t> out;
  int nibble = -1;
  for (char c : text) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      continue;
    }
    if (nibble < 0) {
      nibble = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(nibble << 4 | v));
      nibble = -1;
    }
  }
  return out;
}

// A call site as the tests describe it.
struct SiteSpec {
  std::uint32_t tag = 8;
  bool span = false;
  std::uint8_t level = 2;
  std::vector<std::uint8_t> sig{};  // signature bytes, one per argument
  std::string text{};
  std::string file = "vector.c";
  std::uint32_t line = 0;
};

// The bytes of an edgetrace_meta section holding `sites`, whose anchors are
// ids_base + tag - 8, in the given pointer size and byte order.
inline std::vector<std::uint8_t> make_meta(const std::vector<SiteSpec>& sites,
                                           std::uint64_t ids_base, std::size_t pointer_size,
                                           bool little_endian = true) {
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
    put(rec, 0x31535445u, 4);
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

// tests/vectors/device_*.txt.
struct Vectors {
  struct FrameVector {
    std::string name;
    std::vector<std::uint8_t> record, bytes;
    int seq = 0;
  };
  std::vector<FrameVector> frames;
  std::vector<SiteSpec> sites;
  std::vector<std::uint8_t> stream;
  std::vector<std::vector<std::uint8_t>> stream_frames;  // one per "stream" line
  std::vector<std::string> expect;
};

inline Vectors load_vectors(const std::string& path) {
  std::ifstream in(path);
  Vectors v;
  std::string line;
  while (std::getline(in, line)) {
    const auto start = line.find_first_not_of(' ');
    if (start == std::string::npos || line[start] == '#') {
      continue;
    }
    std::istringstream words(line.substr(start));
    std::string key;
    words >> key;
    std::string rest;
    std::getline(words, rest);
    if (!rest.empty() && rest[0] == ' ') {
      rest.erase(0, 1);
    }
    if (key == "frame") {
      v.frames.push_back({rest, {}, {}, 0});
    } else if (key == "record" && !v.frames.empty()) {
      v.frames.back().record = from_hex(rest);
    } else if (key == "seq" && !v.frames.empty()) {
      v.frames.back().seq = std::stoi(rest);
    } else if (key == "bytes" && !v.frames.empty()) {
      v.frames.back().bytes = from_hex(rest);
    } else if (key == "site") {
      // site <tag> <log|span> <level> <signature hex or -> <text>
      std::istringstream w(rest);
      SiteSpec s;
      std::string kind, sig;
      unsigned level = 0;
      w >> s.tag >> kind >> level >> sig;
      std::getline(w, s.text);
      if (!s.text.empty() && s.text[0] == ' ') {
        s.text.erase(0, 1);
      }
      s.span = kind == "span";
      s.level = static_cast<std::uint8_t>(level);
      if (sig != "-") {
        s.sig = from_hex(sig);
      }
      v.sites.push_back(s);
    } else if (key == "stream") {
      auto more = from_hex(rest);
      v.stream_frames.push_back(more);
      v.stream.insert(v.stream.end(), more.begin(), more.end());
    } else if (key == "expect") {
      v.expect.push_back(rest);
    }
  }
  return v;
}

}  // namespace edgetrace::decoder::internal
