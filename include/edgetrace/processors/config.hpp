// Reads ProcessorsOptions from a TOML table: its [redaction], [sampling] and [rate_cap]
// sub-tables (docs/processors.md lists every key and its default). The caller picks the table,
// e.g. the daemon's [processors.otlp]; other keys of that table are the caller's.
//
//   processors::ProcessorsOptions o;
//   core::Result<std::optional<config::Table>> t = doc.table("processors.otlp");
//   if (t && *t)
//     if (core::Status s = processors::read_processors_options(**t, o); !s.ok())
//       return s;    // "edgetraced.toml:12:14: [...redaction] key 'patterns': pattern ..."
//
// A key that is absent keeps the value already in `out`. Patterns are compiled while reading,
// so a bad one is reported at its position in the file.
//
// Thread-safety: reentrant. Only reads the (already loaded) document.
#pragma once

#include "edgetrace/config/loader.hpp"
#include "edgetrace/core/result.hpp"
#include "edgetrace/processors/processors.hpp"

namespace edgetrace::processors {

core::Status read_processors_options(const config::Table& table, ProcessorsOptions& out);

}  // namespace edgetrace::processors
