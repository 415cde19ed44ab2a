#include "edgetrace/decoder/record.hpp"

namespace edgetrace::decoder {

std::string_view to_string(RecordKind kind) noexcept {
  switch (kind) {
    case RecordKind::kLog:
      return "log";
    case RecordKind::kSpanEnter:
      return "span_enter";
    case RecordKind::kSpanExit:
      return "span_exit";
    case RecordKind::kDropped:
      return "dropped";
    case RecordKind::kHandshake:
      return "handshake";
    case RecordKind::kPrintln:
      return "println";
  }
  return "unknown";
}

void Record::clear() noexcept {
  kind = RecordKind::kLog;
  device_ticks = 0;
  has_ticks = false;
  time_uncertain = false;
  time_unix_nano.reset();
  timestamp_text.clear();
  level.reset();
  callsite_id = 0;
  format.clear();
  message.clear();
  args.clear();
  location.file.clear();
  location.line = 0;
  location.module.clear();
  span_id = 0;
  parent_span_id = 0;
  root_span_id = 0;
  trace_id.reset();
  remote_parent.reset();
  in_interrupt = false;
  span_flags = 0;
  start_ticks = 0;
  end_ticks = 0;
  span_name.clear();
  dropped = 0;
  handshake.version = 0;
  handshake.tick_hz = 0;
  handshake.boot_counter = 0;
  handshake.dropped_total = 0;
  handshake.device_id.clear();
  handshake.build_id.clear();
  handshake.build_id_matches = true;
}

}  // namespace edgetrace::decoder
