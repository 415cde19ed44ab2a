// The command message a device receives on <prefix>/<device id>/commands (docs/firmware.md,
// "Commands from the cloud"): one line of text, "<name> <traceparent>".
//
//   std::string_view name;
//   et_remote_parent parent;
//   if (edgetrace::sim::parse_command(payload, &name, &parent)) { ETD_SPAN_REMOTE(...); }
//
// Header-only (the simulator and its fuzz target). No allocation; `name` views `payload`.
#pragma once

#include <string_view>

#include "edgetrace/device/edgetrace.h"

namespace edgetrace::sim {

inline constexpr std::size_t kMaxCommandName = 32;

// Whether `payload` is a command: a name of 1 to kMaxCommandName of [A-Za-z0-9_.-], one
// space, a W3C version-00 traceparent, and optionally a line end ("\n", "\r\n"). On success
// `name` views the name in `payload` and `parent` holds the traceparent; otherwise neither
// is meaningful.
inline bool parse_command(std::string_view payload, std::string_view* name,
                          et_remote_parent* parent) noexcept {
  if (payload.ends_with('\n'))
    payload.remove_suffix(1);
  if (payload.ends_with('\r'))
    payload.remove_suffix(1);
  const std::size_t space = payload.find(' ');
  if (space == std::string_view::npos || space == 0 || space > kMaxCommandName)
    return false;
  for (const char c : payload.substr(0, space)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok)
      return false;
  }
  const std::string_view traceparent = payload.substr(space + 1);
  if (et_remote_parent_parse(parent, traceparent.data(), traceparent.size()) == 0)
    return false;
  *name = payload.substr(0, space);
  return true;
}

}  // namespace edgetrace::sim
