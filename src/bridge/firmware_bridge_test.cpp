// End-to-end: the example firmware's real stream (firmware/main.cpp on a Cortex-M3 under
// QEMU) through the bridge, as `edgetrace decode --format otlp-json` prints it.
//
// The ctest case bridge.firmware_qemu_otlp (src/bridge/firmware.cmake) runs
// firmware/run-qemu.sh for a fresh capture, noting the wall-clock time just before and just
// after QEMU, then this binary with
//   ET_FIRMWARE_ELF, ET_FIRMWARE_STREAM             the ELF and the capture
//   ET_QEMU_START_UNIX_NANOS, ET_QEMU_END_UNIX_NANOS  the real window of the capture
// The CLI runs once (no --anchor-time: the capture's modification time anchors its times)
// and every test checks one property of its output: the span tree with its derived ids, the
// correlation of every log line of firmware/expected_stream.txt, the wall-clock times, the
// span cut off by the fault and reset, the device's drop report as a loss, the resource.
// Without those variables (a plain run of the binary) the tests skip; the ctest case fails
// on any skip.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/decoder/elf_file.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "testing/example_firmware.hpp"

namespace edgetrace::bridge {
namespace {

namespace fw = testing::example_firmware;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// "prefix: a=1 b=2 ..." on a line of `text` -> {a: 1, b: 2}; empty if no such line.
std::map<std::string, std::uint64_t> counters_line(const std::string& text,
                                                   std::string_view prefix) {
  std::map<std::string, std::uint64_t> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) != 0)
      continue;
    std::istringstream words(line.substr(prefix.size()));
    std::string word;
    while (words >> word) {
      const std::size_t eq = word.find('=');
      if (eq != std::string::npos)
        out[word.substr(0, eq)] = std::strtoull(word.c_str() + eq + 1, nullptr, 10);
    }
  }
  return out;
}

// What one run of the CLI on the capture produced.
struct CliRun : fw::Run {
  std::uint64_t capture_mtime = 0;
  std::string stderr_text;
};

std::uint64_t env_nanos(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::strtoull(v, nullptr, 10) : 0;
}

class FirmwareBridgeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* elf = std::getenv("ET_FIRMWARE_ELF");
    const char* stream = std::getenv("ET_FIRMWARE_STREAM");
    if (elf == nullptr || stream == nullptr || std::getenv("ET_QEMU_START_UNIX_NANOS") == nullptr ||
        std::getenv("ET_QEMU_END_UNIX_NANOS") == nullptr) {
      skip_ = true;
      return;
    }
    error_ = run_cli(elf, stream, run_);
  }

  void SetUp() override {
    if (skip_)
      GTEST_SKIP() << "ET_FIRMWARE_ELF, ET_FIRMWARE_STREAM, ET_QEMU_START_UNIX_NANOS and "
                      "ET_QEMU_END_UNIX_NANOS not set (run ctest -R bridge.firmware_qemu_otlp)";
    ASSERT_EQ(error_, "");
  }

  // Runs the CLI on the capture and parses what it printed; returns what went wrong.
  static std::string run_cli(const std::string& elf_path, const std::string& stream, CliRun& run) {
    auto elf = decoder::ElfFile::open(elf_path);
    if (!elf)
      return elf.status().to_string();
    if (!elf->build_id())
      return elf_path + ": no build-id";
    run.elf_build_id = core::to_hex(*elf->build_id());
    run.qemu_start = env_nanos("ET_QEMU_START_UNIX_NANOS");
    run.qemu_end = env_nanos("ET_QEMU_END_UNIX_NANOS");
    if (run.qemu_start == 0 || run.qemu_end < run.qemu_start)
      return "bad QEMU window";
    struct stat st {};
    if (::stat(stream.c_str(), &st) != 0 || st.st_size == 0)
      return stream + ": missing or empty capture";
    run.capture_mtime = static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000u +
                        static_cast<std::uint64_t>(st.st_mtim.tv_nsec);

    // Kept beside the capture, for a look after a failure.
    const std::string out = stream + ".otlp.jsonl";
    const std::string err = stream + ".otlp.err";
    const int status =
        std::system((std::string(ET_CLI) + " decode --elf " + quoted(elf_path) + " --input " +
                     quoted(stream) + " --format otlp-json > " + quoted(out) + " 2> " + quoted(err))
                        .c_str());
    run.stderr_text = slurp(err);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      return "edgetrace decode failed (status " + std::to_string(status) + "):\n" + run.stderr_text;

    std::istringstream lines(slurp(out));
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
      ++number;
      const std::string where = out + ":" + std::to_string(number) + ": ";
      if (line.rfind("{\"resourceSpans\"", 0) == 0) {
        auto request = otlp::decode_json<otlp::TraceRequest>(line);
        if (!request)
          return where + request.status().to_string();
        run.add(*request);
      } else if (line.rfind("{\"resourceLogs\"", 0) == 0) {
        auto request = otlp::decode_json<otlp::LogsRequest>(line);
        if (!request)
          return where + request.status().to_string();
        run.add(*request);
      } else {
        return where + "neither a trace nor a logs export request: " + line.substr(0, 80);
      }
    }
    if (run.spans.empty() || run.logs.empty())
      return "no spans or no log records in " + out;
    return "";
  }

  static const CliRun& run() { return run_; }

 private:
  static inline bool skip_ = false;
  static inline std::string error_;
  static inline CliRun run_;
};

TEST_F(FirmwareBridgeTest, ResourceNamesTheFirmwareTheDeviceAndTheBoot) {
  fw::check_resources(run(), "example");  // example.elf without its extension
}

TEST_F(FirmwareBridgeTest, SpanTreeIsTheFirmwaresWithDerivedIds) {
  fw::check_span_tree(run());
}

TEST_F(FirmwareBridgeTest, LogsCarryTheIdsOfTheSpanTheyWereWrittenIn) {
  fw::check_log_correlation(run(), ET_SOURCE_DIR "/firmware/expected_stream.txt");
}

TEST_F(FirmwareBridgeTest, TimesLieInTheCapturesRealWindow) {
  fw::check_times_in_window(run());
}

TEST_F(FirmwareBridgeTest, LatestTimeIsTheCapturesModificationTime) {
  // Without --anchor-time the capture ends at its file's modification time: the latest
  // record (the second boot's log) is exactly there, and the device's order is kept across
  // the reset.
  std::uint64_t latest = 0;
  for (const fw::OutSpan& s : run().spans)
    latest = std::max(latest, s.span.end_time_unix_nano());
  for (const fw::OutLog& l : run().logs)
    latest = std::max(latest, l.log.time_unix_nano());
  EXPECT_EQ(latest, run().capture_mtime);
  const auto restarted = run().logs_with("restarted after a fault, boot 2");
  ASSERT_EQ(restarted.size(), 1u);
  EXPECT_EQ(restarted[0]->log.time_unix_nano(), run().capture_mtime);
  fw::check_device_order(run());
}

TEST_F(FirmwareBridgeTest, SpanCutOffByTheFaultAndResetIsIncomplete) {
  fw::check_cut_off_span(run());
}

TEST_F(FirmwareBridgeTest, TheDevicesDropReportIsALossOnNoSpan) {
  fw::check_drop_report(run());
  const auto bridge = counters_line(run().stderr_text, "bridge: ");
  ASSERT_EQ(bridge.count("loss-events"), 1u) << run().stderr_text;
  EXPECT_EQ(bridge.at("loss-events"), 1u);
}

TEST_F(FirmwareBridgeTest, CountersOnStderrMatchTheOutput) {
  const auto summary = counters_line(run().stderr_text, "summary: ");
  const auto bridge = counters_line(run().stderr_text, "bridge: ");
  ASSERT_FALSE(summary.empty()) << run().stderr_text;
  ASSERT_FALSE(bridge.empty()) << run().stderr_text;
  EXPECT_EQ(summary.at("corrupt"), 0u);
  EXPECT_EQ(summary.at("lost"), 0u);
  EXPECT_EQ(summary.at("dropped"), 24u);
  EXPECT_EQ(bridge.at("spans"), run().spans.size());
  EXPECT_EQ(bridge.at("incomplete"), 1u);
  EXPECT_EQ(bridge.at("logs"), run().logs.size());
  EXPECT_EQ(bridge.at("resets"), 1u);
  EXPECT_NE(run().stderr_text.find("capture times taken from the file's modification time"),
            std::string::npos)
      << run().stderr_text;
}

}  // namespace
}  // namespace edgetrace::bridge
