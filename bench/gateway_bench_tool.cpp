// The helper program of bench/gateway_bench.sh (the gateway's load tests):
//
//   gateway_bench_tool setup <dir>
//       writes into <dir>: es256.pub.pem, rs256.pub.pem (public keys for proxy.jwt),
//       token.es256, token.rs256 (tokens valid for a day, iss "bench", aud "edgetraced"),
//       logs.json (a 2 KiB OTLP/JSON log batch with e-mail addresses for the redaction).
//   gateway_bench_tool upstream
//       a discarding OTLP/HTTP backend on 127.0.0.1: answers 200 "{}" to POST /v1/traces,
//       /v1/logs and /v1/metrics; prints its URL, serves until SIGINT/SIGTERM, prints the
//       number of requests.
//   gateway_bench_tool load <http|grpc> <endpoint> <spans-per-second> <seconds> <batch>
//       sends trace batches of <batch> spans at the given rate (paced per batch) through the
//       project's OTLP transports; prints the batches sent and the failures.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/net/http_server.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "edgetrace/otlp/exporter.hpp"
#include "proxy/jwt_testing.hpp"

namespace {

using namespace edgetrace;

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

// A batch of log records like a browser page sends (OTLP/JSON), padded to about 2 KiB.
std::string logs_batch() {
  std::string records;
  for (int i = 0; i < 8; ++i) {
    if (i > 0)
      records += ",";
    records += R"({"timeUnixNano":"1764770000000000000","severityNumber":9,"severityText":"INFO",)"
               R"("body":{"stringValue":"checkout step )" +
               std::to_string(i) +
               R"( done for jane.doe@example.com from 203.0.113.7"},)"
               R"("attributes":[{"key":"page.route","value":{"stringValue":"/cart/checkout"}},)"
               R"({"key":"http.status","value":{"intValue":"200"}}]})";
  }
  return R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":)"
         R"({"stringValue":"web-shop"}},{"key":"browser.platform","value":)"
         R"({"stringValue":"Linux x86_64"}}]},"scopeLogs":[{"scope":{"name":"app"},)"
         R"("logRecords":[)" +
         records + "]}]}]}";
}

int setup(const std::string& dir) {
  using namespace edgetrace::daemon::testing;
  const TestKey ec = TestKey::generate_ec("bench-ec");
  const TestKey rsa = TestKey::generate_rsa("bench-rsa");
  TestClaims claims;
  claims.sub = "bench-user";
  claims.iss = "bench";
  claims.aud = "edgetraced";
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  claims.exp = now + 86400;
  claims.iat = now;
  const bool ok = write_file(dir + "/es256.pub.pem", ec.public_pem) &&
                  write_file(dir + "/rs256.pub.pem", rsa.public_pem) &&
                  write_file(dir + "/token.es256", sign_es256({"ES256"}, claims.json(), ec)) &&
                  write_file(dir + "/token.rs256", sign_rs256({"RS256"}, claims.json(), rsa)) &&
                  write_file(dir + "/logs.json", logs_batch());
  if (!ok) {
    std::fprintf(stderr, "gateway_bench_tool: cannot write into %s\n", dir.c_str());
    return 1;
  }
  return 0;
}

int upstream() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  net::HttpServerOptions options;
  options.listen = "127.0.0.1:0";
  options.io_threads = 1;
  options.max_body_bytes = 64u << 20;
  options.max_connections = 4096;
  net::HttpServer server(options);
  std::atomic<std::uint64_t> requests{0};
  for (const char* path : {"/v1/traces", "/v1/logs", "/v1/metrics"})
    server.route("POST", path, net::sync_handler([&requests](net::Request&&) {
                   requests.fetch_add(1, std::memory_order_relaxed);
                   return net::Response::json(200, "{}");
                 }));
  if (core::Status s = server.start(); !s.ok()) {
    std::fprintf(stderr, "gateway_bench_tool upstream: %s\n", s.to_string().c_str());
    return 1;
  }
  std::printf("%s\n", server.url().c_str());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&signals, &signal);
  server.stop(std::chrono::seconds(2));
  std::fprintf(stderr, "upstream requests=%llu\n",
               static_cast<unsigned long long>(requests.load()));
  return 0;
}

otlp::TraceRequest trace_batch(std::size_t spans) {
  otlp::TraceRequest request;
  auto* rs = request.add_resource_spans();
  auto* kv = rs->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("loadgen");
  auto* scope = rs->add_scope_spans();
  scope->mutable_scope()->set_name("loadgen");
  const core::TraceId trace = core::TraceId::random();
  const auto now =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  for (std::size_t i = 0; i < spans; ++i) {
    auto* span = scope->add_spans();
    span->set_trace_id(trace.bytes().data(), trace.bytes().size());
    const core::SpanId id = core::SpanId::random();
    span->set_span_id(id.bytes().data(), id.bytes().size());
    span->set_name("load-span");
    span->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_SERVER);
    span->set_start_time_unix_nano(now);
    span->set_end_time_unix_nano(now + 1000000);
    // The Collector's load test spans carry a few attributes of this size.
    for (const char* key : {"load_generator.span_seq_num", "load_generator.trace_seq_num"}) {
      auto* a = span->add_attributes();
      a->set_key(key);
      a->mutable_value()->set_int_value(static_cast<std::int64_t>(i));
    }
    auto* a = span->add_attributes();
    a->set_key("http.route");
    a->mutable_value()->set_string_value("/api/v1/orders/{id}");
  }
  return request;
}

int load(const std::string& protocol, const std::string& endpoint, double spans_per_second,
         double seconds, std::size_t batch) {
  otlp::OtlpExporterOptions options;
  options.protocol = protocol == "grpc" ? otlp::Protocol::kGrpc : otlp::Protocol::kHttpProtobuf;
  options.endpoint = endpoint;
  options.insecure = true;
  auto transport = otlp::create_transport(options);
  if (!transport.ok()) {
    std::fprintf(stderr, "gateway_bench_tool load: %s\n", transport.status().message().c_str());
    return 1;
  }
  const auto interval =
      std::chrono::duration<double>(static_cast<double>(batch) / spans_per_second);
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  std::uint64_t sent = 0;
  std::uint64_t failed = 0;
  auto next = start;
  while (std::chrono::steady_clock::now() < end) {
    const std::string bytes = otlp::encode_protobuf(trace_batch(batch));
    const otlp::TransportResponse r =
        (*transport)
            ->send(otlp::Signal::kTraces, bytes, otlp::Clock::now() + std::chrono::seconds(10));
    if (r.verdict.action == otlp::Action::kSuccess)
      ++sent;
    else
      ++failed;
    next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval);
    std::this_thread::sleep_until(next);
  }
  std::printf("batches_sent=%llu failed=%llu spans=%llu\n", static_cast<unsigned long long>(sent),
              static_cast<unsigned long long>(failed),
              static_cast<unsigned long long>(sent * batch));
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "setup" && argc == 3)
    return setup(argv[2]);
  if (command == "upstream" && argc == 2)
    return upstream();
  if (command == "load" && argc == 7)
    return load(argv[2], argv[3], std::atof(argv[4]), std::atof(argv[5]),
                static_cast<std::size_t>(std::atoll(argv[6])));
  std::fprintf(stderr,
               "usage: gateway_bench_tool setup <dir>\n"
               "       gateway_bench_tool upstream\n"
               "       gateway_bench_tool load <http|grpc> <endpoint> <spans/s> <seconds> "
               "<batch>\n");
  return 2;
}
