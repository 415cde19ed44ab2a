// The OTLP resource of a device stream: which service a firmware is, which device sent it.
//
//   bridge::ResourceOptions options;
//   options.services.push_back({.elf_pattern = "sensor-*", .service_name = "sensor"});
//   auto firmware = bridge::read_firmware_info(elf, "build/sensor-v2.elf");
//   core::Resource r = bridge::device_resource(options, *firmware, {.device_id = id,
//                                                                   .boot_counter = 3});
//
// One resource per device stream (and per boot: the boot counter is part of it). Its
// attributes, in this order:
//
//   service.name                      the first matching rule's, else the ELF's file name
//                                     without its extension, else "edgetrace-device"
//   service.version                   the rule's, else the firmware's `firmware.version`
//                                     string symbol, else absent
//   device.id                         the device id, lowercase hex, if the device has one
//   process.executable.build_id.gnu   the firmware's GNU build-id, lowercase hex
//   edgetrace.device.boot_counter     the handshake's boot counter (edgetrace streams)
//   edgetrace.stream.format           "edgetrace" or "defmt"
//   + the configured static attributes (they win on equal keys)
//
// Thread-safety: plain values and pure functions. Allocation: the strings of the result.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/core/attributes.hpp"
#include "edgetrace/core/resource.hpp"
#include "edgetrace/core/result.hpp"

namespace edgetrace::decoder {
class ElfFile;
}

namespace edgetrace::bridge {

// What the bridge knows of one firmware build.
struct FirmwareInfo {
  std::string elf_name;  // the ELF's file name without directories ("" if unknown)
  core::Bytes build_id;  // its GNU build-id (empty if it has none)
  std::string version;   // the `firmware.version` symbol's string ("" if absent)

  friend bool operator==(const FirmwareInfo&, const FirmwareInfo&) = default;
};

// Reads what FirmwareInfo holds from an ELF: the build-id note, and the NUL-terminated
// string a symbol named `firmware.version` (or `firmware_version`, for C) points at or
// contains (a `const char[]` or a `const char*` to one), in an allocated section. `path` gives
// the file name. Errors: none for a missing version; invalid_argument if the symbol table
// is malformed.
core::Result<FirmwareInfo> read_firmware_info(const decoder::ElfFile& elf, std::string_view path);

// Names a firmware's service. Empty fields match anything; the first matching rule wins.
struct ServiceRule {
  std::string build_id;         // lowercase or uppercase hex, whole build-id
  std::string elf_pattern;      // a shell glob (fnmatch) on the ELF file name
  std::string service_name;     // empty: keep the default
  std::string service_version;  // empty: keep the firmware's
};

struct ResourceOptions {
  std::vector<ServiceRule> services;
  // Added to every device resource; they win over the attributes above.
  core::Attributes attributes;
};

// What the stream says about the device.
struct DeviceIdentity {
  core::Bytes device_id{};                      // empty: none
  std::optional<std::uint64_t> boot_counter{};  // edgetrace handshakes
  std::string_view stream_format = "edgetrace";
};

// The first rule matching the firmware, or nullptr.
const ServiceRule* match_service(const ResourceOptions& options, const FirmwareInfo& firmware);

core::Resource device_resource(const ResourceOptions& options, const FirmwareInfo& firmware,
                               const DeviceIdentity& device);

}  // namespace edgetrace::bridge
