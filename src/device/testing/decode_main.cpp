// et_device_decode: prints a device stream as text, one event per line.
//
//   et_device_decode firmware.elf stream.bin [--no-time]
//   et_device_decode firmware.elf --check-table
//
// --check-table verifies the ELF's call-site table: every log call site's placeholder
// count matches its arguments (C call sites are not checked at compile time) and every
// placeholder is well-formed.
//
// Checks that every handshake's build-id equals the ELF's. Exit status: 0 if every frame
// decoded, 1 on any corrupt frame or undecodable record, 2 on usage or file errors.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "testing/stream_decoder.hpp"

using namespace edgetrace::device::testing;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: et_device_decode <elf> <stream> [--no-time]\n";
    return 2;
  }
  const bool with_time = !(argc > 3 && std::string(argv[3]) == "--no-time");
  std::string error;
  auto table = SiteTable::from_elf(argv[1], &error);
  if (!table) {
    std::cerr << error << "\n";
    return 2;
  }
  if (std::string(argv[2]) == "--check-table") {
    const auto problems = table->check();
    for (const auto& p : problems) {
      std::cout << "error: " << p << "\n";
    }
    std::cout << "table: " << table->size() << " call sites, " << problems.size() << " problems\n";
    return problems.empty() ? 0 : 1;
  }
  std::ifstream in(argv[2], std::ios::binary);
  if (!in) {
    std::cerr << "cannot open " << argv[2] << "\n";
    return 2;
  }
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  Deframer deframer;
  RecordDecoder decoder(&*table);
  int failures = 0;
  std::size_t frames = 0;
  for (const Frame& f : deframer.feed(bytes)) {
    ++frames;
    auto event = decoder.decode(f.record, &error);
    if (!event) {
      std::cout << "error: " << error << " in record " << hex(f.record) << "\n";
      ++failures;
      continue;
    }
    if (event->kind == Event::Kind::kHandshake && event->build_id != table->build_id()) {
      std::cout << "error: handshake build-id " << hex(event->build_id) << " != ELF "
                << hex(table->build_id()) << "\n";
      ++failures;
    }
    std::cout << render(*event, *table, with_time) << "\n";
  }
  std::cout << "summary: frames=" << frames << " corrupt=" << deframer.corrupt_frames()
            << " lost=" << deframer.lost_frames() << " sites=" << table->size() << "\n";
  return failures == 0 && deframer.corrupt_frames() == 0 ? 0 : 1;
}
