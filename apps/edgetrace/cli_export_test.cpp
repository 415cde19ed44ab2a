// `edgetrace decode --export`: a capture's spans and logs, rebuilt by the bridge, sent to a
// real OTLP receiver on a socket over each protocol.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fake_http_receiver.hpp"
#include "testing/fake_grpc_receiver.hpp"
#include "testing/temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
using edgetrace::testing::ReceivedRequest;

constexpr std::uint64_t kAnchor = 1764669600'000000000;  // 2025-12-02T10:00:00Z

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class CliExportTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CliExportTest, SendsTheRebuiltSpansAndLogsOfACapture) {
  const std::string protocol = GetParam();
  edgetrace::testing::TempDir dir("edgetrace-cli-export");
  const std::string capture = dir.file("capture.bin");
  ASSERT_EQ(run(std::string(ET_FIXTURE_ELF) + " --stream > " + capture), 0);

  std::optional<edgetrace::testing::FakeOtlpHttpReceiver> http;
  std::optional<edgetrace::testing::FakeOtlpGrpcReceiver> grpc;
  std::string url;
  if (protocol == "grpc") {
    grpc.emplace();
    ASSERT_NE(grpc->port(), 0) << grpc->start_error();
    url = "http://" + grpc->address();
  } else {
    http.emplace();
    url = http->url();
  }
  const std::string err = dir.file("err");
  const int code =
      run(std::string(ET_CLI) + " decode --elf " + ET_FIXTURE_ELF + " --input " + capture +
          " --format none --anchor-time 2025-12-02T10:00:00Z --export " + url + " --protocol " +
          protocol + " --header x-api-key=s3cret-value 2> " + err);
  const std::string stderr_text = slurp(err);
  ASSERT_EQ(code, 0) << stderr_text;
  EXPECT_NE(stderr_text.find("export: 2 spans and 4 log records delivered to " + url),
            std::string::npos)
      << stderr_text;
  EXPECT_EQ(stderr_text.find("s3cret-value"), std::string::npos);

  const std::vector<ReceivedRequest> requests = grpc ? grpc->received() : http->received();
  std::vector<opentelemetry::proto::trace::v1::Span> spans;
  std::vector<opentelemetry::proto::logs::v1::LogRecord> logs;
  std::string service;
  for (const ReceivedRequest& r : requests) {
    EXPECT_EQ(r.decode_error, "");
    EXPECT_EQ(r.headers.count("x-api-key"), 1u) << r.path;
    for (const auto& rs : r.traces.resource_spans()) {
      for (const auto& kv : rs.resource().attributes())
        if (kv.key() == "service.name")
          service = kv.value().string_value();
      for (const auto& ss : rs.scope_spans())
        spans.insert(spans.end(), ss.spans().begin(), ss.spans().end());
    }
    for (const auto& rl : r.logs.resource_logs())
      for (const auto& sl : rl.scope_logs())
        logs.insert(logs.end(), sl.log_records().begin(), sl.log_records().end());
  }
  ASSERT_EQ(spans.size(), 2u);
  ASSERT_EQ(logs.size(), 4u);
  EXPECT_EQ(service, "symbol_store_fixture");
  std::map<std::string, std::string> trace_of_span;
  for (const auto& s : spans) {
    EXPECT_EQ(s.name(), "report");
    EXPECT_GE(s.start_time_unix_nano(), kAnchor);
    EXPECT_LT(s.end_time_unix_nano(), kAnchor + 60'000'000'000);
    trace_of_span[s.span_id()] = s.trace_id();
  }
  EXPECT_NE(spans[0].trace_id(), spans[1].trace_id());  // two local roots, two traces
  for (const auto& l : logs) {
    // Every log of the fixture is written inside a span: it carries that span's ids.
    ASSERT_EQ(trace_of_span.count(l.span_id()), 1u) << l.body().string_value();
    EXPECT_EQ(trace_of_span[l.span_id()], l.trace_id());
    EXPECT_GE(l.time_unix_nano(), kAnchor);
  }
}

INSTANTIATE_TEST_SUITE_P(Protocols, CliExportTest,
                         ::testing::Values("http/protobuf", "http/json", "grpc"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           for (char& c : name)
                             if (c == '/')
                               c = '_';
                           return name;
                         });

}  // namespace
