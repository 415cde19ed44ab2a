// Parses OTEL_BSP_* / OTEL_BLRP_* (batch_options.cpp); read_otlp_environment() calls it.
#pragma once

#include <string_view>

#include "edgetrace/otlp/exporter_options.hpp"

namespace edgetrace::otlp {

// `prefix` is "OTEL_BSP_" or "OTEL_BLRP_".
BatchSettings read_batch_settings(const EnvLookup& env, std::string_view prefix);

}  // namespace edgetrace::otlp
