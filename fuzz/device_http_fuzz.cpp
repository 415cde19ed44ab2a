// The device HTTP receiver's own parsing (apps/edgetraced/receivers/device_identity.hpp):
// the X-Edgetrace-Device-Id / -Build-Id / -Stream-Format header values and the check that a
// body is a decodable device stream. Input: three header values, each ended by '\n', then
// the body. Checks that parsed ids are the bytes their hex says, within the length bound,
// and that a body is accepted only with a frame and an identity (handshake or headers).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/core/text.hpp"
#include "receivers/device_identity.hpp"

namespace {

std::string_view next_line(std::string_view& in) {
  const std::size_t nl = in.find('\n');
  const std::string_view line = in.substr(0, nl);
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  return line;
}

void check_id(std::string_view text, const edgetrace::core::Bytes& id) {
  if (id.size() > edgetrace::daemon::kMaxDeviceIdBytes || id.size() * 2 != text.size())
    std::abort();
  const std::string hex = edgetrace::core::to_hex(std::span<const std::uint8_t>(id));
  if (!edgetrace::core::iequals_ascii(hex, text))
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace edgetrace::daemon;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const DeviceIdentityText text{
      .device_id = next_line(in), .build_id = next_line(in), .format = next_line(in)};
  const auto identity = read_device_identity(text);
  if (!identity)
    return 0;
  check_id(text.device_id, identity->device_id);
  check_id(text.build_id, identity->build_id);
  const std::span<const std::uint8_t> body(reinterpret_cast<const std::uint8_t*>(in.data()),
                                           in.size());
  const edgetrace::core::Status s = check_device_body(*identity, body);
  if (s.ok() && body.empty())
    std::abort();
  if (!s.ok() && s.code() != edgetrace::core::StatusCode::kInvalidArgument)
    std::abort();
  return 0;
}
