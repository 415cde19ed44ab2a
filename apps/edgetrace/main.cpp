// edgetrace: the command-line tool.
//
//   edgetrace context parse --traceparent 00-...-01 [--tracestate k=v]
//   edgetrace context new [--sampled]
//   edgetrace baggage parse 'userId=alice,region=eu;ttl=30'
//   edgetrace resource
//   edgetrace symbols upload|list|show|verify|delete|serve ... (symbols_command.cpp)
//   edgetrace decode (--elf F | --store D | --server U) ... (decode_command.cpp)
//   edgetrace version
//
// Exit codes: 0 success, 1 input rejected or an operation failed (the reason is printed on
// stderr), 2 usage error. Every command is documented in docs/cli.md.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "commands.hpp"
#include "edgetrace/config/otel_environment.hpp"
#include "edgetrace/core/baggage.hpp"
#include "edgetrace/core/env.hpp"
#include "edgetrace/core/resource.hpp"
#include "edgetrace/core/trace_context.hpp"

namespace {

using namespace edgetrace::core;

int context_parse(const std::string& traceparent, const std::string& tracestate) {
  Result<TraceParent> tp = parse_traceparent(traceparent);
  if (!tp) {
    std::fprintf(stderr, "edgetrace: %s\n", tp.status().message().c_str());
    return 1;
  }
  std::printf("version    %02x\n", tp->version);
  std::printf("trace-id   %s\n", tp->trace_id.to_hex().c_str());
  std::printf("parent-id  %s\n", tp->parent_id.to_hex().c_str());
  std::printf("flags      %02x (sampled=%s, random=%s)\n", tp->flags.bits,
              tp->flags.sampled() ? "yes" : "no", tp->flags.random() ? "yes" : "no");
  if (!tracestate.empty()) {
    Result<TraceState> ts = TraceState::parse(tracestate);
    if (!ts) {
      std::printf("tracestate discarded: %s\n", ts.status().message().c_str());
    } else {
      for (const auto& [k, v] : ts->members())
        std::printf("tracestate %s = %s\n", k.c_str(), v.c_str());
    }
  }
  // What a service receiving these headers sends downstream: a new parent-id, same trace.
  TraceParent child = *tp;
  child.parent_id = SpanId::random();
  std::printf("child      %s\n", format_traceparent(child).c_str());
  return 0;
}

int context_new(bool sampled) {
  TraceParent tp;
  tp.trace_id = TraceId::random();
  tp.parent_id = SpanId::random();
  tp.flags.bits =
      static_cast<std::uint8_t>(TraceFlags::kRandom | (sampled ? TraceFlags::kSampled : 0));
  std::printf("%s\n", format_traceparent(tp).c_str());
  return 0;
}

int baggage_parse(const std::string& header) {
  Result<Baggage> b = Baggage::parse(header);
  if (!b) {
    std::fprintf(stderr, "edgetrace: %s\n", b.status().message().c_str());
    return 1;
  }
  for (const auto& e : b->entries()) {
    std::printf("%s = %s%s%s\n", e.key.c_str(), e.value.c_str(), e.metadata.empty() ? "" : "  ; ",
                e.metadata.c_str());
  }
  if (b->dropped() > 0)
    std::printf("(%zu members dropped: over the W3C limits)\n", b->dropped());
  std::printf("header: %s\n", b->to_header().c_str());
  return 0;
}

int resource() {
  const edgetrace::config::OtelEnvironment otel =
      edgetrace::config::read_otel_environment(edgetrace::core::process_environment());
  for (const auto& p : otel.warnings) {
    if (p.rfind("OTEL_RESOURCE_ATTRIBUTES", 0) == 0 || p.rfind("OTEL_SERVICE_NAME", 0) == 0)
      std::fprintf(stderr, "edgetrace: warning: %s\n", p.c_str());
  }
  Resource r = build_resource({}, otel.resource_attributes.value_or(edgetrace::core::Attributes{}),
                              otel.service_name, edgetrace::core::current_executable_name());
  for (const auto& kv : r.attributes()) {
    std::printf("%s = %s\n", kv.key.c_str(), kv.value.to_display_string().c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edgetrace: OpenTelemetry tracing and logging from firmware to backend"};
  app.set_version_flag("--version", std::string(edgetrace::core::sdk_version()));
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 success, 1 an operation failed or the input was invalid, 2 usage "
      "error. Every command has --help; see docs/cli.md.");

  auto* context = app.add_subcommand("context", "W3C trace context headers");
  context->require_subcommand(1);
  std::string traceparent;
  std::string tracestate;
  auto* parse = context->add_subcommand("parse", "Parse and check traceparent/tracestate");
  parse->add_option("--traceparent", traceparent, "traceparent header value")->required();
  parse->add_option("--tracestate", tracestate, "tracestate header value");
  bool sampled = false;
  auto* make = context->add_subcommand("new", "Start a new trace and print its traceparent");
  make->add_flag("--sampled", sampled, "set the sampled flag");

  auto* baggage = app.add_subcommand("baggage", "W3C baggage headers");
  baggage->require_subcommand(1);
  std::string baggage_header;
  auto* bparse = baggage->add_subcommand("parse", "Parse, decode and re-encode a baggage header");
  bparse->add_option("header", baggage_header, "baggage header value")->required();

  auto* res = app.add_subcommand("resource",
                                 "Print the resource this process would report (OTEL_SERVICE_NAME, "
                                 "OTEL_RESOURCE_ATTRIBUTES)");

  edgetrace::cli::Action action;
  edgetrace::cli::add_symbols_command(app, action);
  edgetrace::cli::add_decode_command(app, action);
  edgetrace::cli::add_version_command(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (action)
    return action();
  if (parse->parsed())
    return context_parse(traceparent, tracestate);
  if (make->parsed())
    return context_new(sampled);
  if (bparse->parsed())
    return baggage_parse(baggage_header);
  if (res->parsed())
    return resource();
  return 2;
}
