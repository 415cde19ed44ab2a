#include "exporters/file_lines.hpp"

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "edgetrace/otlp/model.hpp"
#include "testing/temp_dir.hpp"

namespace edgetrace::daemon {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

namespace v1 = ::opentelemetry::proto;
namespace fs = std::filesystem;

std::string bytes(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

otlp::TraceRequest traces(std::string_view name = "read_sensor") {
  otlp::TraceRequest r;
  auto* rs = r.add_resource_spans();
  otlp::add_string_attribute(*rs->mutable_resource()->mutable_attributes(), "device.id",
                             "65740001");
  auto* span = rs->add_scope_spans()->add_spans();
  span->set_trace_id(bytes("4BF92F3577B34DA6A3CE929D0E0E4736"));
  span->set_span_id(bytes("00f067aa0ba902b7"));
  span->set_name(std::string(name));
  span->set_start_time_unix_nano(1'764'000'000'123'456'789ULL);
  span->set_end_time_unix_nano(1'764'000'000'223'456'789ULL);
  return r;
}

otlp::LogsRequest logs() {
  otlp::LogsRequest r;
  auto* record = r.add_resource_logs()->add_scope_logs()->add_log_records();
  record->set_time_unix_nano(1'764'000'000'000'000'001ULL);
  record->set_severity_number(v1::logs::v1::SEVERITY_NUMBER_WARN);
  record->mutable_body()->set_string_value("battery low");
  record->set_span_id(bytes("00f067aa0ba902b7"));
  return r;
}

otlp::MetricsRequest metrics() {
  otlp::MetricsRequest r;
  auto* metric = r.add_resource_metrics()->add_scope_metrics()->add_metrics();
  metric->set_name("edgetrace.frames.lost");
  auto* point = metric->mutable_sum()->add_data_points();
  point->set_as_int(9'007'199'254'740'993LL);  // beyond a double's exact integers
  point->set_time_unix_nano(1'764'000'000'000'000'000ULL);
  return r;
}

std::vector<std::string> lines_of(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

std::string metrics_text(const FileLinesExporter& e) {
  MetricsText m;
  e.write_metrics(m);
  return m.text();
}

template <typename M>
void expect_decodes_to(const std::string& line, const M& expected) {
  core::Result<M> decoded = otlp::decode_json<M>(line);
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(decoded.value(), expected))
      << decoded.value().DebugString();
}

TEST(FileLinesTest, EachRequestIsOneOtlpJsonLineThatDecodesBack) {
  testing::TempDir dir("edgetraced-file");
  FileLinesExporter e({.path = dir.file("telemetry.jsonl")});
  ASSERT_TRUE(e.open().ok());
  EXPECT_EQ(e.export_traces(traces(), {}), ExportResult::kDelivered);
  EXPECT_EQ(e.export_logs(logs(), {}), ExportResult::kDelivered);
  EXPECT_EQ(e.export_metrics(metrics(), {}), ExportResult::kDelivered);
  // Read while the exporter still has the file open: nothing waits in a buffer.
  const std::vector<std::string> lines = lines_of(dir.file("telemetry.jsonl"));
  ASSERT_THAT(lines, SizeIs(3));
  expect_decodes_to(lines[0], traces());
  expect_decodes_to(lines[1], logs());
  expect_decodes_to(lines[2], metrics());
  // OTLP/JSON (opentelemetry-proto's README, "JSON Protobuf Encoding"): lowerCamelCase keys,
  // trace and span ids as lowercase hex, 64-bit integers as decimal strings.
  EXPECT_THAT(lines[0], HasSubstr("{\"resourceSpans\":[{\"resource\":{\"attributes\":"));
  EXPECT_THAT(lines[0], HasSubstr("\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\""));
  EXPECT_THAT(lines[0], HasSubstr("\"spanId\":\"00f067aa0ba902b7\""));
  EXPECT_THAT(lines[0], HasSubstr("\"startTimeUnixNano\":\"1764000000123456789\""));
  EXPECT_THAT(lines[1], HasSubstr("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{"));
  EXPECT_THAT(lines[1], HasSubstr("\"severityNumber\":13"));
  EXPECT_THAT(lines[2], HasSubstr("\"asInt\":\"9007199254740993\""));

  const std::string m = metrics_text(e);
  EXPECT_THAT(m, HasSubstr("edgetraced_file_lines_total{exporter=\"file\",signal=\"traces\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("edgetraced_file_lines_total{exporter=\"file\",signal=\"logs\"} 1\n"));
  EXPECT_THAT(m,
              HasSubstr("edgetraced_file_lines_total{exporter=\"file\",signal=\"metrics\"} 1\n"));
  const auto size = fs::file_size(dir.file("telemetry.jsonl"));
  EXPECT_THAT(m, HasSubstr("edgetraced_file_bytes_total{exporter=\"file\"} " +
                           std::to_string(size) + "\n"));
}

TEST(FileLinesTest, AppendsToAnExistingFileAndSkipsEmptyRequests) {
  testing::TempDir dir("edgetraced-file");
  const std::string path = dir.file("t.jsonl");
  std::ofstream(path) << "{\"resourceSpans\":[]}\n";
  FileLinesExporter e({.path = path});
  ASSERT_TRUE(e.open().ok());
  EXPECT_EQ(e.export_traces(otlp::TraceRequest(), {}), ExportResult::kDelivered);
  EXPECT_EQ(e.export_traces(traces(), {}), ExportResult::kDelivered);
  const std::vector<std::string> lines = lines_of(path);
  ASSERT_THAT(lines, SizeIs(2));
  EXPECT_EQ(lines[0], "{\"resourceSpans\":[]}");
  expect_decodes_to(lines[1], traces());
}

TEST(FileLinesTest, RotatesAtMaxBytesKeepingMaxFiles) {
  testing::TempDir dir("edgetraced-file");
  const std::string path = dir.file("t.jsonl");
  const std::size_t line_bytes = otlp::encode_json(traces("span-0")).size() + 1;
  // Two lines fit in a file, a third does not.
  FileLinesExporter e({.path = path, .max_bytes = 2 * line_bytes + 1, .max_files = 2});
  ASSERT_TRUE(e.open().ok());
  for (int i = 0; i < 7; ++i)
    ASSERT_EQ(e.export_traces(traces("span-" + std::to_string(i)), {}), ExportResult::kDelivered);
  // Lines 0-1 were in the file rotated out of path.2; 2-3 in path.2, 4-5 in path.1, 6 in path.
  const auto names_in = [](const std::string& file) {
    std::vector<std::string> names;
    for (const std::string& line : lines_of(file)) {
      core::Result<otlp::TraceRequest> r = otlp::decode_json<otlp::TraceRequest>(line);
      EXPECT_TRUE(r.ok()) << r.status().to_string();
      if (r.ok())
        names.push_back(r.value().resource_spans(0).scope_spans(0).spans(0).name());
    }
    return names;
  };
  EXPECT_EQ(names_in(path), (std::vector<std::string>{"span-6"}));
  EXPECT_EQ(names_in(path + ".1"), (std::vector<std::string>{"span-4", "span-5"}));
  EXPECT_EQ(names_in(path + ".2"), (std::vector<std::string>{"span-2", "span-3"}));
  EXPECT_FALSE(fs::exists(path + ".3"));
  for (const char* f : {"t.jsonl", "t.jsonl.1", "t.jsonl.2"})
    EXPECT_LE(fs::file_size(dir.path() / f), 2 * line_bytes + 1) << f;
  EXPECT_THAT(metrics_text(e), HasSubstr("edgetraced_file_rotations_total{exporter=\"file\"} 3\n"));
}

TEST(FileLinesTest, LineLongerThanMaxBytesGetsAFileOfItsOwn) {
  testing::TempDir dir("edgetraced-file");
  const std::string path = dir.file("t.jsonl");
  FileLinesExporter e({.path = path, .max_bytes = 10, .max_files = 1});
  ASSERT_TRUE(e.open().ok());
  ASSERT_EQ(e.export_traces(traces("first"), {}), ExportResult::kDelivered);
  ASSERT_EQ(e.export_traces(traces("second"), {}), ExportResult::kDelivered);
  ASSERT_THAT(lines_of(path), SizeIs(1));
  expect_decodes_to(lines_of(path)[0], traces("second"));
  ASSERT_THAT(lines_of(path + ".1"), SizeIs(1));
  expect_decodes_to(lines_of(path + ".1")[0], traces("first"));
}

TEST(FileLinesTest, NoRotatedFilesKeptWithMaxFilesZero) {
  testing::TempDir dir("edgetraced-file");
  const std::string path = dir.file("t.jsonl");
  FileLinesExporter e({.path = path, .max_bytes = 10, .max_files = 0});
  ASSERT_TRUE(e.open().ok());
  ASSERT_EQ(e.export_traces(traces("first"), {}), ExportResult::kDelivered);
  ASSERT_EQ(e.export_traces(traces("second"), {}), ExportResult::kDelivered);
  ASSERT_THAT(lines_of(path), SizeIs(1));
  expect_decodes_to(lines_of(path)[0], traces("second"));
  EXPECT_FALSE(fs::exists(path + ".1"));
}

TEST(FileLinesTest, ReopenAfterRenameWritesToANewFile) {
  testing::TempDir dir("edgetraced-file");
  const std::string path = dir.file("t.jsonl");
  FileLinesExporter e({.path = path});
  ASSERT_TRUE(e.open().ok());
  ASSERT_EQ(e.export_traces(traces("before"), {}), ExportResult::kDelivered);
  fs::rename(path, path + ".old");  // what logrotate does before sending SIGHUP
  ASSERT_EQ(e.export_traces(traces("still-old"), {}), ExportResult::kDelivered);
  ASSERT_TRUE(e.reopen().ok());
  ASSERT_EQ(e.export_traces(traces("after"), {}), ExportResult::kDelivered);
  ASSERT_THAT(lines_of(path + ".old"), SizeIs(2));
  expect_decodes_to(lines_of(path + ".old")[1], traces("still-old"));
  ASSERT_THAT(lines_of(path), SizeIs(1));
  expect_decodes_to(lines_of(path)[0], traces("after"));
  EXPECT_THAT(metrics_text(e), HasSubstr("edgetraced_file_reopens_total{exporter=\"file\"} 1\n"));
}

TEST(FileLinesTest, UnwritablePathGivesAClearErrorAndExportsRetryLater) {
  testing::TempDir dir("edgetraced-file");
  const std::string path = dir.file("missing/t.jsonl");
  FileLinesExporter e({.path = path});
  const core::Status s = e.open();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(),
            "exporters.file: cannot open '" + path + "' for appending: No such file or directory");
  EXPECT_EQ(e.export_traces(traces(), {}), ExportResult::kRetryLater);
  EXPECT_THAT(metrics_text(e),
              HasSubstr("edgetraced_file_write_errors_total{exporter=\"file\"} 1\n"));
  // Once the directory exists the next export opens the file itself.
  fs::create_directory(dir.path() / "missing");
  EXPECT_EQ(e.export_traces(traces(), {}), ExportResult::kDelivered);
  EXPECT_THAT(lines_of(path), SizeIs(1));
}

TEST(FileLinesTest, DirectoryAsPathIsAClearError) {
  testing::TempDir dir("edgetraced-file");
  FileLinesExporter e({.path = dir.path().string()});
  const core::Status s = e.open();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("'" + dir.path().string() + "'"));
  EXPECT_THAT(s.message(), HasSubstr("Is a directory"));
}

TEST(FileLinesTest, EmptyPathIsAnError) {
  FileLinesExporter e({});
  const core::Status s = e.open();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "exporters.file: path is empty");
}

TEST(FileLinesTest, FailedWriteIsRetryLaterAndCounted) {
  // /dev/full: every write fails with ENOSPC, like a full disk.
  ASSERT_TRUE(fs::exists("/dev/full"));
  FileLinesExporter e({.path = "/dev/full"});
  ASSERT_TRUE(e.open().ok());
  EXPECT_EQ(e.export_traces(traces(), {}), ExportResult::kRetryLater);
  EXPECT_EQ(e.export_logs(logs(), {}), ExportResult::kRetryLater);
  const std::string m = metrics_text(e);
  EXPECT_THAT(m, HasSubstr("edgetraced_file_write_errors_total{exporter=\"file\"} 2\n"));
  EXPECT_THAT(m, HasSubstr("edgetraced_file_lines_total{exporter=\"file\",signal=\"traces\"} 0\n"));
}

TEST(FileLinesTest, ShutdownClosesAndRefusesLaterExports) {
  testing::TempDir dir("edgetraced-file");
  FileLinesExporter e({.path = dir.file("t.jsonl")});
  ASSERT_TRUE(e.open().ok());
  e.shutdown();
  EXPECT_EQ(e.export_traces(traces(), {}), ExportResult::kRetryLater);
  EXPECT_EQ(fs::file_size(dir.file("t.jsonl")), 0u);
}

}  // namespace
}  // namespace edgetrace::daemon
