// edgetrace decode (--elf FILE | --store DIR | --server URL) [--format text|json|otlp-json]
//                  [--input FILE|tcp://HOST:PORT|/dev/ttyX|-]
//
// The defmt-print equivalent for edgetrace and defmt streams, live or from a capture.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "byte_source.hpp"
#include "commands.hpp"
#include "edgetrace/decoder/decoder.hpp"
#include "edgetrace/decoder/defmt.hpp"
#include "edgetrace/decoder/edgetrace_decoder.hpp"
#include "edgetrace/decoder/edgetrace_table.hpp"
#include "edgetrace/decoder/elf_file.hpp"
#include "edgetrace/decoder/log_format.hpp"
#include "edgetrace/decoder/render.hpp"
#include "otlp_json.hpp"

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

  // 3. The output.
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
  OtlpJsonContext otlp;
  otlp.format_name = defmt ? "defmt" : "edgetrace";
  std::string out;
  const decoder::Handshake* last_handshake = nullptr;
  auto sink = [&](const Record& r) {
    if (o.format == "json") {
      decoder::append_json(r, out);
      out.push_back('\n');
    } else if (o.format == "otlp-json") {
      otlp.handshake = last_handshake;
      append_otlp_json(r, otlp, out);
    } else if (defmt || (log_format && r.kind == decoder::RecordKind::kLog)) {
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
    } else {
      decoder::append_text(r, text, out);
      out.push_back('\n');
    }
  };

  // 4. Decode until the input ends (or Ctrl-C).
  std::uint64_t unresolved = 0;
  decoder::DecoderTables tables;
  decoder::DecoderOptions options;
  if (o.verbose)
    options.on_problem = [](std::string_view what) {
      std::fprintf(stderr, "edgetrace: %.*s\n", static_cast<int>(what.size()), what.data());
    };
  if (defmt) {
    tables.defmt = defmt;
  } else {
    tables.edgetrace = table;
    if (input_is_live(o.input)) {
      options.wall_clock = [] {
        return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
      };
    }
    if (backend) {
      tables.resolver = [&backend, &unresolved, reported = std::set<std::string>()](
                            std::span<const std::uint8_t> id) mutable
          -> std::shared_ptr<const decoder::EdgetraceTable> {
        const std::string hex = decoder::build_id_hex(id);
        auto entry = backend->get(hex);
        if (entry && (*entry)->edgetrace)
          return (*entry)->edgetrace;
        if (reported.insert(hex).second) {
          ++unresolved;
          print_error("no edgetrace table for build-id " + hex + ": " +
                      (entry ? std::string("the stored ELF has only a defmt table")
                             : entry.status().message()));
        }
        return nullptr;
      };
    }
  }
  const decoder::StreamFormat format =
      defmt ? decoder::defmt_stream_format(*defmt) : decoder::StreamFormat::kEdgetrace;
  auto made = decoder::make_decoder(format, std::move(tables), std::move(options));
  if (!made) {
    print_error(made.status().message());
    return kExitFailed;
  }
  decoder::Decoder& stream = **made;
  const decoder::RecordSink on_record = [&](const Record& r) {
    last_handshake = stream.last_handshake();
    sink(r);
  };

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
    const std::span<const std::uint8_t> chunk(buffer.data(), *n);
    stream.feed(chunk, on_record);
    if (!out.empty()) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
      out.clear();
    }
  }
  stream.finish(on_record);
  if (!out.empty()) {
    std::fwrite(out.data(), 1, out.size(), stdout);
    out.clear();
  }
  std::fflush(stdout);

  const DecoderCounters& c = stream.counters();
  print_summary(c, unresolved, stream.format() != decoder::StreamFormat::kEdgetrace);
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
  cmd->add_option("--format", o->format, "output: text (default), json, otlp-json")
      ->check(CLI::IsMember({"text", "json", "otlp-json"}));
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
