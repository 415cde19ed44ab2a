// How a device stream names itself when its transport says who sent it: hex ids given in
// configuration or request headers, and the check that an HTTP body is a stream the daemon
// can decode. Shared by the device_http and serial receivers and the device_http fuzz target
// (it needs only core and the decoder, no sockets or queue).
//
//   auto id = read_device_identity({.device_id = request.header("X-Edgetrace-Device-Id"),
//                                   .build_id = request.header("X-Edgetrace-Build-Id"),
//                                   .format = request.header("X-Edgetrace-Stream-Format")});
//   if (!id) return Response::text(400, id.status().message() + "\n");
//   if (core::Status s = check_device_body(*id, body); !s.ok()) ...     // 400
//
// Thread-safety: pure functions. Allocation: the returned ids and messages; the body check
// runs a framing-only decoder over the body (no tables, no rendering), bounded by its size.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "edgetrace/core/attributes.hpp"
#include "edgetrace/core/result.hpp"
#include "edgetrace/decoder/decoder.hpp"

namespace edgetrace::daemon {

// Longest device-id or build-id accepted (bytes): a GNU build-id is 20, the wire format's
// device id at most 32.
inline constexpr std::size_t kMaxDeviceIdBytes = 32;

// `text` as hex (either case) of 1..kMaxDeviceIdBytes whole bytes; empty text is no id (an
// empty result). kInvalidArgument names `what` ("X-Edgetrace-Build-Id", "device_id") and
// never echoes the value.
core::Result<core::Bytes> parse_hex_id(std::string_view text, std::string_view what);

// The identity fields as a transport gives them (header values, config strings); empty:
// not given.
struct DeviceIdentityText {
  std::string_view device_id;
  std::string_view build_id;
  std::string_view format;  // "edgetrace" (empty), "defmt-rzcobs", "defmt-raw"
};

struct DeviceIdentity {
  core::Bytes device_id;
  core::Bytes build_id;
  decoder::StreamFormat format = decoder::StreamFormat::kEdgetrace;
};

// Parses the three fields. Errors (kInvalidArgument) name the field, as given in `names`.
struct DeviceIdentityNames {
  std::string_view device_id = "X-Edgetrace-Device-Id";
  std::string_view build_id = "X-Edgetrace-Build-Id";
  std::string_view format = "X-Edgetrace-Stream-Format";
};
core::Result<DeviceIdentity> read_device_identity(const DeviceIdentityText& text,
                                                  const DeviceIdentityNames& names = {});

// Whether one HTTP body is a stream the daemon can take (kInvalidArgument with a short
// reason otherwise):
// - not empty;
// - edgetrace: at least one valid frame (framing and CRC); and either a handshake among the
//   frames, or both a device-id and a build-id from the transport;
// - defmt (no handshake exists): a build-id from the transport. Its frames are not checked
//   here (defmt framing needs the firmware's table); undecodable bytes are counted by the
//   pipeline.
core::Status check_device_body(const DeviceIdentity& identity, std::span<const std::uint8_t> body);

}  // namespace edgetrace::daemon
