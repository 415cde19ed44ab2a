// Fuzzes the durable queue's recovery: the input becomes a segment file (and, from the first
// "ETQA" on, if any, the state file), then the queue is opened, drained and acknowledged, and
// reopened. Checks that damage never crashes, never fails open() (except a segment of a newer
// format version, which is refused by design), delivers records in increasing sequence order, and
// that an ack sticks across a reopen.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "edgetrace/otlp/durable_queue.hpp"

using namespace edgetrace;

namespace {

void check(bool condition) {
  if (!condition)
    std::abort();
}

// The directory all inputs use, removed at exit. A plain array, so that it outlives every
// destructor that runs before the exit handler.
char g_base_dir[256];

const char* base_dir() {
  if (g_base_dir[0] == '\0') {
    // Memory-backed when available: each input creates and renames files.
    std::error_code ec;
    const std::filesystem::path root = std::filesystem::is_directory("/dev/shm", ec)
                                           ? std::filesystem::path("/dev/shm")
                                           : std::filesystem::temp_directory_path();
    std::string tmpl = (root / "edgetrace-dq-fuzz-XXXXXX").string();
    check(tmpl.size() < sizeof g_base_dir && ::mkdtemp(tmpl.data()) != nullptr);
    std::copy(tmpl.begin(), tmpl.end(), g_base_dir);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(g_base_dir, ignored);
    });
  }
  return g_base_dir;
}

void write_file(const std::string& path, const std::uint8_t* data, std::size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string dir = std::string(base_dir()) + "/q";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directory(dir, ec);

  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::size_t split = std::min(bytes.find("ETQA"), size);
  const std::size_t segment_size = split;
  if (split < size)
    write_file(dir + "/queue.state", data + split, size - split);
  write_file(dir + "/0000000000000001.seg", data, segment_size);

  otlp::DurableQueueOptions options;
  options.directory = dir;
  options.segment_bytes = 4096;
  options.max_record_bytes = 1024;
  options.max_bytes = 4 * 4096;
  options.fsync.mode = otlp::FsyncMode::kNever;

  std::uint64_t last = 0;
  {
    core::Result<otlp::DurableQueue> q = otlp::DurableQueue::open(options);
    if (!q.ok()) {
      check(q.status().code() == core::StatusCode::kFailedPrecondition);
      return 0;
    }
    const otlp::DurableQueueCounters c = q->counters();
    check(c.corrupt_bytes <= size);
    std::uint64_t payload_bytes = 0;
    for (;;) {
      core::Result<std::vector<otlp::QueuedRecord>> batch = q->read(16);
      check(batch.ok());
      if (batch->empty())
        break;
      for (const otlp::QueuedRecord& r : *batch) {
        check(r.sequence > last);
        last = r.sequence;
        payload_bytes += r.payload.size();
      }
    }
    check(payload_bytes <= size);
    core::Result<std::uint64_t> appended = q->append("after", 1);
    check(appended.ok() && *appended > last);
    last = *appended;
    check(q->read(16)->size() == 1);
    check(q->ack(last).ok());
  }
  core::Result<otlp::DurableQueue> again = otlp::DurableQueue::open(options);
  check(again.ok());
  check(again->read(16)->empty());
  return 0;
}
