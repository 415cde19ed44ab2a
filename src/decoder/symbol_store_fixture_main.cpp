// A host program with edgetrace call sites: its ELF (with a build-id and the call-site
// table) is what the symbol store tests and benchmarks upload. Run with `--stream`, it
// writes a short deterministic device stream to standard output (handshake with its own
// build-id, a span, two logs), which the CLI tests decode with the uploaded ELF.
#include <link.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "edgetrace/device/device.hpp"

namespace {

std::vector<std::uint8_t> g_note;
std::uint64_t g_ticks = 1000;

int find_build_id(dl_phdr_info* info, std::size_t, void*) {
  if (info->dlpi_name != nullptr && info->dlpi_name[0] != '\0')
    return 0;  // not the main program
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE)
      continue;
    const auto* p = reinterpret_cast<const std::uint8_t*>(info->dlpi_addr + ph.p_vaddr);
    const auto* end = p + ph.p_memsz;
    while (p + 12 <= end) {
      std::uint32_t namesz, descsz, type;
      std::memcpy(&namesz, p, 4);
      std::memcpy(&descsz, p + 4, 4);
      std::memcpy(&type, p + 8, 4);
      const std::size_t size = 12 + ((namesz + 3u) & ~3u) + ((descsz + 3u) & ~3u);
      if (type == 3 && namesz == 4 && std::memcmp(p + 12, "GNU", 4) == 0) {
        g_note.assign(p, p + size);
        return 1;
      }
      p += size;
    }
  }
  return 0;
}

std::uint64_t ticks() {
  return g_ticks += 5;
}

void put(void*, const std::uint8_t* data, std::size_t len) {
  while (len > 0) {
    const ssize_t n = ::write(STDOUT_FILENO, data, len);
    if (n <= 0)
      return;
    data += n;
    len -= static_cast<std::size_t>(n);
  }
}

void report(int temp, unsigned hum) {
  ETD_SPAN("report");
  ETD_INFO("temp={} hum={:x}", temp, hum);
  ETD_WARN("low battery");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) != "--stream")
    return 0;  // the call sites are in the table whether or not they run
  dl_iterate_phdr(find_build_id, nullptr);
  static et_uart uart;
  et_uart_init(&uart, put, nullptr);
  static const std::uint8_t device_id[] = {0xd3, 0x01};
  et_device_config cfg = ETD_DEVICE_CONFIG_INIT;
  cfg.transport = et_uart_transport(&uart);
  cfg.tick64 = ticks;
  cfg.tick_hz = 1000;
  cfg.build_id_note = g_note.empty() ? nullptr : g_note.data();
  cfg.device_id = device_id;
  cfg.device_id_len = sizeof device_id;
  cfg.boot_counter = 7;
  static et_device device;
  if (et_device_init(&device, &cfg) == 0)
    return 1;
  report(21, 40u);
  report(-3, 255u);
  return 0;
}
