// End-to-end export benchmark: spans per second exported over loopback OTLP/HTTP and
// OTLP/gRPC to a discarding receiver, with the exporter's CPU use; and peak memory while
// the receiver is down.
//
// The receiver runs in a child process, so this process's CPU time is the exporter's own.
// Spans are the OpenTelemetry performance-benchmark span: 10 attributes, each a
// 20-character string; batches of 512.
//
//   otlp_export_bench [seconds per case, default 5]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/otlp/batch_processor.hpp"
#include "edgetrace/otlp/exporter.hpp"
#include "fake_http_receiver.hpp"
#include "testing/fake_grpc_receiver.hpp"

namespace {

using namespace edgetrace;
using namespace std::chrono_literals;

otlp::ExportTraceServiceRequest make_batch(int spans) {
  otlp::ExportTraceServiceRequest r;
  auto* rs = r.add_resource_spans();
  auto* kv = rs->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("bench");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("edgetrace.bench");
  for (int i = 0; i < spans; ++i) {
    auto* s = ss->add_spans();
    const auto t = core::TraceId::random();
    const auto id = core::SpanId::random();
    s->set_trace_id(std::string(t.bytes().begin(), t.bytes().end()));
    s->set_span_id(std::string(id.bytes().begin(), id.bytes().end()));
    s->set_name("benchmark-span");
    s->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_INTERNAL);
    s->set_start_time_unix_nano(1700000000000000000ULL);
    s->set_end_time_unix_nano(1700000000000100000ULL);
    for (int a = 0; a < 10; ++a) {
      auto* attr = s->add_attributes();
      attr->set_key("attribute.key." + std::to_string(a));
      attr->mutable_value()->set_string_value("01234567890123456789");
    }
  }
  return r;
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Runs a discarding receiver in a child process; returns its pid and port.
pid_t start_receiver(bool grpc, int& port) {
  int fds[2];
  if (pipe(fds) != 0)
    std::abort();
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (grpc) {
      testing::FakeOtlpGrpcReceiver rx;
      int p = rx.port();
      if (write(fds[1], &p, sizeof p) != sizeof p)
        _exit(1);
      for (;;)
        pause();
    } else {
      testing::FakeOtlpHttpReceiver rx;
      rx.set_discard(true);
      int p = rx.port();
      if (write(fds[1], &p, sizeof p) != sizeof p)
        _exit(1);
      for (;;)
        pause();
    }
  }
  close(fds[1]);
  if (read(fds[0], &port, sizeof port) != sizeof port)
    std::abort();
  close(fds[0]);
  return pid;
}

void throughput(const char* name, otlp::Protocol protocol, double seconds) {
  int port = 0;
  const bool grpc = protocol == otlp::Protocol::kGrpc;
  pid_t pid = start_receiver(grpc, port);
  otlp::OtlpExporterOptions o;
  o.protocol = protocol;
  o.endpoint = grpc ? "http://127.0.0.1:" + std::to_string(port)
                    : "http://127.0.0.1:" + std::to_string(port) + "/v1/traces";
  auto exporter = otlp::OtlpExporter::create(o, [](std::string_view m) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(m.size()), m.data());
  });
  if (!exporter) {
    std::fprintf(stderr, "%s\n", exporter.status().to_string().c_str());
    std::exit(1);
  }
  const auto batch = make_batch(512);
  std::string encoded;
  batch.SerializeToString(&encoded);
  // Warm up the connection.
  (void)(*exporter)->export_traces(batch, otlp::Clock::now() + 10s);
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t spans = 0;
  while (std::chrono::steady_clock::now() - t0 < std::chrono::duration<double>(seconds)) {
    spans += (*exporter)->export_traces(batch, otlp::Clock::now() + 10s).delivered;
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  std::printf(
      "| %s | %.0f | %.2f | %.0f | %.1f |\n", name, static_cast<double>(spans) / wall, cpu / wall,
      static_cast<double>(spans) / cpu,
      static_cast<double>(encoded.size()) * static_cast<double>(spans) / 512.0 / wall / 1e6);
}

long peak_rss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

// Pushes spans into a BatchProcessor whose receiver is down, and reports peak memory.
void outage(double seconds) {
  otlp::OtlpExporterOptions o;
  o.endpoint = "http://127.0.0.1:9/v1/traces";  // discard port: connection refused
  o.retry.initial_backoff = 100ms;
  auto exporter = otlp::OtlpExporter::create(o, [](std::string_view) {});
  otlp::BatchOptions bo;
  bo.export_timeout = 2s;
  bo.schedule_delay = 200ms;
  using Item = opentelemetry::proto::trace::v1::Span;
  otlp::BatchProcessor<Item> processor(bo, [&](std::vector<Item>& items, otlp::Deadline d) {
    otlp::ExportTraceServiceRequest r;
    auto* ss = r.add_resource_spans()->add_scope_spans();
    for (auto& s : items)
      *ss->add_spans() = std::move(s);
    auto out = (*exporter)->export_traces(r, d);
    return otlp::BatchOutcome{out.delivered, out.failed};
  });
  const auto one = make_batch(1).resource_spans(0).scope_spans(0).spans(0);
  const long before = peak_rss_kib();
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t pushed = 0;
  while (std::chrono::steady_clock::now() - t0 < std::chrono::duration<double>(seconds)) {
    for (int i = 0; i < 1000; ++i)
      processor.push(one);
    pushed += 1000;
  }
  const long after = peak_rss_kib();
  std::printf(
      "\nReceiver down for %.0f s: %zu spans pushed, %llu dropped (queue full), queue "
      "depth %zu, peak RSS %ld KiB (%ld KiB before the outage)\n",
      seconds, pushed,
      static_cast<unsigned long long>(processor.counters().dropped_queue_full_total()),
      processor.queue_depth(), after, before);
  (*exporter)->shutdown();  // fail fast: the receiver is not coming back
  (void)processor.shutdown(otlp::Clock::now() + 5s);
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 5.0;
  std::printf(
      "| exporter | spans/s | exporter cores used | spans/s per exporter core | MB/s "
      "(protobuf) |\n|---|---|---|---|---|\n");
  throughput("OTLP/HTTP protobuf", otlp::Protocol::kHttpProtobuf, seconds);
  throughput("OTLP/HTTP JSON", otlp::Protocol::kHttpJson, seconds);
  throughput("OTLP/gRPC", otlp::Protocol::kGrpc, seconds);
  outage(seconds);
  return 0;
}
