// OTLP receiver benchmark: spans per second per core that edgetraced's OTLP/HTTP (protobuf)
// and OTLP/gRPC receivers take in, over loopback, into an Intake that only counts (so the
// figure is the receiver's cost: HTTP or gRPC, decoding, the response; not the queue's).
// The target: >= 300,000 spans/s per core.
//
// The clients run in a child process forked before any thread or grpc state exists, so this
// process's CPU time (getrusage) is the receiver's own; "per core" is spans divided by
// those CPU seconds. Spans are the OpenTelemetry performance-benchmark span (10 attributes,
// each a 20-character string), in batches of 100; two client connections keep the receiver
// busy. The receivers run with their default thread options (one thread each, no hand-off),
// and the HTTP one once more with a handler pool. The Intake takes protobuf bytes as the
// daemon's does without processors (the receiver checks them with otlp::scan_protobuf);
// the "(decoded)" cases ask for decoded requests, as a pipeline with processors does.
//
//   otlp_receivers_bench [seconds per case, default 5]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "edgetrace/core/ids.hpp"
#include "net/net_test_support.hpp"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "receivers/otlp_grpc.hpp"
#include "receivers/otlp_http.hpp"

namespace {

using namespace edgetrace;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kBatch = 100;
constexpr int kClientThreads = 2;

otlp::TraceRequest make_batch(int spans) {
  otlp::TraceRequest r;
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

// Counts what it is given; keeps nothing. Like the daemon's QueueIntake without processors
// it takes protobuf requests as their bytes (the receiver checks them with a wire scan and
// does not decode them) unless `decoded` asks for decoded requests, as a pipeline with
// processors does.
class CountingIntake final : public daemon::Intake {
 public:
  explicit CountingIntake(bool decoded = false) : decoded_(decoded) {}
  bool takes_protobuf(otlp::Signal) const override { return !decoded_; }
  daemon::IntakeResult accept_protobuf(otlp::Signal, std::string_view,
                                       const otlp::WireSummary& summary) override {
    spans.fetch_add(summary.items, std::memory_order_relaxed);
    daemon::IntakeResult result;
    result.accepted = summary.items;
    return result;
  }
  daemon::IntakeResult accept(otlp::TraceRequest& r) override {
    std::uint64_t n = 0;
    for (const auto& rs : r.resource_spans())
      for (const auto& ss : rs.scope_spans())
        n += static_cast<std::uint64_t>(ss.spans_size());
    spans.fetch_add(n, std::memory_order_relaxed);
    daemon::IntakeResult result;
    result.accepted = n;
    return result;
  }
  daemon::IntakeResult accept(otlp::LogsRequest&) override { return {}; }
  daemon::IntakeResult accept(otlp::MetricsRequest&) override { return {}; }
  std::atomic<std::uint64_t> spans{0};

 private:
  bool decoded_;
};

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// ---- The child: clients ------------------------------------------------------------------

struct Ports {
  std::uint16_t http = 0;
  std::uint16_t grpc = 0;
  int which = 0;  // 0: HTTP, 1: gRPC
};

void http_client(std::uint16_t port, const std::string& body, Clock::time_point until) {
  net::testing_support::RawClient client(port);
  const std::string request =
      "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  while (Clock::now() < until) {
    if (!client.send(request))
      std::_Exit(3);
    auto r = client.read_response(30s);
    if (!r || r->status != 200)
      std::_Exit(4);
  }
}

void grpc_client(std::uint16_t port, const otlp::TraceRequest& batch, Clock::time_point until) {
  // A channel per thread with its own subchannel pool: separate HTTP/2 connections, like
  // two exporters.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto stub =
      opentelemetry::proto::collector::trace::v1::TraceService::NewStub(grpc::CreateCustomChannel(
          "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials(), args));
  while (Clock::now() < until) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 30s);
    otlp::TraceResponse response;
    if (!stub->Export(&context, batch, &response).ok())
      std::_Exit(5);
  }
}

[[noreturn]] void run_clients(int ready_fd, int seconds) {
  Ports ports;
  if (::read(ready_fd, &ports, sizeof ports) != static_cast<ssize_t>(sizeof ports))
    std::_Exit(2);
  const otlp::TraceRequest batch = make_batch(kBatch);
  const std::string body = otlp::encode_protobuf(batch);
  const auto until = Clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClientThreads; ++i)
    threads.emplace_back([&] {
      if (ports.which == 0)
        http_client(ports.http, body, until);
      else
        grpc_client(ports.grpc, batch, until);
    });
  for (auto& t : threads)
    t.join();
  std::_Exit(0);
}

// ---- The parent: receivers ---------------------------------------------------------------

struct Child {
  pid_t pid;
  int fd;
};

Child fork_clients(int seconds) {
  int fds[2];
  if (::pipe(fds) != 0)
    std::exit(1);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[1]);
    run_clients(fds[0], seconds);
  }
  ::close(fds[0]);
  return {pid, fds[1]};
}

void report(const char* name, CountingIntake& intake, Child child, Ports ports) {
  const double cpu0 = cpu_seconds();
  const auto t0 = Clock::now();
  if (::write(child.fd, &ports, sizeof ports) != static_cast<ssize_t>(sizeof ports))
    std::exit(1);
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  ::close(child.fd);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "%s: the clients failed (status %d)\n", name, status);
    std::exit(1);
  }
  const double spans = static_cast<double>(intake.spans.load());
  std::printf("%-22s %10.0f spans/s  receiver CPU %5.2f cores  %10.0f spans/s per core  %s\n", name,
              spans / wall, cpu / wall, spans / cpu,
              spans / cpu >= 300000 ? "(target >= 300000: met)" : "(target >= 300000: NOT met)");
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 5;
  // Children first: no thread and no grpc state may exist when fork() runs.
  Child http_child = fork_clients(seconds);
  Child http_handoff_child = fork_clients(seconds);
  Child http_decoded_child = fork_clients(seconds);
  Child grpc_child = fork_clients(seconds);
  Child grpc_decoded_child = fork_clients(seconds);
  std::printf("batches of %d spans (10 attributes each), %d client connections, %d s per case\n",
              kBatch, kClientThreads, seconds);
  {
    // The defaults: the wire scan and Intake::accept_protobuf() on the I/O thread.
    CountingIntake intake;
    daemon::OtlpHttpReceiver http({.listen = "127.0.0.1:0"}, intake);
    if (!http.start().ok())
      return 1;
    report("otlp_http protobuf", intake, http_child, {.http = http.port(), .which = 0});
    http.stop();
  }
  {
    // handler_threads = 2: the same work on a handler pool, one hand-off per request each way
    // (what the hand-off costs).
    CountingIntake intake;
    daemon::OtlpHttpReceiver http({.listen = "127.0.0.1:0", .handler_threads = 2}, intake);
    if (!http.start().ok())
      return 1;
    report("otlp_http (handoff)", intake, http_handoff_child, {.http = http.port(), .which = 0});
    http.stop();
  }
  {
    // Processors configured: each request decoded into messages (on an arena).
    CountingIntake intake(/*decoded=*/true);
    daemon::OtlpHttpReceiver http({.listen = "127.0.0.1:0"}, intake);
    if (!http.start().ok())
      return 1;
    report("otlp_http (decoded)", intake, http_decoded_child, {.http = http.port(), .which = 0});
    http.stop();
  }
  {
    CountingIntake intake;
    daemon::OtlpGrpcReceiver grpc_receiver({.listen = "127.0.0.1:0"}, intake);
    if (!grpc_receiver.start().ok())
      return 1;
    report("otlp_grpc", intake, grpc_child, {.grpc = grpc_receiver.port(), .which = 1});
    grpc_receiver.stop();
  }
  {
    CountingIntake intake(/*decoded=*/true);
    daemon::OtlpGrpcReceiver grpc_receiver({.listen = "127.0.0.1:0"}, intake);
    if (!grpc_receiver.start().ok())
      return 1;
    report("otlp_grpc (decoded)", intake, grpc_decoded_child,
           {.grpc = grpc_receiver.port(), .which = 1});
    grpc_receiver.stop();
  }
  return 0;
}
