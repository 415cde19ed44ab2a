#include "edgetrace/otlp/durable_queue.hpp"

#include <signal.h>
#include <sys/resource.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "internal/segment.hpp"
#include "testing/file_contents.hpp"
#include "testing/temp_dir.hpp"

namespace edgetrace::otlp {
namespace {

using core::Result;
using core::StatusCode;
using testing::append_bytes;
using testing::read_bytes;
using testing::TempDir;
using testing::write_bytes;

DurableQueueOptions small_options(const std::string& dir) {
  DurableQueueOptions o;
  o.directory = dir;
  o.segment_bytes = 4096;
  o.max_bytes = 64 * 1024;
  o.max_record_bytes = 2048;
  o.fsync.mode = FsyncMode::kNever;
  return o;
}

DurableQueue open_queue(const DurableQueueOptions& options) {
  Result<DurableQueue> q = DurableQueue::open(options);
  EXPECT_TRUE(q.ok()) << q.status().to_string();
  return std::move(q).value();
}

std::string text(const QueuedRecord& r) {
  return std::string(r.payload.begin(), r.payload.end());
}

std::vector<std::string> read_all_texts(DurableQueue& q) {
  std::vector<std::string> out;
  for (;;) {
    Result<std::vector<QueuedRecord>> batch = q.read(100);
    EXPECT_TRUE(batch.ok()) << batch.status().to_string();
    if (!batch.ok() || batch->empty())
      return out;
    for (const QueuedRecord& r : *batch)
      out.push_back(text(r));
  }
}

std::uint64_t dropped(const DurableQueueCounters& c, QueueDropReason reason) {
  return c.dropped[static_cast<std::size_t>(reason)];
}

TEST(DurableQueueTest, AppendReadAckRoundTrip) {
  TempDir tmp("edgetrace-dq");
  DurableQueue q = open_queue(small_options(tmp.file("queue")));
  Result<std::uint64_t> a = q.append("alpha", 9);
  Result<std::uint64_t> b = q.append("", 1);
  Result<std::uint64_t> c = q.append(std::string(2048, 'x'), 5);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, 1u);
  EXPECT_EQ(*b, 2u);
  EXPECT_EQ(*c, 3u);

  Result<std::vector<QueuedRecord>> got = q.read(10);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ(text((*got)[0]), "alpha");
  EXPECT_EQ((*got)[0].priority, 9);
  EXPECT_EQ((*got)[0].sequence, 1u);
  EXPECT_TRUE((*got)[1].payload.empty());
  EXPECT_EQ(text((*got)[2]), std::string(2048, 'x'));
  EXPECT_TRUE(q.read(10)->empty()) << "read advances past what it returned";

  DurableQueueCounters before_ack = q.counters();
  EXPECT_EQ(before_ack.appended, 3u);
  EXPECT_EQ(before_ack.appended_bytes, 5u + 2048u);
  EXPECT_EQ(before_ack.depth, 3u);
  EXPECT_EQ(before_ack.depth_bytes, 5u + 2048u);
  EXPECT_EQ(before_ack.delivered, 3u);

  ASSERT_TRUE(q.ack(3).ok());
  DurableQueueCounters after = q.counters();
  EXPECT_EQ(after.acked, 3u);
  EXPECT_EQ(after.depth, 0u);
  EXPECT_EQ(after.dropped_total(), 0u);
}

TEST(DurableQueueTest, ReadHonoursRecordAndByteLimitsButAlwaysMakesProgress) {
  TempDir tmp("edgetrace-dq");
  DurableQueue q = open_queue(small_options(tmp.file("queue")));
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(q.append(std::string(100, static_cast<char>('a' + i))).ok());
  EXPECT_EQ(q.read(2)->size(), 2u);
  EXPECT_EQ(q.read(10, 250)->size(), 2u);  // 100 + 100 fit, a third would pass 250
  Result<std::vector<QueuedRecord>> one = q.read(10, 10);
  ASSERT_EQ(one->size(), 1u) << "a record larger than max_bytes is still returned alone";
  EXPECT_EQ(one->front().sequence, 5u);
}

TEST(DurableQueueTest, RestartResumesAtTheOldestUnacknowledgedRecord) {
  TempDir tmp("edgetrace-dq");
  const DurableQueueOptions options = small_options(tmp.file("queue"));
  {
    DurableQueue q = open_queue(options);
    for (int i = 1; i <= 5; ++i)
      ASSERT_TRUE(q.append("r" + std::to_string(i)).ok());
    ASSERT_EQ(q.read(2)->size(), 2u);
    ASSERT_TRUE(q.ack(2).ok());
    ASSERT_EQ(q.read(1)->size(), 1u);  // r3 read, not acked: delivered again after restart
  }
  DurableQueue q = open_queue(options);
  EXPECT_EQ(q.counters().recovered, 3u);
  EXPECT_THAT(read_all_texts(q), ::testing::ElementsAre("r3", "r4", "r5"));
  Result<std::uint64_t> next = q.append("r6");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, 6u) << "sequence numbers continue across restarts";
}

TEST(DurableQueueTest, AckIsPersistedAndFreesSegments) {
  TempDir tmp("edgetrace-dq");
  const DurableQueueOptions options = small_options(tmp.file("queue"));
  {
    DurableQueue q = open_queue(options);
    for (int i = 0; i < 100; ++i)
      ASSERT_TRUE(q.append(std::string(200, 'p')).ok());
    EXPECT_GT(testing::files_with_extension(options.directory, ".seg").size(), 4u);
    ASSERT_TRUE(q.ack(100).ok());
    // Only the segment being written stays.
    EXPECT_EQ(testing::files_with_extension(options.directory, ".seg").size(), 1u);
    EXPECT_EQ(q.counters().segments, 1u);
  }
  DurableQueue q = open_queue(options);
  EXPECT_TRUE(read_all_texts(q).empty());
  EXPECT_EQ(q.counters().recovered, 0u);
  EXPECT_TRUE(testing::files_with_extension(options.directory, ".seg").empty())
      << "a fully acked segment is removed";
  EXPECT_EQ(*q.append("next"), 101u);
}

TEST(DurableQueueTest, AckBelowPositionIsANoOpAndBeyondTheEndIsRejected) {
  TempDir tmp("edgetrace-dq");
  DurableQueue q = open_queue(small_options(tmp.file("queue")));
  ASSERT_TRUE(q.append("a").ok());
  ASSERT_TRUE(q.append("b").ok());
  ASSERT_TRUE(q.ack(1).ok());
  EXPECT_TRUE(q.ack(1).ok());
  EXPECT_TRUE(q.ack(0).ok());
  core::Status beyond = q.ack(3);
  EXPECT_EQ(beyond.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(beyond.message(), ::testing::HasSubstr("beyond the last appended (2)"));
  EXPECT_THAT(read_all_texts(q), ::testing::ElementsAre("b"));
}

TEST(DurableQueueTest, RewindDeliversUnacknowledgedRecordsAgain) {
  TempDir tmp("edgetrace-dq");
  DurableQueue q = open_queue(small_options(tmp.file("queue")));
  for (const char* s : {"a", "b", "c"})
    ASSERT_TRUE(q.append(s).ok());
  ASSERT_EQ(q.read(2)->size(), 2u);
  ASSERT_TRUE(q.ack(1).ok());
  q.rewind();
  EXPECT_THAT(read_all_texts(q), ::testing::ElementsAre("b", "c"));
}

TEST(DurableQueueTest, RejectsInvalidOptionsWithPreciseMessages) {
  TempDir tmp("edgetrace-dq");
  DurableQueueOptions o = small_options(tmp.file("queue"));
  o.directory.clear();
  EXPECT_THAT(DurableQueue::open(o).status().message(), ::testing::HasSubstr("directory"));

  o = small_options(tmp.file("queue"));
  o.max_bytes = 3 * o.segment_bytes;
  Result<DurableQueue> r = DurableQueue::open(o);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("at least 4 * segment_bytes"));

  o = small_options(tmp.file("queue"));
  o.max_record_bytes = o.segment_bytes;
  EXPECT_THAT(DurableQueue::open(o).status().message(),
              ::testing::HasSubstr("cannot hold a record of max_record_bytes"));

  o = small_options(tmp.file("missing/parent/queue"));
  Result<DurableQueue> missing = DurableQueue::open(o);
  EXPECT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), ::testing::HasSubstr("missing/parent/queue"));
}

TEST(DurableQueueTest, SecondOpenOfTheSameDirectoryFails) {
  TempDir tmp("edgetrace-dq");
  DurableQueue q = open_queue(small_options(tmp.file("queue")));
  Result<DurableQueue> again = DurableQueue::open(small_options(tmp.file("queue")));
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(again.status().message(), ::testing::HasSubstr("already open"));
}

TEST(DurableQueueTest, TooLargeRecordIsDroppedAndCounted) {
  TempDir tmp("edgetrace-dq");
  DurableQueue q = open_queue(small_options(tmp.file("queue")));
  Result<std::uint64_t> r = q.append(std::string(2049, 'x'));
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("exceeds max_record_bytes 2048"));
  EXPECT_EQ(dropped(q.counters(), QueueDropReason::kTooLarge), 1u);
  EXPECT_EQ(q.counters().appended, 0u);
}

TEST(DurableQueueTest, FullQueueDropsTheOldestAmongEqualPriorityAndStaysBounded) {
  TempDir tmp("edgetrace-dq");
  const DurableQueueOptions options = small_options(tmp.file("queue"));
  DurableQueue q = open_queue(options);
  constexpr int kRecords = 2000;
  for (int i = 1; i <= kRecords; ++i) {
    Result<std::uint64_t> r = q.append(std::string(100, 'o'), 5);
    ASSERT_TRUE(r.ok()) << "append never fails for lack of room: " << r.status().to_string();
    ASSERT_LE(q.counters().bytes_on_disk, options.max_bytes) << "after append " << i;
  }
  const DurableQueueCounters c = q.counters();
  EXPECT_EQ(c.appended, static_cast<std::uint64_t>(kRecords));
  EXPECT_GT(dropped(c, QueueDropReason::kOldest), 0u);
  EXPECT_EQ(dropped(c, QueueDropReason::kLowerPriority), 0u);
  EXPECT_EQ(c.depth + c.dropped_total(), static_cast<std::uint64_t>(kRecords));

  // What remains is the newest records, contiguous up to the last one.
  Result<std::vector<QueuedRecord>> rest = q.read(kRecords);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), c.depth);
  for (std::size_t i = 0; i < rest->size(); ++i)
    EXPECT_EQ((*rest)[i].sequence, kRecords - rest->size() + 1 + i);
  // At least 3/4 of the bound holds records; the rest is the documented slack.
  EXPECT_GT(c.depth * 128, options.max_bytes * 3 / 4);
}

TEST(DurableQueueTest, FullQueueDropsTheLowestPriorityFirst) {
  TempDir tmp("edgetrace-dq");
  const DurableQueueOptions options = small_options(tmp.file("queue"));
  std::vector<std::uint64_t> important;
  std::vector<std::uint64_t> unimportant;
  {
    DurableQueue q = open_queue(options);
    // 1 record in 4 is unimportant; 300 x 228 bytes framed is past the 56 KiB soft limit.
    for (int i = 0; i < 300; ++i) {
      const std::uint8_t priority = i % 4 == 0 ? 1 : 9;
      Result<std::uint64_t> r = q.append(std::string(200, 'a'), priority);
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      (priority == 9 ? important : unimportant).push_back(*r);
      ASSERT_LE(q.counters().bytes_on_disk, options.max_bytes);
    }
    const DurableQueueCounters c = q.counters();
    // Important arrivals evict unimportant records (lower priority); unimportant arrivals
    // evict the oldest unimportant one (equal priority). No important record goes.
    EXPECT_GT(dropped(c, QueueDropReason::kLowerPriority), 0u);
    EXPECT_GT(dropped(c, QueueDropReason::kOldest), 0u);
    EXPECT_EQ(c.depth, important.size() + unimportant.size() - c.dropped_total());
    EXPECT_GT(c.compactions, 0u) << "space of records dropped mid-segment is reclaimed";
  }
  // After a restart the dropped records stay dropped, every important one is there, and
  // the surviving unimportant ones are the newest.
  DurableQueue q = open_queue(options);
  Result<std::vector<QueuedRecord>> all = q.read(1000);
  ASSERT_TRUE(all.ok());
  std::vector<std::uint64_t> got_important;
  std::vector<std::uint64_t> got_unimportant;
  for (const QueuedRecord& r : *all)
    (r.priority == 9 ? got_important : got_unimportant).push_back(r.sequence);
  EXPECT_EQ(got_important, important);
  ASSERT_LT(got_unimportant.size(), unimportant.size());
  EXPECT_TRUE(std::equal(got_unimportant.rbegin(), got_unimportant.rend(), unimportant.rbegin()));
}

TEST(DurableQueueTest, ManyScatteredDropsAreCompactedAwayAndStayDroppedAfterRestart) {
  TempDir tmp("edgetrace-dq");
  const DurableQueueOptions options = small_options(tmp.file("queue"));
  std::vector<std::uint64_t> important;
  std::vector<std::uint64_t> unimportant;
  std::uint64_t depth = 0;
  {
    DurableQueue q = open_queue(options);
    // 6000 tiny records, one important in four: far more drops than the state file's drop
    // list holds (128 at this max_bytes), so segments are rewritten to shed them.
    for (int i = 0; i < 6000; ++i) {
      const std::uint8_t priority = i % 4 == 0 ? 9 : 1;
      Result<std::uint64_t> r = q.append("x", priority);
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      (priority == 9 ? important : unimportant).push_back(*r);
      ASSERT_LE(q.counters().bytes_on_disk, options.max_bytes);
    }
    const DurableQueueCounters c = q.counters();
    EXPECT_GT(c.dropped_total(), 128u);
    EXPECT_GT(c.compactions, 0u);
    depth = c.depth;
  }
  DurableQueue q = open_queue(options);
  EXPECT_EQ(q.counters().recovered, depth);
  Result<std::vector<QueuedRecord>> all = q.read(10000);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), depth);
  std::vector<std::uint64_t> got_important;
  std::vector<std::uint64_t> got_unimportant;
  for (const QueuedRecord& r : *all)
    (r.priority == 9 ? got_important : got_unimportant).push_back(r.sequence);
  EXPECT_EQ(got_important, important);
  EXPECT_TRUE(std::equal(got_unimportant.rbegin(), got_unimportant.rend(), unimportant.rbegin()))
      << "the unimportant records kept are the newest";
}

TEST(DurableQueueTest, NewRecordBelowEveryQueuedPriorityIsRefused) {
  TempDir tmp("edgetrace-dq");
  DurableQueue q = open_queue(small_options(tmp.file("queue")));
  Result<std::uint64_t> r = q.append(std::string(200, 'h'), 9);
  while (r.ok() && q.counters().dropped_total() == 0)
    r = q.append(std::string(200, 'h'), 9);
  ASSERT_TRUE(r.ok());
  const std::uint64_t depth = q.counters().depth;
  Result<std::uint64_t> low = q.append(std::string(200, 'l'), 3);
  EXPECT_EQ(low.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(low.status().message(), ::testing::HasSubstr("higher priority than 3"));
  const DurableQueueCounters c = q.counters();
  EXPECT_EQ(dropped(c, QueueDropReason::kLowerPriority), 1u);
  EXPECT_EQ(c.depth, depth) << "nothing was evicted for a record that was refused";
}

TEST(DurableQueueTest, TornTailIsSkippedCountedAndAppendsContinue) {
  TempDir tmp("edgetrace-dq");
  const DurableQueueOptions options = small_options(tmp.file("queue"));
  {
    DurableQueue q = open_queue(options);
    for (const char* s : {"one", "two", "three"})
      ASSERT_TRUE(q.append(s).ok());
  }
  // A write cut short by a crash: a valid frame header for record 4 and half its payload.
  const std::string payload = "four-four-four";
  std::uint8_t header[internal::kRecordHeaderSize];
  internal::encode_record_header(
      4, 0, std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()),
      header);
  std::vector<std::uint8_t> torn(std::begin(header), std::end(header));
  torn.insert(torn.end(), payload.begin(), payload.begin() + 5);
  const std::vector<std::string> files = testing::files_with_extension(options.directory, ".seg");
  ASSERT_EQ(files.size(), 1u);
  append_bytes(files[0], torn);

  {
    DurableQueue q = open_queue(options);
    const DurableQueueCounters c = q.counters();
    EXPECT_EQ(c.torn_tails, 1u);
    EXPECT_EQ(c.corrupt_bytes, torn.size());
    EXPECT_THAT(read_all_texts(q), ::testing::ElementsAre("one", "two", "three"));
    Result<std::uint64_t> next = q.append("four");
    ASSERT_TRUE(next.ok()) << next.status().to_string();
    EXPECT_EQ(*next, 4u) << "the torn record was never acknowledged, so its number is free";
  }
  DurableQueue q = open_queue(options);
  EXPECT_THAT(read_all_texts(q), ::testing::ElementsAre("one", "two", "three", "four"));
}

TEST(DurableQueueTest, GarbageTailOfAnyLengthIsSkipped) {
  for (std::size_t n : {1u, 7u, 27u, 28u, 29u, 500u}) {
    TempDir tmp("edgetrace-dq");
    const DurableQueueOptions options = small_options(tmp.file("queue"));
    {
      DurableQueue q = open_queue(options);
      ASSERT_TRUE(q.append("kept").ok());
    }
    append_bytes(testing::files_with_extension(options.directory, ".seg")[0],
                 std::vector<std::uint8_t>(n, 0xAB));
    DurableQueue q = open_queue(options);
    EXPECT_THAT(read_all_texts(q), ::testing::ElementsAre("kept")) << n;
    EXPECT_EQ(q.counters().torn_tails, 1u) << n;
  }
}

TEST(DurableQueueTest, FailedWriteLeavesNoPartialRecordAndIsCounted) {
  TempDir tmp("edgetrace-dq");
  const DurableQueueOptions options = small_options(tmp.file("queue"));
  {
    DurableQueue q = open_queue(options);
    ASSERT_TRUE(q.append(std::string(100, 'a')).ok());
    const std::string file = testing::files_with_extension(options.directory, ".seg").at(0);
    const std::uintmax_t size = std::filesystem::file_size(file);

    // A file size limit makes the next write stop part-way, as a full disk would.
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit saved{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    rlimit limited = saved;
    limited.rlim_cur = size + 50;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
    Result<std::uint64_t> failed = q.append(std::string(200, 'b'));
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);

    ASSERT_FALSE(failed.ok());
    EXPECT_THAT(failed.status().message(), ::testing::HasSubstr("write " + file));
    EXPECT_EQ(dropped(q.counters(), QueueDropReason::kWriteFailed), 1u);
    EXPECT_EQ(std::filesystem::file_size(file), size) << "the partial frame was taken back";
    Result<std::uint64_t> next = q.append("c");
    ASSERT_TRUE(next.ok()) << next.status().to_string();
    EXPECT_EQ(*next, 2u);
  }
  DurableQueue q = open_queue(options);
  EXPECT_THAT(read_all_texts(q), ::testing::ElementsAre(std::string(100, 'a'), "c"));
  EXPECT_EQ(q.counters().corrupt_records, 0u);
  EXPECT_EQ(q.counters().torn_tails, 0u);
}

// Writes records "r1".."r5" (each 40 bytes) and returns the segment file's path.
std::string five_records(const DurableQueueOptions& options) {
  DurableQueue q = open_queue(options);
  for (int i = 1; i <= 5; ++i) {
    std::string payload = "r" + std::to_string(i);
    payload.resize(40, '.');
    EXPECT_TRUE(q.append(payload).ok());
  }
  return testing::files_with_extension(options.directory, ".seg").at(0);
}

std::vector<std::string> prefixes(const std::vector<std::string>& texts) {
  std::vector<std::string> out;
  for (const std::string& t : texts)
    out.push_back(t.substr(0, 2));
  return out;
}

constexpr std::size_t kFrame = internal::kRecordHeaderSize + 40;
std::size_t record_offset(int n) {
  return internal::kSegmentHeaderSize + static_cast<std::size_t>(n - 1) * kFrame;
}

TEST(DurableQueueTest, CorruptPayloadInTheMiddleIsSkippedAndCounted) {
  TempDir tmp("edgetrace-dq");
  const DurableQueueOptions options = small_options(tmp.file("queue"));
  const std::string file = five_records(options);
  std::vector<std::uint8_t> bytes = read_bytes(file);
  bytes[record_offset(3) + internal::kRecordHeaderSize + 10] ^= 0x01;  // one bit of r3
  write_bytes(file, bytes);

  DurableQueue q = open_queue(options);
  EXPECT_THAT(prefixes(read_all_texts(q)), ::testing::ElementsAre("r1", "r2", "r4", "r5"));
  EXPECT_EQ(q.counters().corrupt_records, 1u);
  EXPECT_EQ(q.counters().corrupt_bytes, kFrame);
  EXPECT_EQ(q.counters().torn_tails, 0u);
}

TEST(DurableQueueTest, CorruptHeaderInTheMiddleResyncsOnTheNextRecord) {
  TempDir tmp("edgetrace-dq");
  const DurableQueueOptions options = small_options(tmp.file("queue"));
  const std::string file = five_records(options);
  std::vector<std::uint8_t> bytes = read_bytes(file);
  bytes[record_offset(2) + 5] ^= 0xFF;  // r2's length: its size can no longer be trusted
  bytes[record_offset(4)] = 0;          // r4's sync word
  write_bytes(file, bytes);

  DurableQueue q = open_queue(options);
  EXPECT_THAT(prefixes(read_all_texts(q)), ::testing::ElementsAre("r1", "r3", "r5"));
  EXPECT_EQ(q.counters().corrupt_records, 2u);
  EXPECT_EQ(q.counters().corrupt_bytes, 2 * kFrame);
}

TEST(DurableQueueTest, GarbageInsertedBetweenRecordsIsSkipped) {
  TempDir tmp("edgetrace-dq");
  const DurableQueueOptions options = small_options(tmp.file("queue"));
  const std::string file = five_records(options);
  std::vector<std::uint8_t> bytes = read_bytes(file);
  std::vector<std::uint8_t> garbage(37, 0x5A);
  garbage[3] = internal::kRecordSync[0];  // a false start of a sync word
  garbage[4] = internal::kRecordSync[1];
  bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(record_offset(3)), garbage.begin(),
               garbage.end());
  write_bytes(file, bytes);

  DurableQueue q = open_queue(options);
  EXPECT_THAT(prefixes(read_all_texts(q)), ::testing::ElementsAre("r1", "r2", "r3", "r4", "r5"));
  EXPECT_EQ(q.counters().corrupt_records, 1u);
  EXPECT_EQ(q.counters().corrupt_bytes, garbage.size());
}

TEST(DurableQueueTest, DamagedSegmentHeaderDoesNotLoseItsRecords) {
  TempDir tmp("edgetrace-dq");
  const DurableQueueOptions options = small_options(tmp.file("queue"));
  const std::string file = five_records(options);
  std::vector<std::uint8_t> bytes = read_bytes(file);
  bytes[0] = 'X';
  write_bytes(file, bytes);
  DurableQueue q = open_queue(options);
  EXPECT_EQ(read_all_texts(q).size(), 5u);
  EXPECT_EQ(q.counters().corrupt_records, 1u);
}

TEST(DurableQueueTest, DamageAfterOpenIsDetectedWhenRead) {
  TempDir tmp("edgetrace-dq");
  const DurableQueueOptions options = small_options(tmp.file("queue"));
  const std::string file = five_records(options);
  DurableQueue q = open_queue(options);
  std::vector<std::uint8_t> bytes = read_bytes(file);
  bytes[record_offset(2) + internal::kRecordHeaderSize] ^= 0x80;
  write_bytes(file, bytes);
  EXPECT_THAT(prefixes(read_all_texts(q)), ::testing::ElementsAre("r1", "r3", "r4", "r5"));
  EXPECT_EQ(dropped(q.counters(), QueueDropReason::kCorrupt), 1u);
  EXPECT_EQ(q.counters().corrupt_records, 1u);
}

TEST(DurableQueueTest, DamagedStateFileMeansRedeliveryNotLoss) {
  TempDir tmp("edgetrace-dq");
  const DurableQueueOptions options = small_options(tmp.file("queue"));
  {
    DurableQueue q = open_queue(options);
    for (const char* s : {"a", "b", "c"})
      ASSERT_TRUE(q.append(s).ok());
    ASSERT_TRUE(q.ack(1).ok());
    ASSERT_TRUE(q.ack(2).ok());
  }
  const std::string state = options.directory + "/queue.state";
  std::vector<std::uint8_t> bytes = read_bytes(state);
  ASSERT_EQ(bytes.size() % 2, 0u);
  {
    // The newest slot torn (as by a power loss mid-write): the previous ack stands.
    std::vector<std::uint8_t> torn = bytes;
    const std::size_t slot = torn.size() / 2;
    std::size_t newest = internal::decode_state(std::span(torn).first(slot))->generation >
                                 internal::decode_state(std::span(torn).subspan(slot))->generation
                             ? 0
                             : slot;
    torn[newest + 20] ^= 0x01;
    write_bytes(state, torn);
    DurableQueue q = open_queue(options);
    EXPECT_EQ(q.counters().state_file_resets, 0u);
    EXPECT_THAT(read_all_texts(q), ::testing::ElementsAre("b", "c"));
  }
  // Both slots damaged: everything still on disk is delivered again.
  write_bytes(state, std::vector<std::uint8_t>(bytes.size(), 0xFF));
  DurableQueue q = open_queue(options);
  EXPECT_EQ(q.counters().state_file_resets, 1u);
  EXPECT_THAT(read_all_texts(q), ::testing::ElementsAre("a", "b", "c"));
}

TEST(DurableQueueTest, SegmentFromANewerFormatFailsOpenWithItsPath) {
  TempDir tmp("edgetrace-dq");
  const DurableQueueOptions options = small_options(tmp.file("queue"));
  const std::string file = five_records(options);
  std::vector<std::uint8_t> bytes = read_bytes(file);
  bytes[4] = 2;  // version 2, with a header checksum that holds
  const std::uint32_t crc = internal::crc32(std::span(bytes).first(16));
  for (int i = 0; i < 4; ++i)
    bytes[16 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(crc >> (8 * i));
  write_bytes(file, bytes);
  Result<DurableQueue> q = DurableQueue::open(options);
  EXPECT_EQ(q.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(q.status().message(), ::testing::HasSubstr("format version 2"));
  EXPECT_THAT(q.status().message(), ::testing::HasSubstr(file.substr(file.rfind('/') + 1)));
}

TEST(DurableQueueTest, FsyncPolicyDecidesHowOftenAppendsSync) {
  auto fsyncs_for = [](FsyncPolicy policy) {
    TempDir tmp("edgetrace-dq");
    DurableQueueOptions options = small_options(tmp.file("queue"));
    options.fsync = policy;
    DurableQueue q = open_queue(options);
    for (int i = 0; i < 100; ++i)
      EXPECT_TRUE(q.append("x").ok());
    return q.counters().fsyncs;
  };
  EXPECT_EQ(fsyncs_for({FsyncMode::kNever, {}, 0}), 0u);
  EXPECT_EQ(fsyncs_for({FsyncMode::kEveryRecord, {}, 0}), 100u);
  // Count trigger only: the interval (an hour) does not pass during the test.
  EXPECT_EQ(fsyncs_for({FsyncMode::kInterval, std::chrono::hours(1), 10}), 10u);
}

TEST(DurableQueueTest, SyncForcesPendingWrites) {
  TempDir tmp("edgetrace-dq");
  DurableQueueOptions options = small_options(tmp.file("queue"));
  options.fsync = {FsyncMode::kInterval, std::chrono::hours(1), 0};
  DurableQueue q = open_queue(options);
  ASSERT_TRUE(q.append("x").ok());
  EXPECT_EQ(q.counters().fsyncs, 0u);
  ASSERT_TRUE(q.sync().ok());
  EXPECT_EQ(q.counters().fsyncs, 2u) << "the segment being written and the state file";
}

TEST(DurableQueueTest, OneProducerAndOneConsumerThreadDeliverEverythingInOrder) {
  TempDir tmp("edgetrace-dq");
  DurableQueueOptions options = small_options(tmp.file("queue"));
  options.max_bytes = 4 << 20;  // large enough that nothing is dropped
  DurableQueue q = open_queue(options);
  constexpr std::uint64_t kCount = 5000;
  std::thread producer([&] {
    for (std::uint64_t i = 1; i <= kCount; ++i)
      ASSERT_TRUE(q.append(std::to_string(i), static_cast<std::uint8_t>(i % 7)).ok());
  });
  std::vector<std::uint64_t> seen;
  while (seen.size() < kCount) {
    Result<std::vector<QueuedRecord>> batch = q.read(64);
    ASSERT_TRUE(batch.ok());
    for (const QueuedRecord& r : *batch) {
      EXPECT_EQ(text(r), std::to_string(r.sequence));
      seen.push_back(r.sequence);
    }
    if (!batch->empty())
      ASSERT_TRUE(q.ack(batch->back().sequence).ok());
    else
      std::this_thread::yield();
  }
  producer.join();
  for (std::uint64_t i = 0; i < kCount; ++i)
    ASSERT_EQ(seen[i], i + 1);
  EXPECT_EQ(q.counters().depth, 0u);
}

TEST(DurableQueueTest, MovedQueueKeepsWorking) {
  TempDir tmp("edgetrace-dq");
  DurableQueue a = open_queue(small_options(tmp.file("queue")));
  ASSERT_TRUE(a.append("x").ok());
  DurableQueue b = std::move(a);
  EXPECT_THAT(read_all_texts(b), ::testing::ElementsAre("x"));
}

TEST(SegmentFormatTest, ScannerFindsRecordsAndRejectsNonIncreasingSequences) {
  std::vector<std::uint8_t> bytes = internal::encode_segment_header(7);
  auto add = [&](std::uint64_t seq, const std::string& payload) {
    std::uint8_t header[internal::kRecordHeaderSize];
    internal::encode_record_header(
        seq, 3, std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()),
        header);
    bytes.insert(bytes.end(), std::begin(header), std::end(header));
    bytes.insert(bytes.end(), payload.begin(), payload.end());
  };
  add(10, "a");
  add(11, "bb");
  add(11, "again");  // a repeated sequence is not trusted
  add(12, "");
  internal::SegmentScan scan = internal::scan_segment(bytes, 10);
  EXPECT_EQ(scan.header, internal::SegmentScan::Header::kValid);
  EXPECT_EQ(scan.segment_id, 7u);
  ASSERT_EQ(scan.records.size(), 3u);
  EXPECT_EQ(scan.records[1].sequence, 11u);
  EXPECT_EQ(scan.records[1].payload_size, 2u);
  EXPECT_EQ(scan.records[2].sequence, 12u);
  EXPECT_EQ(scan.corrupt_records, 1u);
  EXPECT_EQ(internal::scan_segment(bytes, 11).records.size(), 2u) << "min_sequence applies";
}

TEST(SegmentFormatTest, StateRoundTripsAndRejectsDamage) {
  internal::QueueState s{7, 41, 99, {50, 60}};
  std::vector<std::uint8_t> bytes = internal::encode_state(s);
  EXPECT_EQ(bytes.size(), internal::kStateFixedSize + 16);
  bytes.resize(512, 0xEE);  // the rest of a slot is ignored
  std::optional<internal::QueueState> back = internal::decode_state(bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->generation, 7u);
  EXPECT_EQ(back->acked_sequence, 41u);
  EXPECT_EQ(back->next_sequence, 99u);
  EXPECT_EQ(back->dropped, (std::vector<std::uint64_t>{50, 60}));
  bytes[20] ^= 0x01;
  EXPECT_FALSE(internal::decode_state(bytes).has_value());
  bytes = internal::encode_state(s);
  bytes.pop_back();
  EXPECT_FALSE(internal::decode_state(bytes).has_value());
}

TEST(SegmentFormatTest, StateFileTakesTheNewestValidSlot) {
  const std::size_t slot = internal::state_slot_size(16);
  EXPECT_EQ(slot, 512u);
  std::vector<std::uint8_t> file(2 * slot, 0);
  auto put = [&](const internal::QueueState& st) {
    const std::vector<std::uint8_t> b = internal::encode_state(st);
    std::copy(b.begin(), b.end(),
              file.begin() + static_cast<std::ptrdiff_t>((st.generation % 2) * slot));
  };
  put({4, 10, 11, {}});
  put({5, 20, 21, {}});
  EXPECT_EQ(internal::decode_state_file(file)->acked_sequence, 20u);
  file[slot + 17] ^= 0x40;  // generation 5 torn: the previous state stands
  EXPECT_EQ(internal::decode_state_file(file)->acked_sequence, 10u);
  file[17] ^= 0x40;
  EXPECT_FALSE(internal::decode_state_file(file).has_value());
}

TEST(SegmentFormatTest, FileNamesRoundTrip) {
  EXPECT_EQ(internal::segment_file_name(0xa3), "00000000000000a3.seg");
  EXPECT_EQ(internal::parse_segment_file_name("00000000000000a3.seg"), 0xa3u);
  EXPECT_FALSE(internal::parse_segment_file_name("00000000000000A3.seg").has_value());
  EXPECT_FALSE(internal::parse_segment_file_name("queue.state").has_value());
}

}  // namespace
}  // namespace edgetrace::otlp
