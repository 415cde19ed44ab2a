// Whole-file reads and writes for tests that inspect or damage the files a component
// writes (queue segments, stored ELF files), and a sorted directory listing.
//
//   auto bytes = edgetrace::testing::read_bytes(segment);
//   bytes[40] ^= 0xFF;                      // corrupt one record
//   edgetrace::testing::write_bytes(segment, bytes);
//
// A file that cannot be read gives an empty vector; write failures are not reported (the
// test's own checks of what the component then does will fail). Blocking file I/O.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace edgetrace::testing {

inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

inline void append_bytes(const std::filesystem::path& path,
                         const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// The files directly in `dir` whose name ends with `extension` (".seg"), as sorted paths.
inline std::vector<std::string> files_with_extension(const std::filesystem::path& dir,
                                                     std::string_view extension) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == extension)
      out.push_back(entry.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace edgetrace::testing
