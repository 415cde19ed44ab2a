// End-to-end: the example firmware on a Cortex-M3 under QEMU, its UART carried over a TCP
// connection QEMU opens to the real edgetraced, which decodes with the ELF uploaded by the
// real CLI, rebuilds the traces and exports them to a real OTLP/HTTP receiver.
//
// The ctest case edgetraced.firmware_qemu_tcp (tests/tests.cmake) runs this binary with
// ET_FIRMWARE_DAEMON=1 once; the suite set-up does the whole run and every test checks one
// property of what the receiver got (src/testing/example_firmware.hpp, the same checks as
// `edgetrace decode` of a capture): the span tree with its derived ids, the correlation of
// every log line, the times within the real window, the order across the device's fault and
// reset, the span cut off by the reset, the device's drop report, and the daemon's counters.
// Without ET_FIRMWARE_DAEMON the tests skip; the ctest case fails on any skip.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "edgetrace/decoder/elf_file.hpp"
#include "testing/example_firmware.hpp"
#include "testing/fake_http_receiver.hpp"
#include "testing/temp_dir.hpp"
#include "testing/wait.hpp"
#include "tests/daemon_process.hpp"

namespace edgetrace::daemon {
namespace {

namespace fw = edgetrace::testing::example_firmware;
using edgetrace::testing::FakeOtlpHttpReceiver;
using edgetrace::testing::TempDir;
using edgetrace::testing::wait_until;
using testing::DaemonProcess;
using testing::run_command;
using namespace std::chrono_literals;

std::uint64_t now_nanos() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

struct DaemonRun : fw::Run {
  std::map<std::string, std::int64_t> metrics;  // the daemon's counters after the run
};

class FirmwareDaemonTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::getenv("ET_FIRMWARE_DAEMON") == nullptr) {
      skip_ = true;
      return;
    }
    error_ = run_all(run_);
  }

  void SetUp() override {
    if (skip_)
      GTEST_SKIP() << "ET_FIRMWARE_DAEMON not set (run ctest -R edgetraced.firmware_qemu_tcp)";
    ASSERT_EQ(error_, "");
  }

  static std::string run_all(DaemonRun& run) {
    auto elf = decoder::ElfFile::open(ET_FIRMWARE_ELF);
    if (!elf || !elf->build_id())
      return std::string(ET_FIRMWARE_ELF) + ": not an ELF with a build-id";
    run.elf_build_id = core::to_hex(*elf->build_id());

    TempDir dir("edgetraced-firmware");
    FakeOtlpHttpReceiver rx;
    {
      std::ofstream(dir.file("token")) << "firmware-token\n";
      std::ofstream config(dir.file("edgetraced.toml"));
      config << "[admin]\nlisten = \"127.0.0.1:0\"\n"
             << "[symbols]\nstore = \"" << dir.file("symbols") << "\"\ntoken_file = \""
             << dir.file("token") << "\"\n"
             << "[receivers.device_tcp]\nlisten = \"127.0.0.1:0\"\n"
             << "[receivers.otlp]\nhttp = \"\"\ngrpc = \"\"\n"
             << "[queue]\ndir = \"" << dir.file("queue") << "\"\n"
             << "[exporters.otlp]\nendpoint = \"" << rx.url() << "\"\n"
             << "[[devices.services]]\nbuild_id = \"" << run.elf_build_id
             << "\"\nservice_name = \"example\"\n";
    }
    DaemonProcess d(ET_EDGETRACED, {"--config", dir.file("edgetraced.toml")},
                    dir.file("edgetraced.log"));
    if (!d.started())
      return "edgetraced did not start:\n" + d.log();
    const auto [code, output] = run_command({ET_CLI, "symbols", "upload", "--server",
                                             "http://127.0.0.1:" + std::to_string(d.port("admin")),
                                             "--token-file", dir.file("token"), ET_FIRMWARE_ELF});
    if (code != 0)
      return "upload failed:\n" + output;

    run.qemu_start = now_nanos();
    const auto [qcode, qoutput] =
        run_command({ET_SOURCE_DIR "/firmware/run-qemu.sh", ET_FIRMWARE_ELF,
                     "tcp:127.0.0.1:" + std::to_string(d.port("device TCP")), "60"},
                    90s);
    run.qemu_end = now_nanos();
    if (qcode != 0)
      return "QEMU failed (" + std::to_string(qcode) + "):\n" + qoutput;

    const std::map<std::string, std::string> tcp{{"receiver", "device_tcp"}};
    const auto metric = [&](std::string_view name,
                            const std::map<std::string, std::string>& labels) {
      return d.count(name, labels);
    };
    // The connection closed with QEMU; everything decoded is in the queue, then exported.
    const bool done = wait_until(
        [&] {
          return metric("edgetraced_device_streams_opened_total", tcp) == 1 &&
                 metric("edgetraced_device_streams_active", tcp) == 0 &&
                 metric("edgetraced_queue_depth", {}) == 0;
        },
        30s);
    if (!done)
      return "the daemon did not finish the stream:\n" + d.get("/metrics").second + d.log();
    for (const char* name :
         {"edgetraced_frames_received_total", "edgetraced_frames_corrupt_total",
          "edgetraced_frames_lost_total", "edgetraced_frames_unknown_total",
          "edgetraced_device_spans_total", "edgetraced_device_log_records_total"})
      run.metrics[name] = metric(name, tcp);
    for (const auto& r : rx.received()) {
      if (!r.decode_error.empty())
        return "the receiver could not decode a request: " + r.decode_error;
      run.add(r.traces);
      run.add(r.logs);
    }
    if (d.terminate() != 0)
      return "edgetraced did not stop cleanly:\n" + d.log();
    return "";
  }

  static const DaemonRun& run() { return run_; }

 private:
  static inline bool skip_ = false;
  static inline std::string error_;
  static inline DaemonRun run_;
};

TEST_F(FirmwareDaemonTest, ResourceNamesTheServiceTheDeviceAndTheBoot) {
  fw::check_resources(run(), "example");  // from the [[devices.services]] rule
}

TEST_F(FirmwareDaemonTest, SpanTreeIsTheFirmwaresWithDerivedIds) {
  fw::check_span_tree(run());
}

TEST_F(FirmwareDaemonTest, LogsCarryTheIdsOfTheSpanTheyWereWrittenIn) {
  fw::check_log_correlation(run(), ET_SOURCE_DIR "/firmware/expected_stream.txt");
}

TEST_F(FirmwareDaemonTest, TimesLieInTheRunsRealWindow) {
  fw::check_times_in_window(run());
}

TEST_F(FirmwareDaemonTest, DeviceOrderIsKeptAcrossTheFaultAndReset) {
  fw::check_device_order(run());
}

TEST_F(FirmwareDaemonTest, SpanCutOffByTheFaultAndResetIsIncomplete) {
  fw::check_cut_off_span(run());
}

TEST_F(FirmwareDaemonTest, TheDevicesDropReportIsALossOnNoSpan) {
  fw::check_drop_report(run());
}

TEST_F(FirmwareDaemonTest, DaemonCountersMatchWhatWasExported) {
  const auto& m = run().metrics;
  EXPECT_GT(m.at("edgetraced_frames_received_total"), 50);
  EXPECT_EQ(m.at("edgetraced_frames_corrupt_total"), 0);
  EXPECT_EQ(m.at("edgetraced_frames_unknown_total"), 0);
  EXPECT_EQ(m.at("edgetraced_frames_lost_total"), 24);  // the device's own drop report
  EXPECT_EQ(m.at("edgetraced_device_spans_total"), static_cast<std::int64_t>(fw::kSpans));
  EXPECT_EQ(m.at("edgetraced_device_spans_total"), static_cast<std::int64_t>(run().spans.size()));
  EXPECT_EQ(m.at("edgetraced_device_log_records_total"),
            static_cast<std::int64_t>(run().logs.size()));
}

}  // namespace
}  // namespace edgetrace::daemon
