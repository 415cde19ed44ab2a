#include "testing/golden_vectors.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

#ifndef ET_GOLDEN_VECTORS_DIR
#error "ET_GOLDEN_VECTORS_DIR must name tests/vectors (set by src/testing/wire.cmake)"
#endif

namespace edgetrace::testing {

namespace {

bool parse_int(std::string_view text, int& out) {
  const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

// "site <tag> <log|span> <level> <signature hex or -> <text>" (after the key).
bool parse_site(const std::string& rest, SiteSpec& s) {
  std::istringstream w(rest);
  std::string kind, sig;
  unsigned tag = 0, level = 0;
  if (!(w >> tag >> kind >> level >> sig) || tag < 8 || level > 5 ||
      (kind != "log" && kind != "span")) {
    return false;
  }
  std::getline(w, s.text);
  if (!s.text.empty() && s.text[0] == ' ') {
    s.text.erase(0, 1);
  }
  s.tag = tag;
  s.span = kind == "span";
  s.level = static_cast<std::uint8_t>(level);
  if (sig != "-") {
    s.sig = from_hex(sig);
  }
  return s.sig.size() <= 8;
}

}  // namespace

GoldenVectors load_golden_vectors(std::string_view name) {
  return load_golden_vectors_file(std::string(ET_GOLDEN_VECTORS_DIR) + "/" + std::string(name));
}

GoldenVectors load_golden_vectors_file(const std::string& path) {
  GoldenVectors v;
  std::ifstream in(path);
  if (!in) {
    v.error = path + ": cannot open";
    return v;
  }
  std::string line;
  int number = 0;
  auto fail = [&](const std::string& what) {
    if (v.error.empty()) {
      v.error = path + ":" + std::to_string(number) + ": " + what;
    }
  };
  while (std::getline(in, line)) {
    ++number;
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
    const bool in_frame = !v.frames.empty();
    if (key == "frame") {
      v.frames.push_back({rest, {}, {}, 0});
    } else if (key == "record" && in_frame) {
      v.frames.back().record = from_hex(rest);
    } else if (key == "seq" && in_frame) {
      if (!parse_int(rest, v.frames.back().seq) || v.frames.back().seq < 0 ||
          v.frames.back().seq > 127) {
        fail("seq must be 0..127");
      }
    } else if (key == "bytes" && in_frame) {
      v.frames.back().bytes = from_hex(rest);
    } else if (key == "site") {
      SiteSpec s;
      if (!parse_site(rest, s)) {
        fail("malformed site line");
      }
      v.sites.push_back(s);
    } else if (key == "stream") {
      auto more = from_hex(rest);
      v.stream.insert(v.stream.end(), more.begin(), more.end());
      v.stream_frames.push_back(std::move(more));
    } else if (key == "expect") {
      v.expect.push_back(rest);
    } else {
      fail("unexpected '" + key + "'");
    }
  }
  return v;
}

std::vector<std::uint8_t> from_hex(std::string_view text) {
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

std::string hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : bytes) {
    if (!out.empty()) {
      out += ' ';
    }
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0f];
  }
  return out;
}

}  // namespace edgetrace::testing
