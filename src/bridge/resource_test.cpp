#include <gtest/gtest.h>

#include <string>

#include "edgetrace/bridge/resource.hpp"
#include "edgetrace/decoder/elf_file.hpp"

// The firmware version symbols read_firmware_info() looks for, in this test binary's ELF.
extern "C" {
__attribute__((used)) const char firmware_version[] = "0.9-underscore";
}
__attribute__((used)) const char dotted_version[] __asm__("firmware.version") = "2.4.1";

namespace edgetrace::bridge {
namespace {

std::string text(const core::Resource& r, std::string_view key) {
  const core::AttributeValue* v = r.attributes().get(key);
  return v == nullptr ? "<absent>" : v->to_display_string();
}

TEST(BridgeResourceTest, DefaultsComeFromTheFirmwareAndTheDevice) {
  FirmwareInfo fw{.elf_name = "sensor-node.elf", .build_id = {0xaa, 0x0b}, .version = "1.2"};
  const core::Resource r = device_resource(
      {}, fw, {.device_id = {0x01, 0xff}, .boot_counter = 9, .stream_format = "edgetrace"});
  EXPECT_EQ(text(r, "service.name"), "sensor-node");
  EXPECT_EQ(text(r, "service.version"), "1.2");
  EXPECT_EQ(text(r, "device.id"), "01ff");
  EXPECT_EQ(text(r, "process.executable.build_id.gnu"), "aa0b");
  EXPECT_EQ(text(r, "edgetrace.device.boot_counter"), "9");
  EXPECT_EQ(text(r, "edgetrace.stream.format"), "edgetrace");
}

TEST(BridgeResourceTest, WithoutAnElfNameOrDeviceId) {
  const core::Resource r =
      device_resource({}, {}, {.device_id = {}, .boot_counter = {}, .stream_format = "defmt"});
  EXPECT_EQ(text(r, "service.name"), "edgetrace-device");
  EXPECT_EQ(text(r, "service.version"), "<absent>");
  EXPECT_EQ(text(r, "device.id"), "<absent>");
  EXPECT_EQ(text(r, "edgetrace.device.boot_counter"), "<absent>");
}

TEST(BridgeResourceTest, TheFirstMatchingRuleNamesTheService) {
  ResourceOptions o;
  o.services.push_back(
      {.build_id = "AA0B", .elf_pattern = "", .service_name = "by-id", .service_version = "9.9"});
  o.services.push_back({.build_id = "",
                        .elf_pattern = "sensor-*",
                        .service_name = "by-name",
                        .service_version = ""});
  o.attributes.set("deployment.environment.name", "lab");
  o.attributes.set("service.name", "from-static");  // static attributes win
  FirmwareInfo by_id{.elf_name = "x.elf", .build_id = {0xaa, 0x0b}, .version = "1"};
  FirmwareInfo by_name{.elf_name = "sensor-2.elf", .build_id = {0x01}, .version = "3"};
  FirmwareInfo none{.elf_name = "other.elf", .build_id = {0x02}, .version = ""};
  ASSERT_NE(match_service(o, by_id), nullptr);
  EXPECT_EQ(match_service(o, by_id)->service_name, "by-id");
  EXPECT_EQ(match_service(o, by_name)->service_name, "by-name");
  EXPECT_EQ(match_service(o, none), nullptr);

  const core::Resource r = device_resource(o, by_name, {});
  EXPECT_EQ(text(r, "service.name"), "from-static");
  EXPECT_EQ(text(r, "service.version"), "3");
  EXPECT_EQ(text(r, "deployment.environment.name"), "lab");
  o.attributes.erase("service.name");
  EXPECT_EQ(text(device_resource(o, by_id, {}), "service.version"), "9.9");
  EXPECT_EQ(text(device_resource(o, by_id, {}), "service.name"), "by-id");
}

TEST(BridgeResourceTest, ReadsTheVersionSymbolAndBuildIdFromAnElf) {
  auto elf = decoder::ElfFile::open("/proc/self/exe");
  ASSERT_TRUE(elf) << elf.status().to_string();
  auto info = read_firmware_info(*elf, "/some/dir/bridge_test");
  ASSERT_TRUE(info) << info.status().to_string();
  EXPECT_EQ(info->elf_name, "bridge_test");
  EXPECT_EQ(info->version, "2.4.1");  // the dotted name wins over firmware_version
  EXPECT_EQ(info->build_id, elf->build_id().value_or(core::Bytes{}));
}

}  // namespace
}  // namespace edgetrace::bridge
