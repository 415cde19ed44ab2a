// edgetrace decode (--elf FILE | --store DIR | --server URL) [--format text|json|otlp-json]
//                  [--input FILE|tcp://HOST:PORT|/dev/ttyX|-] [--anchor-time TIME]
//                  [--export URL [--protocol P] [--header K=V]...]
//
// The defmt-print equivalent for edgetrace and defmt streams, live or from a capture; with
// otlp-json or --export, the stream's spans and logs rebuilt by edgetrace::bridge.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "byte_source.hpp"
#include "commands.hpp"
#include "edgetrace/bridge/bridge.hpp"
#include "edgetrace/config/values.hpp"
#include "edgetrace/decoder/decoder.hpp"
#include "edgetrace/decoder/defmt.hpp"
#include "edgetrace/decoder/edgetrace_decoder.hpp"
#include "edgetrace/decoder/edgetrace_table.hpp"
#include "edgetrace/decoder/elf_file.hpp"
#include "edgetrace/decoder/log_format.hpp"
#include "edgetrace/decoder/render.hpp"
#include "edgetrace/otlp/exporter.hpp"

namespace edgetrace::cli {
namespace {

using decoder::DecoderCounters;
using decoder::Record;

struct DecodeOptions {
  SymbolsLocation location;
  std::string elf;
  std::string format = "text";
  std::string input = "-";
  std::string color = "auto";
  std::string time = "auto";
  std::string log_format;  // defmt-print's --log-format; empty: the default line
  unsigned baud = 115200;
  bool strict = false;
  bool show_location = false;
  bool verbose = false;
  std::string anchor_time;
  std::string export_url;
  std::string protocol = "http/protobuf";
  std::vector<std::string> headers;
  std::string service_name;
  std::string service_version;
  std::vector<std::string> resource;
};

extern "C" void on_stop_signal(int) {
  ByteSource::request_stop();
}

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking read returns EINTR and the loop ends
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool use_color(const std::string& mode) {
  if (mode == "always")
    return true;
  if (mode == "never")
    return false;
  const char* no_color = std::getenv("NO_COLOR");  // https://no-color.org
  if (no_color != nullptr && no_color[0] != '\0')
    return false;
  return ::isatty(STDOUT_FILENO) == 1;
}

decoder::TextOptions::Time parse_time(const std::string& t) {
  using T = decoder::TextOptions::Time;
  if (t == "none")
    return T::kNone;
  if (t == "ticks")
    return T::kTicks;
  if (t == "seconds")
    return T::kSeconds;
  if (t == "wall")
    return T::kWallClock;
  return T::kAuto;
}

const char* level_color(const Record& r) {
  if (!r.level)
    return "";
  switch (*r.level) {
    case core::Level::kTrace:
      return "\x1b[2m";
    case core::Level::kDebug:
      return "\x1b[36m";
    case core::Level::kInfo:
      return "\x1b[32m";
    case core::Level::kWarn:
      return "\x1b[33m";
    case core::Level::kError:
    case core::Level::kFatal:
      return "\x1b[31m";
  }
  return "";
}

void print_summary(const DecoderCounters& c, std::uint64_t unresolved, bool defmt) {
  std::fprintf(stderr,
               "summary: frames=%llu records=%llu corrupt=%llu lost=%llu unknown=%llu "
               "malformed=%llu build-id-mismatches=%llu unresolved-build-ids=%llu "
               "dropped=%llu skipped-bytes=%llu%s\n",
               static_cast<unsigned long long>(c.frames),
               static_cast<unsigned long long>(c.records),
               static_cast<unsigned long long>(c.corrupt_frames),
               static_cast<unsigned long long>(c.lost_frames),
               static_cast<unsigned long long>(c.unknown_callsites),
               static_cast<unsigned long long>(c.malformed_records),
               static_cast<unsigned long long>(c.build_id_mismatches),
               static_cast<unsigned long long>(unresolved),
               static_cast<unsigned long long>(c.dropped_records),
               static_cast<unsigned long long>(c.bytes_skipped), defmt ? " (defmt)" : "");
}

struct ExportTotals {
  std::uint64_t spans = 0;
  std::uint64_t log_records = 0;
  std::uint64_t failed_spans = 0;
  std::uint64_t failed_log_records = 0;
};

bool input_is_live(const std::string& input) {
  return input.rfind("tcp://", 0) == 0 || input.rfind("/dev/", 0) == 0;
}

int run(const DecodeOptions& o) {
  // 1. Where the tables come from.
  std::shared_ptr<const decoder::EdgetraceTable> table;
  std::shared_ptr<const decoder::DefmtTable> defmt;
  std::unique_ptr<SymbolBackend> backend;
  if (!o.elf.empty()) {
    auto elf = decoder::ElfFile::open(o.elf, o.location.max_elf_bytes);
    if (!elf) {
      print_error(elf.status().message());
      return kExitFailed;
    }
    auto t = decoder::EdgetraceTable::from_elf(*elf);
    if (t) {
      for (const std::string& problem : t->check())
        print_error("warning: " + o.elf + ": " + problem);
      table = std::make_shared<const decoder::EdgetraceTable>(std::move(*t));
    } else if (t.status().code() != core::StatusCode::kNotFound) {
      print_error(t.status().message());
      return kExitFailed;
    } else if (decoder::has_defmt_table(*elf)) {
      auto d = decoder::DefmtTable::from_elf(*elf);
      if (!d) {
        print_error(d.status().message());
        return kExitFailed;
      }
      defmt = std::make_shared<const decoder::DefmtTable>(std::move(*d));
    } else {
      print_error(o.elf +
                  ": neither an edgetrace call-site table nor a defmt table: nothing to decode "
                  "with");
      return kExitFailed;
    }
  } else {
    auto b = SymbolBackend::open(o.location);
    if (!b) {
      print_error(b.status().message());
      return kExitFailed;
    }
    backend = std::move(*b);
  }

  // 2. The input.
  auto source = ByteSource::open(o.input, ByteSourceOptions{o.baud});
  if (!source) {
    print_error(source.status().message());
    return kExitFailed;
  }
  install_stop_handlers();
  if (o.verbose)
    std::fprintf(stderr, "edgetrace: decoding %s\n", (*source)->description().c_str());

  // 3. The decoder (one per pass over the input).
  std::uint64_t unresolved = 0;
  std::set<std::string> reported;
  const decoder::StreamFormat format =
      defmt ? decoder::defmt_stream_format(*defmt) : decoder::StreamFormat::kEdgetrace;
  auto make = [&](bool report) -> core::Result<std::unique_ptr<decoder::Decoder>> {
    decoder::DecoderTables tables;
    decoder::DecoderOptions options;
    if (o.verbose && report)
      options.on_problem = [](std::string_view what) {
        std::fprintf(stderr, "edgetrace: %.*s\n", static_cast<int>(what.size()), what.data());
      };
    if (defmt) {
      tables.defmt = defmt;
    } else {
      tables.edgetrace = table;
      if (backend) {
        tables.resolver = [&backend, &unresolved, &reported,
                           report](std::span<const std::uint8_t> id)
            -> std::shared_ptr<const decoder::EdgetraceTable> {
          const std::string hex = decoder::build_id_hex(id);
          auto entry = backend->get(hex);
          if (entry && (*entry)->edgetrace)
            return (*entry)->edgetrace;
          if (report && reported.insert(hex).second) {
            ++unresolved;
            print_error("no edgetrace table for build-id " + hex + ": " +
                        (entry ? std::string("the stored ELF has only a defmt table")
                               : entry.status().message()));
          }
          return nullptr;
        };
      }
    }
    return decoder::make_decoder(format, std::move(tables), std::move(options));
  };

  // 4. Spans and logs (otlp-json, --export): the bridge, its time anchor and its exporters.
  const bool bridging = o.format == "otlp-json" || !o.export_url.empty();
  const bool live = input_is_live(o.input) || !(*source)->capture_mtime_unix_nanos();
  bridge::BridgeOptions bridge_options;
  if (!o.elf.empty()) {
    auto elf = decoder::ElfFile::open(o.elf, o.location.max_elf_bytes);
    auto info = elf ? bridge::read_firmware_info(*elf, o.elf)
                    : core::Result<bridge::FirmwareInfo>(elf.status());
    if (info)
      bridge_options.firmware = std::move(*info);
  }
  if (!o.service_name.empty() || !o.service_version.empty())
    bridge_options.resource.services.push_back({.build_id = "",
                                                .elf_pattern = "",
                                                .service_name = o.service_name,
                                                .service_version = o.service_version});
  for (const std::string& kv : o.resource) {
    const std::size_t eq = kv.find('=');
    bridge_options.resource.attributes.set(kv.substr(0, eq), kv.substr(eq + 1));
  }
  bridge_options.time = live ? bridge::TimeMode::kLive : bridge::TimeMode::kAnchored;
  if (bridging && !live) {
    if (!o.anchor_time.empty()) {
      auto t = config::parse_timestamp(o.anchor_time);
      if (!t) {
        print_error("--anchor-time: " + t.status().message());
        return kExitUsage;
      }
      bridge_options.anchor_unix_nanos = *t;
    } else {
      // The file was last written when its last record arrived: a first pass finds how
      // long the capture spans in device time, so that its end lands on the mtime.
      constexpr std::uint64_t kProbeAnchor = std::uint64_t{1} << 62;
      bridge::BridgeOptions probe_options = bridge_options;
      probe_options.anchor_unix_nanos = kProbeAnchor;
      bridge::StreamBridge probe(probe_options, [](bridge::Batch&) {});
      auto d = make(false);
      if (!d) {
        print_error(d.status().message());
        return kExitFailed;
      }
      std::vector<std::uint8_t> buffer(64 * 1024);
      for (;;) {
        auto n = (*source)->read(buffer);
        if (!n || *n == 0)
          break;
        (*d)->feed(std::span<const std::uint8_t>(buffer.data(), *n),
                   [&](const Record& r) { probe.add(r, (*d)->counters()); });
      }
      const std::uint64_t span = probe.clock().last_unix_nanos() > kProbeAnchor
                                     ? probe.clock().last_unix_nanos() - kProbeAnchor
                                     : 0;
      const std::uint64_t mtime = *(*source)->capture_mtime_unix_nanos();
      bridge_options.anchor_unix_nanos = mtime > span ? mtime - span : mtime;
      if (auto r = (*source)->rewind(); !r.ok()) {
        print_error(r.message());
        return kExitFailed;
      }
      std::fprintf(stderr,
                   "edgetrace: capture times taken from the file's modification time: "
                   "first record at %s (set --anchor-time to change)\n",
                   config::format_timestamp(bridge_options.anchor_unix_nanos).c_str());
    }
  }

  std::unique_ptr<otlp::OtlpExporter> trace_exporter;
  std::unique_ptr<otlp::OtlpExporter> log_exporter;
  if (!o.export_url.empty()) {
    otlp::OtlpExporterOptions eo;
    eo.protocol = *otlp::parse_protocol(o.protocol);  // checked by the option's validator
    for (const std::string& h : o.headers) {
      const std::size_t eq = h.find('=');
      eo.headers.push_back({h.substr(0, eq), h.substr(eq + 1)});
    }
    for (auto [signal, exporter] : {std::pair{otlp::Signal::kTraces, &trace_exporter},
                                    {otlp::Signal::kLogs, &log_exporter}}) {
      otlp::OtlpExporterOptions signal_options = eo;
      signal_options.endpoint = otlp::signal_endpoint(o.export_url, eo.protocol, signal);
      auto made = otlp::OtlpExporter::create(std::move(signal_options));
      if (!made) {
        print_error("--export: " + made.status().message());
        return kExitUsage;
      }
      *exporter = std::move(*made);
    }
  }

  // 5. The output.
  decoder::TextOptions text;
  text.time = parse_time(o.time);
  text.location = o.show_location;
  text.color = use_color(o.color);
  std::optional<decoder::LogFormat> log_format;
  if (!o.log_format.empty()) {
    auto parsed = decoder::LogFormat::parse(o.log_format);
    if (!parsed || o.format != "text") {
      print_error(parsed ? "--log-format applies to --format text" : parsed.status().message());
      return kExitFailed;
    }
    log_format = std::move(*parsed);
  }
  std::string out;
  ExportTotals sent;
  auto on_batch = [&](bridge::Batch& batch) {
    if (o.format == "otlp-json") {
      if (batch.spans > 0)
        out += otlp::encode_json(batch.traces) + "\n";
      if (batch.log_records > 0)
        out += otlp::encode_json(batch.logs) + "\n";
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    if (trace_exporter && batch.spans > 0) {
      const otlp::ExportOutcome r = trace_exporter->export_traces(batch.traces, deadline);
      sent.spans += r.delivered;
      sent.failed_spans += r.failed;
    }
    if (log_exporter && batch.log_records > 0) {
      const otlp::ExportOutcome r = log_exporter->export_logs(batch.logs, deadline);
      sent.log_records += r.delivered;
      sent.failed_log_records += r.failed;
    }
  };
  std::optional<bridge::StreamBridge> bridged;
  if (bridging) {
    bridged.emplace(bridge_options, on_batch);
    if (defmt)
      bridged->set_defmt_table(defmt);
  }
  auto made = make(true);
  if (!made) {
    print_error(made.status().message());
    return kExitFailed;
  }
  decoder::Decoder& stream = **made;
  const auto now_nanos = [] {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  };
  std::uint64_t received = 0;
  const decoder::RecordSink on_record = [&](const Record& r) {
    if (bridged)
      bridged->add(r, stream.counters(), received);
    if (o.format == "json") {
      decoder::append_json(r, out);
      out.push_back('\n');
    } else if (o.format == "text" &&
               (defmt || (log_format && r.kind == decoder::RecordKind::kLog))) {
      // defmt-print's line: --log-format, or its default for this firmware.
      const decoder::LogFormat& line =
          log_format
              ? *log_format
              : decoder::LogFormat::defmt_default(defmt->timestamp() != nullptr, o.show_location);
      const char* color = text.color ? level_color(r) : "";
      out += color;
      line.append(r, out);
      if (color[0] != '\0')
        out += "\x1b[0m";
      out.push_back('\n');
    } else if (o.format == "text") {
      decoder::append_text(r, text, out);
      out.push_back('\n');
    }
  };
  const auto write_out = [&out] {
    if (!out.empty()) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
      out.clear();
    }
  };

  // 6. Decode until the input ends (or Ctrl-C).
  std::vector<std::uint8_t> buffer(64 * 1024);
  int result = kExitOk;
  for (;;) {
    auto n = (*source)->read(buffer);
    if (!n) {
      print_error(n.status().message());
      result = kExitFailed;
      break;
    }
    if (*n == 0)
      break;
    received = live ? now_nanos() : 0;
    stream.feed(std::span<const std::uint8_t>(buffer.data(), *n), on_record);
    if (bridged && live) {
      bridged->note_counters(stream.counters(), received);
      bridged->flush();  // live: hand over what each read brought
    }
    write_out();
  }
  stream.finish(on_record);
  if (bridged) {
    bridged->note_counters(stream.counters(), live ? now_nanos() : 0);
    bridged->end_stream(live ? now_nanos() : 0);
    bridged->flush();
  }
  write_out();

  const DecoderCounters& c = stream.counters();
  print_summary(c, unresolved, stream.format() != decoder::StreamFormat::kEdgetrace);
  if (bridged) {
    const bridge::BridgeCounters& b = bridged->counters();
    std::fprintf(stderr,
                 "bridge: spans=%llu incomplete=%llu logs=%llu logs-correlation-guessed=%llu "
                 "loss-events=%llu resets=%llu\n",
                 static_cast<unsigned long long>(b.spans),
                 static_cast<unsigned long long>(b.incomplete_spans),
                 static_cast<unsigned long long>(b.log_records),
                 static_cast<unsigned long long>(b.logs_correlation_guessed),
                 static_cast<unsigned long long>(b.loss_events),
                 static_cast<unsigned long long>(b.resets));
  }
  if (trace_exporter) {
    std::fprintf(stderr,
                 "export: %llu spans and %llu log records delivered to %s (%s), %llu spans and "
                 "%llu log records failed\n",
                 static_cast<unsigned long long>(sent.spans),
                 static_cast<unsigned long long>(sent.log_records), o.export_url.c_str(),
                 o.protocol.c_str(), static_cast<unsigned long long>(sent.failed_spans),
                 static_cast<unsigned long long>(sent.failed_log_records));
    if (sent.failed_spans + sent.failed_log_records > 0)
      result = kExitFailed;
  }
  if (o.strict && (c.corrupt_frames > 0 || c.malformed_records > 0 || c.lost_frames > 0 ||
                   c.unknown_callsites > 0 || c.build_id_mismatches > 0 || unresolved > 0)) {
    print_error("--strict: the input had corrupt, lost or undecodable data");
    result = kExitFailed;
  }
  return result;
}

}  // namespace

void add_decode_command(CLI::App& app, Action& action) {
  auto o = std::make_shared<DecodeOptions>();
  auto* cmd = app.add_subcommand(
      "decode",
      "Decode a device stream (edgetrace frames or Rust defmt v4) with the firmware's ELF, live "
      "or from a capture. A summary of counters is printed on stderr at the end");
  auto* elf = cmd->add_option("--elf", o->elf,
                              "firmware ELF; its table selects the format (edgetrace or defmt)");
  o->location.add_options(*cmd, false);
  // --elf excludes --store and --server (set up by add_options).
  for (const char* name : {"--store", "--server"})
    elf->excludes(cmd->get_option(name));
  cmd->add_option("--format", o->format,
                  "output: text (default), json (one record per line), otlp-json (the rebuilt "
                  "spans and logs, one OTLP/JSON export request per line), none")
      ->check(CLI::IsMember({"text", "json", "otlp-json", "none"}));
  cmd->add_option("--anchor-time", o->anchor_time,
                  "captures: the wall-clock time of the first record, RFC 3339 "
                  "(2026-12-02T10:15:30Z) or Unix seconds; default: the capture ends at the "
                  "file's modification time");
  cmd->add_option("--export", o->export_url,
                  "send the rebuilt spans and logs to this OTLP endpoint (base URL, as "
                  "OTEL_EXPORTER_OTLP_ENDPOINT: http://host:4318, or http://host:4317 for grpc)");
  const auto key_value = CLI::Validator(
      [](std::string& v) {
        return v.find('=') == std::string::npos || v.front() == '='
                   ? "expected KEY=VALUE, got '" + v + "'"
                   : std::string();
      },
      "K=V");
  cmd->add_option("--service-name", o->service_name,
                  "otlp-json/--export: the resource's service.name (default: the ELF's file name "
                  "without extension)");
  cmd->add_option("--service-version", o->service_version,
                  "otlp-json/--export: service.version (default: the firmware's "
                  "firmware.version string, if it has one)");
  cmd->add_option("--resource", o->resource,
                  "otlp-json/--export: a resource attribute K=V added to every device's "
                  "resource (repeatable)")
      ->check(key_value);
  cmd->add_option("--protocol", o->protocol,
                  "with --export: grpc, http/protobuf (default), http/json")
      ->check(CLI::IsMember({"grpc", "http/protobuf", "http/json"}));
  cmd->add_option("--header", o->headers,
                  "with --export: a request header K=V (repeatable; values are never printed)")
      ->check(CLI::Validator(
          [](std::string& v) {
            return v.find('=') == std::string::npos || v.front() == '='
                       ? "expected KEY=VALUE, got a header without '='"
                       : std::string();
          },
          "K=V"));
  cmd->add_option("--input", o->input,
                  "FILE (a capture), tcp://HOST:PORT (connects), a serial device such as "
                  "/dev/ttyACM0, or - for standard input (default)");
  cmd->add_option("--color", o->color, "auto (a terminal without NO_COLOR), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  cmd->add_option("--time", o->time, "text time prefix: auto, none, ticks, seconds, wall")
      ->check(CLI::IsMember({"auto", "none", "ticks", "seconds", "wall"}));
  cmd->add_option("--baud", o->baud, "serial port speed (default 115200)")
      ->check(CLI::Validator(
          [](std::string& v) {
            try {
              return is_supported_baud(static_cast<unsigned>(std::stoul(v)))
                         ? std::string()
                         : "unsupported baud rate " + v;
            } catch (const std::exception&) {
              return "not a baud rate: " + v;
            }
          },
          "BAUD"));
  cmd->add_option("--log-format", o->log_format,
                  "text lines as defmt-print's --log-format, e.g. \"{t} [{L}] {s} ({f}:{l})\": "
                  "{s} message, {L} level, {t} timestamp, {f} file, {F} path, {l} line, {m} "
                  "module, {c} crate; widths such as {L:<5}");
  cmd->add_flag("--location", o->show_location,
                "append (file:line) to text lines; defmt: defmt-print -v's location line");
  cmd->add_flag("--strict", o->strict,
                "exit 1 if the input had corrupt frames, lost frames, unknown call sites, "
                "malformed records or another firmware's build-id");
  cmd->add_flag("-v,--verbose", o->verbose, "describe each problem on stderr as it is found");
  cmd->callback([&action, o] {
    const int sources = (o->elf.empty() ? 0 : 1) + (o->location.store_dir.empty() ? 0 : 1) +
                        (o->location.server_url.empty() ? 0 : 1);
    if (sources != 1)
      throw CLI::ValidationError("give exactly one of --elf FILE, --store DIR or --server URL");
    action = [o] { return run(*o); };
  });
}

}  // namespace edgetrace::cli
