// kill -9 in the middle of work: a child process appends and consumes records and reports
// each step over a pipe; the parent kills it at a random point, reopens the queue and checks
// that every acknowledged append is delivered, nothing acked is delivered again, and at most
// one read batch (the documented at-least-once bound) is delivered twice.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "edgetrace/otlp/durable_queue.hpp"
#include "testing/file_contents.hpp"
#include "testing/temp_dir.hpp"

namespace edgetrace::otlp {
namespace {

using core::Result;

// What the child reports; one 16-byte write each, atomic on a pipe (< PIPE_BUF).
enum Kind : std::uint64_t {
  kAppended = 1,  // append() returned this sequence
  kRead = 2,      // read() returned a batch ending at this sequence (before its ack)
  kAcked = 3,     // ack() of this sequence returned OK
  kFailed = 4,    // an operation failed or a payload was wrong; the test fails
};
struct Report {
  std::uint64_t kind;
  std::uint64_t sequence;
};

constexpr std::size_t kBatch = 16;

// Deterministic payload of a sequence: 1..2000 bytes, content derived from it.
std::string payload_for(std::uint64_t sequence) {
  const std::size_t size = 1 + (sequence * 7919) % 2000;
  std::string p(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    p[i] = static_cast<char>((sequence * 31 + i) & 0xFF);
  return p;
}

bool payload_ok(const QueuedRecord& r) {
  const std::string expected = payload_for(r.sequence);
  return r.payload.size() == expected.size() &&
         std::equal(r.payload.begin(), r.payload.end(),
                    reinterpret_cast<const std::uint8_t*>(expected.data()));
}

void report(int fd, std::uint64_t kind, std::uint64_t sequence) {
  const Report r{kind, sequence};
  if (::write(fd, &r, sizeof r) != static_cast<ssize_t>(sizeof r))
    ::_exit(2);
}

// With `drops` the queue is meant to fill up: refused appends are not failures.
[[noreturn]] void run_child(const DurableQueueOptions& options, int fd, bool drops) {
  Result<DurableQueue> opened = DurableQueue::open(options);
  if (!opened) {
    report(fd, kFailed, 0);
    ::_exit(1);
  }
  DurableQueue queue = std::move(opened).value();
  // Reads one batch, checks it and acks it; false when there was nothing to read.
  auto consume_batch = [&] {
    Result<std::vector<QueuedRecord>> batch = queue.read(kBatch);
    if (!batch)
      report(fd, kFailed, 0);
    if (!batch || batch->empty())
      return false;
    for (const QueuedRecord& r : *batch)
      if (!payload_ok(r))
        report(fd, kFailed, r.sequence);
    const std::uint64_t last = batch->back().sequence;
    report(fd, kRead, last);
    if (!queue.ack(last).ok())
      report(fd, kFailed, last);
    report(fd, kAcked, last);
    return true;
  };
  if (drops) {
    // One batch of 16 consumed per 64 appends: the queue fills and stays full.
    std::uint64_t next = 1;  // a refused append does not use up a sequence number
    for (std::uint64_t i = 1;; ++i) {
      Result<std::uint64_t> seq = queue.append(payload_for(next), static_cast<std::uint8_t>(i % 3));
      if (!seq && seq.status().code() == core::StatusCode::kResourceExhausted)
        continue;
      if (!seq || *seq != next)
        report(fd, kFailed, next);
      report(fd, kAppended, next++);
      if (i % 64 == 0)
        consume_batch();
    }
  }
  std::thread consumer([&] {
    for (;;) {
      if (!consume_batch())
        std::this_thread::yield();
    }
  });
  for (std::uint64_t i = 1;; ++i) {
    Result<std::uint64_t> seq = queue.append(payload_for(i), static_cast<std::uint8_t>(i % 3));
    if (!seq || *seq != i)
      report(fd, kFailed, i);
    report(fd, kAppended, i);
  }
}

struct Reports {
  std::uint64_t max_appended = 0;
  std::uint64_t max_read = 0;
  std::uint64_t max_acked = 0;
  std::vector<std::uint64_t> failures;
};

void consume(const Report& r, Reports& out) {
  switch (r.kind) {
    case kAppended:
      out.max_appended = std::max(out.max_appended, r.sequence);
      break;
    case kRead:
      out.max_read = std::max(out.max_read, r.sequence);
      break;
    case kAcked:
      out.max_acked = std::max(out.max_acked, r.sequence);
      break;
    default:
      out.failures.push_back(r.sequence);
  }
}

// Reads reports until `appends` appends were reported (then kills the child) and then until
// the pipe is drained.
Reports run_and_kill(pid_t child, int fd, std::uint64_t appends) {
  Reports out;
  Report r{};
  std::size_t have = 0;
  bool killed = false;
  for (;;) {
    const ssize_t n = ::read(fd, reinterpret_cast<char*>(&r) + have, sizeof r - have);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    have += static_cast<std::size_t>(n);
    if (have < sizeof r)
      continue;
    have = 0;
    consume(r, out);
    if (!killed && (out.max_appended >= appends || !out.failures.empty())) {
      ::kill(child, SIGKILL);
      killed = true;
    }
  }
  if (!killed)
    ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  return out;
}

TEST(DurableQueueCrashTest, KillNineLosesNoAcknowledgedRecordAndRedeliversAtMostOneBatch) {
  std::random_device seed_source;
  const std::uint32_t seed = seed_source();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  const auto started = std::chrono::steady_clock::now();
  constexpr FsyncMode kModes[] = {FsyncMode::kNever, FsyncMode::kInterval, FsyncMode::kEveryRecord};

  int iterations = 0;
  for (; iterations < 12 && std::chrono::steady_clock::now() - started < std::chrono::seconds(20);
       ++iterations) {
    SCOPED_TRACE("iteration " + std::to_string(iterations));
    testing::TempDir tmp("edgetrace-dq");
    DurableQueueOptions options;
    options.directory = tmp.file("queue");
    options.segment_bytes = 16 * 1024;  // many segments: rotation and deletion under fire
    options.max_bytes = 64ull << 20;    // no drops: every acknowledged record must survive
    options.max_record_bytes = 4096;
    options.fsync = {kModes[iterations % 3], std::chrono::milliseconds(5), 8};

    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      run_child(options, fds[1], /*drops=*/false);
    }
    ::close(fds[1]);
    // Fewer appends where each one waits for the disk, so that every mode gets iterations.
    constexpr std::uint64_t kMaxAppends[] = {1500, 600, 150};
    const std::uint64_t kill_after =
        std::uniform_int_distribution<std::uint64_t>(1, kMaxAppends[iterations % 3])(rng);
    const Reports reports = run_and_kill(child, fds[0], kill_after);
    ::close(fds[0]);
    ASSERT_TRUE(reports.failures.empty())
        << "the child reported a failure at sequence " << reports.failures.front();
    ASSERT_GE(reports.max_appended, kill_after);

    Result<DurableQueue> opened = DurableQueue::open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().to_string();
    DurableQueue queue = std::move(opened).value();
    EXPECT_EQ(queue.counters().corrupt_records, 0u) << "a crash can only tear the tail";
    std::vector<std::uint64_t> delivered;
    for (;;) {
      Result<std::vector<QueuedRecord>> batch = queue.read(256);
      ASSERT_TRUE(batch.ok()) << batch.status().to_string();
      if (batch->empty())
        break;
      for (const QueuedRecord& r : *batch) {
        ASSERT_TRUE(payload_ok(r)) << "sequence " << r.sequence;
        delivered.push_back(r.sequence);
      }
    }

    // The child's persisted ack position P satisfies max_acked <= P <= max_read (it acks
    // only what it reported as read). Delivery must resume exactly at P + 1, with no gap.
    const std::uint64_t first = delivered.empty() ? 0 : delivered.front();
    for (std::size_t i = 0; i < delivered.size(); ++i)
      ASSERT_EQ(delivered[i], first + i) << "a gap or a duplicate in the delivery";
    if (delivered.empty()) {
      EXPECT_LE(reports.max_appended, reports.max_read) << "acknowledged appends were lost";
    } else {
      EXPECT_GT(first, reports.max_acked) << "an acked record was delivered again";
      EXPECT_LE(first, reports.max_read + 1) << "records never acked were skipped";
      EXPECT_GE(delivered.back(), reports.max_appended) << "acknowledged appends were lost";
      // At most the one append in flight when the kill came was written but not reported.
      EXPECT_LE(delivered.back(), reports.max_appended + 1);
      const std::uint64_t redelivered =
          reports.max_read >= first ? reports.max_read - first + 1 : 0;
      EXPECT_LE(redelivered, kBatch) << "more than one batch delivered twice";
    }

    // Acks after the restart stick too.
    if (!delivered.empty()) {
      ASSERT_TRUE(queue.ack(delivered.back()).ok());
    }
    {
      DurableQueue closing = std::move(queue);  // closes the directory
    }
    Result<DurableQueue> again = DurableQueue::open(options);
    ASSERT_TRUE(again.ok()) << again.status().to_string();
    EXPECT_TRUE(again->read(10)->empty());
  }
  RecordProperty("iterations", iterations);
}

// The same with a queue small enough that the drop policy and segment rewrites run all the
// time: whatever the kill interrupts (an eviction, a rewrite, an ack), the reopened queue
// holds only intact records, in order, none of them acked, and within its bound.
TEST(DurableQueueCrashTest, KillNineDuringDropsAndRewritesLeavesAConsistentQueue) {
  std::random_device seed_source;
  const std::uint32_t seed = seed_source();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  const auto started = std::chrono::steady_clock::now();

  int iterations = 0;
  for (; iterations < 8 && std::chrono::steady_clock::now() - started < std::chrono::seconds(15);
       ++iterations) {
    SCOPED_TRACE("iteration " + std::to_string(iterations));
    testing::TempDir tmp("edgetrace-dq");
    DurableQueueOptions options;
    options.directory = tmp.file("queue");
    options.segment_bytes = 8 * 1024;
    options.max_bytes = 4 * options.segment_bytes;
    options.max_record_bytes = 4096;
    options.fsync = {iterations % 2 == 0 ? FsyncMode::kNever : FsyncMode::kInterval,
                     std::chrono::milliseconds(5), 8};

    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      run_child(options, fds[1], /*drops=*/true);
    }
    ::close(fds[1]);
    const std::uint64_t kill_after = std::uniform_int_distribution<std::uint64_t>(50, 1500)(rng);
    const Reports reports = run_and_kill(child, fds[0], kill_after);
    ::close(fds[0]);
    ASSERT_TRUE(reports.failures.empty())
        << "the child reported a failure at sequence " << reports.failures.front();

    Result<DurableQueue> opened = DurableQueue::open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().to_string();
    DurableQueue queue = std::move(opened).value();
    const DurableQueueCounters c = queue.counters();
    EXPECT_EQ(c.corrupt_records, 0u) << "a crash can only tear the tail";
    EXPECT_LE(c.bytes_on_disk, options.max_bytes);
    std::uint64_t previous = reports.max_acked;
    std::uint64_t count = 0;
    for (;;) {
      Result<std::vector<QueuedRecord>> batch = queue.read(256);
      ASSERT_TRUE(batch.ok()) << batch.status().to_string();
      if (batch->empty())
        break;
      for (const QueuedRecord& r : *batch) {
        ASSERT_TRUE(payload_ok(r)) << "sequence " << r.sequence;
        ASSERT_GT(r.sequence, previous) << "out of order, repeated, or acked before the kill";
        previous = r.sequence;
        ++count;
      }
    }
    EXPECT_EQ(count, c.recovered);
    EXPECT_LE(previous, reports.max_appended + 1);
  }
  RecordProperty("iterations", iterations);
}

}  // namespace
}  // namespace edgetrace::otlp
