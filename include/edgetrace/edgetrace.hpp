// The edgetrace C++ SDK in one include: events, spans, context, the console and file layers,
// the config and the builder (library edgetrace::sdk). The OTLP layer is separate, so that
// this header pulls in no protobuf, gRPC or libcurl header: include
// "edgetrace/sdk/otlp_layer.hpp" and link edgetrace::sdk_otlp for it.
//
//   #include <edgetrace/edgetrace.hpp>
//   using edgetrace::field;
//
//   int main() {
//     auto guard = edgetrace::sdk::TracingBuilder("checkout").with_console().build().value();
//     auto span = ET_SPAN("startup");
//     ET_INFO("ready", field<"port">(8080));
//   }   // the guard flushes every layer here
#pragma once

#include "edgetrace/sdk/callsite.hpp"
#include "edgetrace/sdk/config.hpp"
#include "edgetrace/sdk/console_layer.hpp"
#include "edgetrace/sdk/error.hpp"
#include "edgetrace/sdk/event.hpp"
#include "edgetrace/sdk/file_layer.hpp"
#include "edgetrace/sdk/filter.hpp"
#include "edgetrace/sdk/layer.hpp"
#include "edgetrace/sdk/propagation.hpp"
#include "edgetrace/sdk/sampler.hpp"
#include "edgetrace/sdk/semconv.hpp"
#include "edgetrace/sdk/span.hpp"
#include "edgetrace/sdk/tracing_builder.hpp"
#include "edgetrace/sdk/value.hpp"
