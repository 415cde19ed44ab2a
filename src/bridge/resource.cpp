#include "edgetrace/bridge/resource.hpp"

#include <elf.h>
#include <fnmatch.h>

#include <algorithm>
#include <cctype>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/decoder/elf_file.hpp"

namespace edgetrace::bridge {
namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view file_name(std::string_view path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The bytes at virtual address `address` in an allocated section with file contents.
std::span<const std::uint8_t> bytes_at(const decoder::ElfFile& elf, std::uint64_t address) {
  for (const decoder::ElfSection& s : elf.sections()) {
    if ((s.flags & SHF_ALLOC) == 0 || s.data.empty() || address < s.address ||
        address >= s.address + s.data.size())
      continue;
    return s.data.subspan(static_cast<std::size_t>(address - s.address));
  }
  return {};
}

// A printable NUL-terminated string at the start of `bytes` (at most 128 bytes), or "".
std::string c_string(std::span<const std::uint8_t> bytes) {
  std::string out;
  for (std::uint8_t b : bytes.first(std::min<std::size_t>(bytes.size(), 129))) {
    if (b == 0)
      return out;
    if (b < 0x20 || b == 0x7f)
      return {};
    out.push_back(static_cast<char>(b));
  }
  return {};  // no terminator within the limit
}

}  // namespace

core::Result<FirmwareInfo> read_firmware_info(const decoder::ElfFile& elf, std::string_view path) {
  FirmwareInfo info;
  info.elf_name = std::string(file_name(path));
  if (auto id = elf.build_id())
    info.build_id = std::move(*id);
  std::optional<decoder::ElfSymbol> version;
  core::Status s = elf.for_each_symbol([&](const decoder::ElfSymbol& symbol) {
    if (symbol.type != STT_OBJECT)
      return;
    if (symbol.name == "firmware.version" ||
        (symbol.name == "firmware_version" && !version.has_value()))
      version = symbol;
  });
  if (!s.ok())
    return s;
  if (version) {
    std::span<const std::uint8_t> bytes = bytes_at(elf, version->value);
    std::string text = c_string(bytes);
    // A `const char*` pointing at the string.
    if (text.empty() && version->size == elf.pointer_size() && bytes.size() >= version->size)
      text = c_string(bytes_at(elf, elf.read_uint(bytes.data(), elf.pointer_size())));
    info.version = std::move(text);
  }
  return info;
}

const ServiceRule* match_service(const ResourceOptions& options, const FirmwareInfo& firmware) {
  const std::string build_id = core::to_hex(firmware.build_id);
  for (const ServiceRule& rule : options.services) {
    if (!rule.build_id.empty() && !equal_ignoring_case(rule.build_id, build_id))
      continue;
    if (!rule.elf_pattern.empty() &&
        ::fnmatch(rule.elf_pattern.c_str(), firmware.elf_name.c_str(), 0) != 0)
      continue;
    return &rule;
  }
  return nullptr;
}

core::Resource device_resource(const ResourceOptions& options, const FirmwareInfo& firmware,
                               const DeviceIdentity& device) {
  const ServiceRule* rule = match_service(options, firmware);
  std::string name;
  if (rule != nullptr && !rule->service_name.empty()) {
    name = rule->service_name;
  } else if (!firmware.elf_name.empty()) {
    name = firmware.elf_name;
    const std::size_t dot = name.rfind('.');
    if (dot != std::string::npos && dot > 0)
      name.resize(dot);
  } else {
    name = "edgetrace-device";
  }
  core::Attributes attributes;
  attributes.set("service.name", name);
  const std::string& version =
      rule != nullptr && !rule->service_version.empty() ? rule->service_version : firmware.version;
  if (!version.empty())
    attributes.set("service.version", version);
  if (!device.device_id.empty())
    attributes.set("device.id", core::to_hex(device.device_id));
  if (!firmware.build_id.empty())
    attributes.set("process.executable.build_id.gnu", core::to_hex(firmware.build_id));
  if (device.boot_counter)
    attributes.set("edgetrace.device.boot_counter", *device.boot_counter);
  attributes.set("edgetrace.stream.format", device.stream_format);
  attributes.merge_from(options.attributes);
  return core::Resource(std::move(attributes));
}

}  // namespace edgetrace::bridge
