// DurableQueue: a bounded, crash-safe, on-disk FIFO of opaque records (typically encoded
// OTLP export requests) between a producer and an exporter.
//
//   DurableQueueOptions options;
//   options.directory = "/var/lib/edgetraced/queue";
//   options.max_bytes = 256 << 20;
//   Result<DurableQueue> opened = DurableQueue::open(options);
//   if (!opened) return opened.status();
//   DurableQueue queue = std::move(opened).value();
//
//   // producer
//   Result<std::uint64_t> seq = queue.append(encoded_request, /*priority=*/severity_number);
//
//   // consumer
//   Result<std::vector<QueuedRecord>> batch = queue.read(/*max_records=*/64);
//   if (batch && !batch->empty() && export_all(*batch))
//     queue.ack(batch->back().sequence).ignore();   // never delivered again, even after restart
//
// Records live in append-only segment files in `directory`, each framed with its length,
// sequence number, priority and CRC-32 (format: docs/durable-queue.md). The queue survives
// kill -9 and power loss (within the fsync policy): reopening the directory delivers every
// record that append() acknowledged and that was not acknowledged by ack() or dropped.
//
// Delivery is at-least-once. The records that may be delivered a second time after a restart
// are exactly those returned by read() and not yet covered by a successful ack() when the
// process stopped; a consumer that acks each batch before reading the next therefore sees at
// most one batch (its max_records) again. With an fsync policy other than kEveryRecord, a
// machine crash (not a process crash) can also undo the acks of the last fsync interval.
//
// Bounded: the files never exceed max_bytes (but for the moment a segment rewrite has its
// new copy beside the old). When a record does not fit, the drop policy evicts the
// lowest-priority record first and, among equals, the oldest; when the records of the new
// record's priority or lower cannot make room, the new record is dropped instead. append()
// never waits for the consumer. Damaged bytes on disk (a torn tail after a crash, a flipped bit in
// the middle) are skipped, counted in DurableQueueCounters and never make open() or read() fail.
//
// Thread-safety: every method may be called from any thread; one mutex serialises them, so
// one producer thread and one consumer thread (or more of each) may share a queue. A call
// holds the mutex for its own file I/O (a write, an fsync when due, a read of the returned
// records, and, when the queue is full, the rewrite of at most a few segments to reclaim the
// space of dropped records) and never waits for another party. Only one DurableQueue may have a
// directory open at a time, across processes too (an flock on `directory/lock`).
//
// Errors: Result/Status with the path and the system error in the message; no exceptions.
// Memory: an index entry (~40 bytes) per record on disk, plus one segment's bytes while a
// segment is scanned at open() or compacted.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/core/result.hpp"

namespace edgetrace::otlp {

// When append() forces its write to stable storage before returning.
enum class FsyncMode : std::uint8_t {
  // fdatasync after every record: an acknowledged append survives a power loss.
  kEveryRecord,
  // fdatasync when `interval` has passed or `records` appends are pending since the last
  // one (checked at each append; sync() forces it). A power loss may lose that window.
  kInterval,
  // Never fsync; the kernel writes back when it likes. Still survives kill -9.
  kNever,
};

struct FsyncPolicy {
  FsyncMode mode = FsyncMode::kInterval;
  std::chrono::milliseconds interval{100};
  std::uint32_t records = 1000;  // 0: no count trigger, time only
};

struct DurableQueueOptions {
  // Directory holding the segments, created (one level) when missing. Required.
  std::string directory;
  // Bound on the bytes of all files in the directory. Must be >= 4 * segment_bytes.
  std::uint64_t max_bytes = 256ull << 20;
  // A segment file is closed and a new one started when the next record would pass this.
  std::uint32_t segment_bytes = 8u << 20;
  // Largest payload append() accepts; larger ones are dropped (kTooLarge). Must fit in a
  // segment with its 28-byte frame header and the 20-byte segment header.
  std::uint32_t max_record_bytes = 4u << 20;
  FsyncPolicy fsync;
};

// Why a record was dropped; an index into DurableQueueCounters::dropped.
enum class QueueDropReason : std::uint8_t {
  kLowerPriority = 0,  // evicted (or refused) because its priority was the lowest present
  kOldest,             // evicted as the oldest among records of the lowest priority
  kTooLarge,           // payload above max_record_bytes
  kWriteFailed,        // the write or its fsync failed (e.g. ENOSPC); nothing was kept
  kCorrupt,            // its bytes failed their checksum when read back for delivery
};
inline constexpr std::size_t kDropReasonCount = 5;

// "lower_priority", "oldest", "too_large", "write_failed", "corrupt"
std::string_view to_string(QueueDropReason reason) noexcept;

// The queue's counters. Monotonic totals count since open(); gauges are current values.
struct DurableQueueCounters {
  std::uint64_t appended = 0;        // appends acknowledged (append() returned a sequence)
  std::uint64_t appended_bytes = 0;  // their payload bytes
  std::uint64_t recovered = 0;       // records found pending by open()
  std::uint64_t delivered = 0;       // records returned by read() (redeliveries included)
  std::uint64_t acked = 0;           // records removed by ack()
  std::array<std::uint64_t, kDropReasonCount> dropped{};  // by QueueDropReason
  std::uint64_t corrupt_records = 0;    // damaged stretches skipped (bad checksum, garbage)
  std::uint64_t corrupt_bytes = 0;      // bytes in them
  std::uint64_t torn_tails = 0;         // segments ending in an incomplete record
  std::uint64_t state_file_resets = 0;  // damaged queue.state ignored (all redelivered)
  std::uint64_t fsyncs = 0;
  std::uint64_t compactions = 0;    // segments rewritten to reclaim dropped records' space
  std::uint64_t segments = 0;       // gauge: segment files
  std::uint64_t bytes_on_disk = 0;  // gauge: segment files + state file
  std::uint64_t depth = 0;          // gauge: records appended and neither acked nor dropped
  std::uint64_t depth_bytes = 0;    // gauge: their payload bytes

  std::uint64_t dropped_total() const noexcept {
    std::uint64_t n = 0;
    for (std::uint64_t d : dropped)
      n += d;
    return n;
  }
};

// A record handed to the consumer. Owns its bytes.
struct QueuedRecord {
  std::uint64_t sequence = 0;
  std::uint8_t priority = 0;
  std::vector<std::uint8_t> payload;
};

class DurableQueue {
 public:
  // Opens (or creates) the queue in options.directory and recovers its state: finds the
  // segments, skips damaged bytes (counted), and positions the consumer on the oldest record
  // not acknowledged. Fails on invalid options, an unusable directory, a directory already
  // open elsewhere, or a segment written by a newer format version.
  static core::Result<DurableQueue> open(DurableQueueOptions options);

  DurableQueue(DurableQueue&&) noexcept;
  DurableQueue& operator=(DurableQueue&&) noexcept;
  ~DurableQueue();  // sync() unless the policy is kNever

  // Stores a copy of `payload` with `priority` (higher = more important; a log record's
  // SeverityNumber fits). Returns its sequence number once written (and fsynced when the
  // policy says so). Evicts other records when full (see the drop policy above). Errors:
  // resource_exhausted when the record itself was dropped (too large, or lowest priority
  // of a full queue); the I/O error otherwise. Does I/O; never waits for the consumer.
  core::Result<std::uint64_t> append(std::span<const std::uint8_t> payload,
                                     std::uint8_t priority = 0);
  core::Result<std::uint64_t> append(std::string_view payload, std::uint8_t priority = 0);

  // Returns up to `max_records` records after the last one read, oldest first, stopping
  // before `max_bytes` of payload (but always at least one record when any is pending).
  // Empty when the consumer is caught up. Records read but not acked are read again only
  // after rewind() or a restart.
  core::Result<std::vector<QueuedRecord>> read(std::size_t max_records,
                                               std::size_t max_bytes = SIZE_MAX);

  // Acknowledges every record with a sequence <= up_to_sequence: they are never delivered
  // again, across restarts. Persists the position (write temp + rename) before returning.
  // Acking below the current position is a no-op; above the last appended sequence is
  // invalid_argument. Frees segment files whose records are all done.
  core::Status ack(std::uint64_t up_to_sequence);

  // Makes the next read() start again at the oldest unacknowledged record (after a failed
  // export that the consumer will not retry from its own copy).
  void rewind();

  // Forces pending appends and the consumer's position to stable storage now, whatever the
  // policy (two fdatasync calls).
  core::Status sync();

  DurableQueueCounters counters() const;
  const DurableQueueOptions& options() const noexcept;

 private:
  class Store;
  explicit DurableQueue(std::unique_ptr<Store> store);
  std::unique_ptr<Store> store_;
};

}  // namespace edgetrace::otlp
