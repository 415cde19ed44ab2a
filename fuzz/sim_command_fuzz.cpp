// edgetrace-sim's command messages (apps/edgetrace-sim/command.hpp): any payload a broker
// delivers is parsed without crashing, and what is accepted keeps the format's rules.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "command.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  std::string_view name;
  et_remote_parent parent;
  if (edgetrace::sim::parse_command(payload, &name, &parent)) {
    // The name is the payload's first word, within the limit, followed by a space.
    if (name.empty() || name.size() > edgetrace::sim::kMaxCommandName ||
        name.data() != payload.data() || payload[name.size()] != ' ')
      std::abort();
  }
  return 0;
}
