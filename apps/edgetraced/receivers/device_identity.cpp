#include "receivers/device_identity.hpp"

#include <string>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/decoder/record.hpp"

namespace edgetrace::daemon {

core::Result<core::Bytes> parse_hex_id(std::string_view text, std::string_view what) {
  if (text.empty())
    return core::Bytes{};
  if (text.size() % 2 != 0 || text.size() > 2 * kMaxDeviceIdBytes)
    return core::invalid_argument(std::string(what) + ": expected 2 to " +
                                  std::to_string(2 * kMaxDeviceIdBytes) +
                                  " hex digits of whole bytes");
  core::Bytes out(text.size() / 2);
  if (core::internal::decode_hex(text, out, core::HexCase::kAny) >= 0)
    return core::invalid_argument(std::string(what) + ": not hex");
  return out;
}

core::Result<DeviceIdentity> read_device_identity(const DeviceIdentityText& text,
                                                  const DeviceIdentityNames& names) {
  DeviceIdentity id;
  auto device = parse_hex_id(text.device_id, names.device_id);
  if (!device)
    return device.status();
  id.device_id = std::move(device).value();
  auto build = parse_hex_id(text.build_id, names.build_id);
  if (!build)
    return build.status();
  id.build_id = std::move(build).value();
  if (!text.format.empty()) {
    auto format = decoder::parse_stream_format(text.format);
    if (!format)
      return core::invalid_argument(std::string(names.format) +
                                    ": expected edgetrace, defmt-rzcobs or defmt-raw");
    id.format = *format;
  }
  return id;
}

core::Status check_device_body(const DeviceIdentity& identity, std::span<const std::uint8_t> body) {
  if (body.empty())
    return core::invalid_argument("empty body: send the device stream's bytes");
  if (identity.format != decoder::StreamFormat::kEdgetrace) {
    if (identity.build_id.empty())
      return core::invalid_argument(
          "a defmt stream needs X-Edgetrace-Build-Id (defmt has no handshake)");
    return {};
  }
  auto probe = decoder::make_decoder(decoder::StreamFormat::kEdgetrace, {},
                                     decoder::DecoderOptions{.render = false});
  if (!probe)
    return probe.status();
  const decoder::RecordSink ignore = [](const decoder::Record&) {};
  (*probe)->feed(body, ignore);
  (*probe)->finish(ignore);
  const decoder::DecoderCounters& c = (*probe)->counters();
  if (c.frames == 0)
    return core::invalid_argument("no valid edgetrace frame in the body");
  if (c.handshakes == 0 && (identity.device_id.empty() || identity.build_id.empty()))
    return core::invalid_argument(
        "no handshake in the body: send one first, or give X-Edgetrace-Device-Id and "
        "X-Edgetrace-Build-Id");
  return {};
}

}  // namespace edgetrace::daemon
