// Deterministic trace and span ids for edgetrace device spans.
//
//   core::TraceId trace = bridge::derive_trace_id(device_id, boot_counter, root_span);
//   core::SpanId span = bridge::derive_span_id(device_id, boot_counter, device_span_id);
//
// A device numbers its spans 1, 2, 3... per boot and never sends 128-bit ids (a span exit
// names its trace by the local id of its root). Every bridge turns those numbers into the
// same OTLP ids, so that any bridge instance (another daemon, a replay of a capture, the
// CLI) produces the same trace for the same frames. The derivation, written down with
// golden vectors in docs/wire-format.md ("Trace and span ids"):
//
//   trace id = first 16 bytes of SHA-256("edgetrace.trace.v1" 0x00 len(device) device
//                                        boot_counter root)
//   span id  = first 8 bytes of SHA-256("edgetrace.span.v1" 0x00 len(device) device
//                                       boot_counter span)
//
// where len(device) is one byte (device ids are at most 16 bytes; longer ones are cut to
// 255), and boot_counter, root and span are 8-byte big-endian integers. An all-zero result
// (invalid in W3C and OTLP) has its last byte set to 1.
//
// Thread-safety: pure functions, callable from any thread (each thread keeps one digest
// context). Allocation: OpenSSL may allocate a little per digest; no per-call setup.
#pragma once

#include <cstdint>
#include <span>

#include "edgetrace/core/ids.hpp"

namespace edgetrace::bridge {

core::TraceId derive_trace_id(std::span<const std::uint8_t> device_id, std::uint64_t boot_counter,
                              std::uint64_t root_span) noexcept;

core::SpanId derive_span_id(std::span<const std::uint8_t> device_id, std::uint64_t boot_counter,
                            std::uint64_t span) noexcept;

}  // namespace edgetrace::bridge
