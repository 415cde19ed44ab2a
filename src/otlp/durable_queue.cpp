#include "edgetrace/otlp/durable_queue.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <system_error>
#include <unordered_set>

#include "edgetrace/core/posix.hpp"
#include "internal/segment.hpp"

namespace edgetrace::otlp {

using core::Result;
using core::Status;
using core::StatusCode;
namespace disk = internal;

std::string_view to_string(QueueDropReason reason) noexcept {
  switch (reason) {
    case QueueDropReason::kLowerPriority:
      return "lower_priority";
    case QueueDropReason::kOldest:
      return "oldest";
    case QueueDropReason::kTooLarge:
      return "too_large";
    case QueueDropReason::kWriteFailed:
      return "write_failed";
    case QueueDropReason::kCorrupt:
      return "corrupt";
  }
  return "unknown";
}

namespace {

constexpr std::string_view kStateFile = "queue.state";
constexpr std::string_view kLockFile = "lock";
// Dropped-but-present sequences kept in the state file before segments are compacted to
// shed them: max_bytes / 512 within [16, 4096], so the state file (two slots) stays under
// 0.5% of the bound and under 66 KiB.
std::size_t drop_list_cap(std::uint64_t max_bytes) {
  return static_cast<std::size_t>(std::clamp<std::uint64_t>(max_bytes / 512, 16, 4096));
}

Status io_error(std::string_view what, const std::string& path, int err) {
  const StatusCode code =
      err == ENOSPC || err == EDQUOT ? StatusCode::kResourceExhausted : StatusCode::kInternal;
  std::string message = "durable queue: ";
  message += what;
  message += " ";
  message += path;
  message += ": ";
  message += core::errno_text(err);
  return Status(code, std::move(message));
}

Status write_all(int fd, const std::uint8_t* data, std::size_t size, const std::string& path) {
  const int err = core::write_all(fd, std::span(data, size));
  return err == 0 ? Status() : io_error("write", path, err);
}

Status pread_all(int fd, std::uint8_t* data, std::size_t size, std::uint64_t offset,
                 const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::pread(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return io_error("read", path, errno);
    }
    if (n == 0)
      return Status(StatusCode::kDataLoss,
                    "durable queue: read " + path + ": file ends before the record");
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return Status();
}

Result<std::vector<std::uint8_t>> read_file(int dir_fd, const std::string& name,
                                            const std::string& path) {
  const int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return io_error("open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return io_error("stat", path, err);
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(st.st_size));
  Status s = pread_all(fd, bytes.data(), bytes.size(), 0, path);
  ::close(fd);
  if (!s.ok())
    return s;
  return bytes;
}

void close_fd(int& fd) noexcept {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

}  // namespace

class DurableQueue::Store {
 public:
  explicit Store(DurableQueueOptions opts) : options(std::move(opts)) {}
  ~Store() {
    if (options.fsync.mode != FsyncMode::kNever)
      sync().ignore();
    close_fd(active_fd);
    close_fd(reader_fd);
    close_fd(state_fd);
    close_fd(lock_fd);
    close_fd(dir_fd);
  }
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  Status open();
  Result<std::uint64_t> append(std::span<const std::uint8_t> payload, std::uint8_t priority);
  Result<std::vector<QueuedRecord>> read(std::size_t max_records, std::size_t max_bytes);
  Status ack(std::uint64_t up_to);
  void rewind() { read_cursor = acked; }
  Status sync() {
    if (Status s = sync_active(); !s.ok())
      return s;
    if (state_fd >= 0 && ::fdatasync(state_fd) != 0)
      return io_error("fdatasync", path_of(kStateFile), errno);
    ++c.fsyncs;
    return Status();
  }
  DurableQueueCounters snapshot() const;

  const DurableQueueOptions options;
  mutable std::mutex mu;

 private:
  struct Segment {
    std::uint64_t id = 0;
    std::uint64_t file_bytes = 0;       // size of the file
    std::uint64_t live_records = 0;     // neither acked nor dropped
    std::uint64_t live_bytes = 0;       // their framed bytes
    std::uint64_t dropped_records = 0;  // dropped but still in the file
    std::uint64_t dead_bytes() const noexcept {
      return file_bytes - std::min(file_bytes, disk::kSegmentHeaderSize + live_bytes);
    }
  };
  // One per record still in a segment with a sequence above `acked`, in sequence order.
  struct Entry {
    std::uint64_t sequence = 0;
    std::uint64_t segment_id = 0;
    std::uint64_t offset = 0;
    std::uint32_t payload_size = 0;
    std::uint8_t priority = 0;
    bool dropped = false;
    std::uint64_t framed() const noexcept { return disk::kRecordHeaderSize + payload_size; }
  };

  std::string path_of(std::string_view name) const {
    std::string p = options.directory;
    p += '/';
    p += name;
    return p;
  }
  Segment* find_segment(std::uint64_t id);
  std::deque<Entry>::iterator find_entry(std::uint64_t sequence);
  // [first, last) of the entries stored in segment `id`.
  std::pair<std::deque<Entry>::iterator, std::deque<Entry>::iterator> entries_of(std::uint64_t id);
  bool is_active(const Segment& s) const noexcept { return active_fd >= 0 && s.id == active_id; }

  Status sync_dir();
  Status sync_active();
  Status start_segment();
  Status roll();
  Status write_state();
  Status create_state_file(disk::QueueState state);
  void drop(Entry& e, QueueDropReason reason);
  Status delete_segment(std::uint64_t id);
  Status delete_empty_segments();
  Status compact(std::uint64_t id);
  // Applies the drop policy so that a record of `framed` bytes and `priority` fits. Sets
  // `refused` when the incoming record is the one to drop.
  Status make_room(std::uint64_t framed, std::uint8_t priority, bool& refused);
  std::uint64_t disk_bytes() const noexcept;
  int dir_fd = -1;
  int lock_fd = -1;
  int active_fd = -1;
  std::uint64_t active_id = 0;
  int reader_fd = -1;
  std::uint64_t reader_id = 0;

  std::deque<Segment> segments;  // by id, which is also sequence order
  std::deque<Entry> entries;
  std::map<std::uint8_t, std::deque<std::uint64_t>> by_priority;  // live sequences, FIFO
  std::array<std::uint64_t, 256> live_bytes_by_priority{};
  std::set<std::uint64_t> dropped_present;  // dropped sequences still in some segment
  std::uint64_t live_bytes = 0;             // framed bytes of live records

  std::uint64_t acked = 0;
  std::uint64_t next_sequence = 1;
  std::uint64_t next_segment_id = 1;
  std::uint64_t read_cursor = 0;
  int state_fd = -1;
  std::uint64_t state_slot = 0;   // bytes per slot of the state file
  std::uint64_t state_bytes = 0;  // its size: two slots
  std::uint64_t state_generation = 0;

  std::uint32_t unsynced = 0;
  std::chrono::steady_clock::time_point last_sync = std::chrono::steady_clock::now();

  DurableQueueCounters c;
};

DurableQueue::Store::Segment* DurableQueue::Store::find_segment(std::uint64_t id) {
  auto it = std::lower_bound(segments.begin(), segments.end(), id,
                             [](const Segment& s, std::uint64_t v) { return s.id < v; });
  return it != segments.end() && it->id == id ? &*it : nullptr;
}

std::deque<DurableQueue::Store::Entry>::iterator DurableQueue::Store::find_entry(
    std::uint64_t sequence) {
  auto it = std::lower_bound(entries.begin(), entries.end(), sequence,
                             [](const Entry& e, std::uint64_t v) { return e.sequence < v; });
  return it != entries.end() && it->sequence == sequence ? it : entries.end();
}

std::pair<std::deque<DurableQueue::Store::Entry>::iterator,
          std::deque<DurableQueue::Store::Entry>::iterator>
DurableQueue::Store::entries_of(std::uint64_t id) {
  auto first = std::lower_bound(entries.begin(), entries.end(), id,
                                [](const Entry& e, std::uint64_t v) { return e.segment_id < v; });
  auto last = std::upper_bound(first, entries.end(), id,
                               [](std::uint64_t v, const Entry& e) { return v < e.segment_id; });
  return {first, last};
}

std::uint64_t DurableQueue::Store::disk_bytes() const noexcept {
  std::uint64_t n = state_bytes;
  for (const Segment& s : segments)
    n += s.file_bytes;
  return n;
}

Status DurableQueue::Store::sync_dir() {
  if (options.fsync.mode == FsyncMode::kNever)
    return Status();
  if (::fsync(dir_fd) != 0)
    return io_error("fsync directory", options.directory, errno);
  return Status();
}

Status DurableQueue::Store::sync_active() {
  last_sync = std::chrono::steady_clock::now();
  if (active_fd < 0 || unsynced == 0)
    return Status();
  if (::fdatasync(active_fd) != 0)
    return io_error("fdatasync", path_of(disk::segment_file_name(active_id)), errno);
  ++c.fsyncs;
  unsynced = 0;
  return Status();
}

Status DurableQueue::Store::start_segment() {
  const std::uint64_t id = next_segment_id++;
  const std::string name = disk::segment_file_name(id);
  const std::string path = path_of(name);
  const int fd =
      ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    return io_error("create segment", path, errno);
  const std::vector<std::uint8_t> header = disk::encode_segment_header(id);
  Status s = write_all(fd, header.data(), header.size(), path);
  if (s.ok() && options.fsync.mode != FsyncMode::kNever && ::fdatasync(fd) != 0)
    s = io_error("fdatasync", path, errno);
  if (s.ok())
    s = sync_dir();
  if (!s.ok()) {
    ::close(fd);
    ::unlinkat(dir_fd, name.c_str(), 0);
    return s;
  }
  active_fd = fd;
  active_id = id;
  unsynced = 0;
  segments.push_back(Segment{id, header.size(), 0, 0, 0});
  return Status();
}

Status DurableQueue::Store::roll() {
  if (active_fd < 0)
    return Status();
  Status s;
  if (options.fsync.mode != FsyncMode::kNever)
    s = sync_active();
  close_fd(active_fd);
  active_id = 0;
  unsynced = 0;
  return s;
}

Status DurableQueue::Store::write_state() {
  disk::QueueState state;
  state.generation = ++state_generation;
  state.acked_sequence = acked;
  state.next_sequence = next_sequence;
  // Dropped sequences that do not fit the slot (only after read() found damaged records)
  // are left out: after a restart those records are delivered again, never lost.
  const std::size_t fit = (state_slot - disk::kStateFixedSize) / 8;
  for (auto it = dropped_present.begin(); it != dropped_present.end() && state.dropped.size() < fit;
       ++it)
    state.dropped.push_back(*it);
  const std::vector<std::uint8_t> bytes = disk::encode_state(state);
  const std::string path = path_of(kStateFile);
  const std::uint64_t offset = (state.generation % 2) * state_slot;
  const std::uint8_t* data = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n =
        ::pwrite(state_fd, data, left, static_cast<off_t>(offset + (data - bytes.data())));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return io_error("write", path, errno);
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  // Only kEveryRecord pays for an fsync per ack; the other policies accept that a machine
  // crash may bring acked records back (never that it loses pending ones).
  if (options.fsync.mode == FsyncMode::kEveryRecord) {
    if (::fdatasync(state_fd) != 0)
      return io_error("fdatasync", path, errno);
    ++c.fsyncs;
  }
  return Status();
}

Status DurableQueue::Store::create_state_file(disk::QueueState state) {
  // Written whole under a temporary name, then renamed: a crash leaves the old file intact.
  const std::vector<std::uint8_t> slot = disk::encode_state(state);
  std::vector<std::uint8_t> file(2 * state_slot, 0);
  std::copy(slot.begin(), slot.end(),
            file.begin() + static_cast<std::ptrdiff_t>((state.generation % 2) * state_slot));
  const std::string temp = std::string(kStateFile) + ".tmp";
  const std::string temp_path = path_of(temp);
  const int fd = ::openat(dir_fd, temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return io_error("create", temp_path, errno);
  Status s = write_all(fd, file.data(), file.size(), temp_path);
  if (s.ok() && options.fsync.mode != FsyncMode::kNever && ::fdatasync(fd) != 0)
    s = io_error("fdatasync", temp_path, errno);
  ::close(fd);
  if (s.ok() && ::renameat(dir_fd, temp.c_str(), dir_fd, std::string(kStateFile).c_str()) != 0)
    s = io_error("rename", temp_path, errno);
  if (s.ok())
    s = sync_dir();
  if (!s.ok()) {
    ::unlinkat(dir_fd, temp.c_str(), 0);
    return s;
  }
  state_generation = state.generation;
  state_bytes = file.size();
  return Status();
}

void DurableQueue::Store::drop(Entry& e, QueueDropReason reason) {
  e.dropped = true;
  dropped_present.insert(e.sequence);
  live_bytes -= e.framed();
  live_bytes_by_priority[e.priority] -= e.framed();
  if (Segment* s = find_segment(e.segment_id)) {
    --s->live_records;
    s->live_bytes -= e.framed();
    ++s->dropped_records;
  }
  ++c.dropped[static_cast<std::size_t>(reason)];
}

Status DurableQueue::Store::delete_segment(std::uint64_t id) {
  if (id == reader_id) {
    close_fd(reader_fd);
    reader_id = 0;
  }
  if (active_fd >= 0 && id == active_id) {
    close_fd(active_fd);
    active_id = 0;
    unsynced = 0;
  }
  const std::string name = disk::segment_file_name(id);
  if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT)
    return io_error("delete segment", path_of(name), errno);
  auto [first, last] = entries_of(id);
  for (auto it = first; it != last; ++it)
    dropped_present.erase(it->sequence);  // only dropped entries remain in a dead segment
  entries.erase(first, last);
  auto it = std::lower_bound(segments.begin(), segments.end(), id,
                             [](const Segment& s, std::uint64_t v) { return s.id < v; });
  if (it != segments.end() && it->id == id)
    segments.erase(it);
  return Status();
}

Status DurableQueue::Store::delete_empty_segments() {
  std::vector<std::uint64_t> dead;
  for (const Segment& s : segments)
    if (s.live_records == 0 && !is_active(s))
      dead.push_back(s.id);
  for (std::uint64_t id : dead)
    if (Status s = delete_segment(id); !s.ok())
      return s;
  return Status();
}

Status DurableQueue::Store::compact(std::uint64_t id) {
  Segment* seg = find_segment(id);
  if (seg == nullptr)
    return Status();
  if (is_active(*seg))
    if (Status s = roll(); !s.ok())
      return s;
  if (seg->live_records == 0)
    return delete_segment(id);

  const std::string name = disk::segment_file_name(id);
  const std::string path = path_of(name);
  Result<std::vector<std::uint8_t>> old = read_file(dir_fd, name, path);
  if (!old)
    return old.status();
  std::vector<std::uint8_t> out = disk::encode_segment_header(id);
  out.reserve(disk::kSegmentHeaderSize + seg->live_bytes);
  auto [first, last] = entries_of(id);
  std::vector<std::uint64_t> new_offsets;
  for (auto it = first; it != last; ++it) {
    if (it->dropped)
      continue;
    if (it->offset + it->framed() > old->size())
      return Status(StatusCode::kDataLoss,
                    "durable queue: compact " + path + ": segment shrank under the queue");
    new_offsets.push_back(out.size());
    out.insert(out.end(), old->begin() + static_cast<std::ptrdiff_t>(it->offset),
               old->begin() + static_cast<std::ptrdiff_t>(it->offset + it->framed()));
  }

  const std::string temp = name + ".tmp";
  const std::string temp_path = path_of(temp);
  const int fd = ::openat(dir_fd, temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return io_error("create", temp_path, errno);
  Status s = write_all(fd, out.data(), out.size(), temp_path);
  // The rename replaces live records: their new copy must be on disk first.
  if (s.ok() && options.fsync.mode != FsyncMode::kNever) {
    if (::fdatasync(fd) != 0)
      s = io_error("fdatasync", temp_path, errno);
    else
      ++c.fsyncs;
  }
  ::close(fd);
  if (s.ok() && ::renameat(dir_fd, temp.c_str(), dir_fd, name.c_str()) != 0)
    s = io_error("rename", temp_path, errno);
  if (!s.ok()) {
    ::unlinkat(dir_fd, temp.c_str(), 0);
    return s;
  }
  if (id == reader_id) {
    close_fd(reader_fd);
    reader_id = 0;
  }

  std::size_t k = 0;
  for (auto it = first; it != last; ++it) {
    if (it->dropped)
      dropped_present.erase(it->sequence);
    else
      it->offset = new_offsets[k++];
  }
  entries.erase(std::remove_if(first, last, [](const Entry& e) { return e.dropped; }), last);
  seg = find_segment(id);
  seg->file_bytes = out.size();
  seg->dropped_records = 0;
  ++c.compactions;
  return sync_dir();
}

Status DurableQueue::Store::make_room(std::uint64_t framed, std::uint8_t priority, bool& refused) {
  refused = false;
  const std::uint64_t max = options.max_bytes;
  // An eighth of the bound is kept as slack so that space freed by evicting scattered
  // records can be reclaimed by rewriting a segment only now and then (each rewrite frees
  // at least reserve / number-of-segments bytes).
  const std::uint64_t limit = max - max / 8;
  auto logical = [&] {
    return live_bytes + disk::kSegmentHeaderSize * (segments.size() + 1) + state_bytes;
  };

  bool evicted = false;
  if (logical() + framed > limit) {
    // Refuse without evicting anything when the records that may be evicted for this one
    // (priority <= its priority) cannot make enough room.
    std::uint64_t evictable = 0;
    for (int p = 0; p <= priority; ++p)
      evictable += live_bytes_by_priority[static_cast<std::size_t>(p)];
    if (logical() + framed - limit > evictable) {
      ++c.dropped[static_cast<std::size_t>(QueueDropReason::kLowerPriority)];
      refused = true;
      return Status();
    }
    while (logical() + framed > limit) {
      Entry* victim = nullptr;
      for (auto it = by_priority.begin(); it != by_priority.end() && victim == nullptr;) {
        std::deque<std::uint64_t>& fifo = it->second;
        while (!fifo.empty()) {
          auto e = find_entry(fifo.front());
          if (e != entries.end() && !e->dropped) {
            victim = &*e;
            break;
          }
          fifo.pop_front();
        }
        it = fifo.empty() ? by_priority.erase(it) : std::next(it);
      }
      if (victim == nullptr || victim->priority > priority) {
        // Defensive: the check above (evictable bytes) keeps this from being reached.
        ++c.dropped[static_cast<std::size_t>(QueueDropReason::kLowerPriority)];
        refused = true;
        break;
      }
      by_priority[victim->priority].pop_front();
      drop(*victim, victim->priority < priority ? QueueDropReason::kLowerPriority
                                                : QueueDropReason::kOldest);
      evicted = true;
    }
    if (Status s = delete_empty_segments(); !s.ok())
      return s;
    if (refused)
      return evicted ? write_state() : Status();
  }

  // Physical room: rewrite the segments with the most reclaimable bytes until the files fit.
  const std::uint64_t need = framed + disk::kSegmentHeaderSize;
  bool compacted = false;
  while (disk_bytes() + need > max || dropped_present.size() > drop_list_cap(max)) {
    const bool for_space = disk_bytes() + need > max;
    const Segment* best = nullptr;
    for (const Segment& s : segments) {
      const std::uint64_t score = for_space ? s.dead_bytes() : s.dropped_records;
      if (score > 0 &&
          (best == nullptr || score > (for_space ? best->dead_bytes() : best->dropped_records)))
        best = &s;
    }
    if (best == nullptr)
      break;  // nothing left to reclaim; the logical bound above keeps this from happening
    if (Status s = compact(best->id); !s.ok())
      return s;
    compacted = true;
  }
  if (evicted || compacted)
    return write_state();
  return Status();
}

Status DurableQueue::Store::open() {
  const DurableQueueOptions& o = options;
  if (o.directory.empty())
    return core::invalid_argument("durable queue: options.directory is empty");
  if (o.max_record_bytes == 0)
    return core::invalid_argument("durable queue: max_record_bytes must be > 0");
  if (o.max_record_bytes > disk::kMaxPayloadBytes)
    return core::invalid_argument("durable queue: max_record_bytes " +
                                  std::to_string(o.max_record_bytes) + " exceeds the format's " +
                                  std::to_string(disk::kMaxPayloadBytes));
  if (std::uint64_t{o.max_record_bytes} + disk::kRecordHeaderSize + disk::kSegmentHeaderSize >
      o.segment_bytes)
    return core::invalid_argument("durable queue: segment_bytes " +
                                  std::to_string(o.segment_bytes) +
                                  " cannot hold a record of max_record_bytes " +
                                  std::to_string(o.max_record_bytes) + " plus 48 header bytes");
  if (o.max_bytes < 4 * std::uint64_t{o.segment_bytes})
    return core::invalid_argument("durable queue: max_bytes " + std::to_string(o.max_bytes) +
                                  " must be at least 4 * segment_bytes (" +
                                  std::to_string(4 * std::uint64_t{o.segment_bytes}) + ")");
  if (o.fsync.mode == FsyncMode::kInterval && o.fsync.interval.count() < 0)
    return core::invalid_argument("durable queue: fsync.interval is negative");

  if (::mkdir(o.directory.c_str(), 0755) != 0 && errno != EEXIST)
    return io_error("create directory", o.directory, errno);
  dir_fd = ::open(o.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    return io_error("open directory", o.directory, errno);
  lock_fd = ::openat(dir_fd, std::string(kLockFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0)
    return io_error("create", path_of(kLockFile), errno);
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      return Status(StatusCode::kFailedPrecondition,
                    "durable queue: " + o.directory +
                        " is already open (its lock file is held by another queue)");
    return io_error("lock", path_of(kLockFile), errno);
  }

  // List the directory: segment ids, and temporaries left by a crash (removed).
  std::vector<std::uint64_t> ids;
  {
    int list_fd = ::dup(dir_fd);
    DIR* dir = list_fd >= 0 ? ::fdopendir(list_fd) : nullptr;
    if (dir == nullptr) {
      const int err = errno;
      close_fd(list_fd);
      return io_error("list directory", o.directory, err);
    }
    ::rewinddir(dir);
    std::vector<std::string> temporaries;
    while (dirent* d = ::readdir(dir)) {
      const std::string_view name(d->d_name);
      if (std::optional<std::uint64_t> id = disk::parse_segment_file_name(name))
        ids.push_back(*id);
      else if (name.size() > 4 && name.substr(name.size() - 4) == ".tmp")
        temporaries.emplace_back(name);
    }
    ::closedir(dir);
    for (const std::string& t : temporaries)
      ::unlinkat(dir_fd, t.c_str(), 0);
  }
  std::sort(ids.begin(), ids.end());

  // The state file: reused when its slots have the size this configuration wants, else
  // (first open, damage, a changed max_bytes) rewritten once with the state it held.
  disk::QueueState state;
  state_slot = disk::state_slot_size(drop_list_cap(o.max_bytes));
  {
    const std::string path = path_of(kStateFile);
    bool reuse = false;
    struct stat st {};
    if (::fstatat(dir_fd, std::string(kStateFile).c_str(), &st, 0) == 0) {
      Result<std::vector<std::uint8_t>> bytes = read_file(dir_fd, std::string(kStateFile), path);
      if (!bytes)
        return bytes.status();
      if (std::optional<disk::QueueState> decoded = disk::decode_state_file(*bytes)) {
        state = std::move(*decoded);
        reuse = bytes->size() == 2 * state_slot;
      } else {
        // Without it every record still on disk is delivered again: at-least-once holds.
        ++c.state_file_resets;
      }
    } else if (errno != ENOENT) {
      return io_error("stat", path, errno);
    }
    if (reuse) {
      state_generation = state.generation;
      state_bytes = 2 * state_slot;
    } else {
      disk::QueueState fresh = state;
      ++fresh.generation;
      const std::size_t fit = (state_slot - disk::kStateFixedSize) / 8;
      if (fresh.dropped.size() > fit)
        fresh.dropped.resize(fit);
      if (Status s = create_state_file(fresh); !s.ok())
        return s;
    }
    state_fd = ::openat(dir_fd, std::string(kStateFile).c_str(), O_RDWR | O_CLOEXEC);
    if (state_fd < 0)
      return io_error("open", path, errno);
  }
  acked = state.acked_sequence;
  const std::unordered_set<std::uint64_t> dropped_before(state.dropped.begin(),
                                                         state.dropped.end());

  std::uint64_t next_min = 1;
  std::uint64_t max_sequence = 0;
  for (std::uint64_t id : ids) {
    const std::string name = disk::segment_file_name(id);
    const std::string path = path_of(name);
    Result<std::vector<std::uint8_t>> bytes = read_file(dir_fd, name, path);
    if (!bytes)
      return bytes.status();
    const disk::SegmentScan scan = disk::scan_segment(*bytes, next_min);
    if (scan.header == disk::SegmentScan::Header::kUnsupportedVersion)
      return Status(StatusCode::kFailedPrecondition,
                    "durable queue: segment " + path + " has format version " +
                        std::to_string(scan.version) + "; this build reads version " +
                        std::to_string(disk::kFormatVersion));
    if (scan.header == disk::SegmentScan::Header::kCorrupt &&
        bytes->size() >= disk::kSegmentHeaderSize) {
      ++c.corrupt_records;
      c.corrupt_bytes += disk::kSegmentHeaderSize;
    }
    c.corrupt_records += scan.corrupt_records;
    c.corrupt_bytes += scan.corrupt_bytes + scan.torn_tail_bytes;
    if (scan.torn_tail_bytes > 0)
      ++c.torn_tails;

    Segment seg{id, bytes->size(), 0, 0, 0};
    for (const disk::ScannedRecord& r : scan.records) {
      next_min = r.sequence + 1;
      max_sequence = r.sequence;
      if (r.sequence <= acked)
        continue;
      Entry e{r.sequence, id, r.offset, r.payload_size, r.priority, false};
      if (dropped_before.contains(r.sequence)) {
        e.dropped = true;
        dropped_present.insert(r.sequence);
        ++seg.dropped_records;
      } else {
        ++seg.live_records;
        seg.live_bytes += e.framed();
        live_bytes += e.framed();
        live_bytes_by_priority[e.priority] += e.framed();
        by_priority[e.priority].push_back(e.sequence);
        ++c.recovered;
      }
      entries.push_back(e);
    }
    segments.push_back(seg);
  }
  if (Status s = delete_empty_segments(); !s.ok())
    return s;

  next_sequence = std::max({state.next_sequence, max_sequence + 1, acked + 1});
  next_segment_id = ids.empty() ? 1 : ids.back() + 1;
  read_cursor = acked;
  return Status();
}

Result<std::uint64_t> DurableQueue::Store::append(std::span<const std::uint8_t> payload,
                                                  std::uint8_t priority) {
  if (payload.size() > options.max_record_bytes) {
    ++c.dropped[static_cast<std::size_t>(QueueDropReason::kTooLarge)];
    return Status(StatusCode::kResourceExhausted,
                  "durable queue: record of " + std::to_string(payload.size()) +
                      " bytes exceeds max_record_bytes " +
                      std::to_string(options.max_record_bytes) + "; dropped");
  }
  const std::uint64_t framed = disk::kRecordHeaderSize + payload.size();
  bool refused = false;
  if (Status s = make_room(framed, priority, refused); !s.ok()) {
    ++c.dropped[static_cast<std::size_t>(QueueDropReason::kWriteFailed)];
    return s;
  }
  if (refused)
    return Status(StatusCode::kResourceExhausted,
                  "durable queue: full (max_bytes " + std::to_string(options.max_bytes) +
                      ") with records of higher priority than " + std::to_string(priority) +
                      "; record dropped");

  Segment* seg = active_fd >= 0 ? find_segment(active_id) : nullptr;
  if (seg != nullptr && seg->file_bytes + framed > options.segment_bytes) {
    if (Status s = roll(); !s.ok())
      return s;
    seg = nullptr;
  }
  if (seg == nullptr) {
    if (Status s = start_segment(); !s.ok()) {
      ++c.dropped[static_cast<std::size_t>(QueueDropReason::kWriteFailed)];
      return s;
    }
    seg = &segments.back();
  }

  const std::uint64_t sequence = next_sequence;
  std::uint8_t header[disk::kRecordHeaderSize];
  disk::encode_record_header(sequence, priority, payload, header);
  iovec iov[2] = {{header, sizeof header},
                  {const_cast<std::uint8_t*>(payload.data()), payload.size()}};
  const std::string path = path_of(disk::segment_file_name(seg->id));
  std::size_t written = 0;
  Status s;
  while (written < framed) {
    // Skip what is already written, then retry the rest (short writes are rare on files).
    iovec rest[2];
    int n = 0;
    std::size_t skip = written;
    for (const iovec& v : iov) {
      if (skip >= v.iov_len) {
        skip -= v.iov_len;
        continue;
      }
      rest[n++] = {static_cast<std::uint8_t*>(v.iov_base) + skip, v.iov_len - skip};
      skip = 0;
    }
    const ssize_t w = ::writev(active_fd, rest, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      s = io_error("write", path, errno);
      break;
    }
    written += static_cast<std::size_t>(w);
  }
  if (s.ok()) {
    ++unsynced;
    const FsyncPolicy& policy = options.fsync;
    const bool due = policy.mode == FsyncMode::kEveryRecord ||
                     (policy.mode == FsyncMode::kInterval &&
                      ((policy.records > 0 && unsynced >= policy.records) ||
                       std::chrono::steady_clock::now() - last_sync >= policy.interval));
    if (due)
      s = sync_active();
  }
  if (!s.ok()) {
    // Take the partial record back out so the segment stays clean; a reader would skip it
    // anyway as a torn record.
    if (::ftruncate(active_fd, static_cast<off_t>(seg->file_bytes)) != 0)
      roll().ignore();
    ++c.dropped[static_cast<std::size_t>(QueueDropReason::kWriteFailed)];
    return s;
  }

  entries.push_back(Entry{sequence, seg->id, seg->file_bytes,
                          static_cast<std::uint32_t>(payload.size()), priority, false});
  seg->file_bytes += framed;
  ++seg->live_records;
  seg->live_bytes += framed;
  live_bytes += framed;
  live_bytes_by_priority[priority] += framed;
  by_priority[priority].push_back(sequence);
  ++next_sequence;
  ++c.appended;
  c.appended_bytes += payload.size();
  return sequence;
}

Result<std::vector<QueuedRecord>> DurableQueue::Store::read(std::size_t max_records,
                                                            std::size_t max_bytes) {
  std::vector<QueuedRecord> out;
  std::size_t bytes = 0;
  auto it = std::upper_bound(entries.begin(), entries.end(), read_cursor,
                             [](std::uint64_t v, const Entry& e) { return v < e.sequence; });
  for (; it != entries.end() && out.size() < max_records; ++it) {
    if (it->dropped)
      continue;
    if (!out.empty() && bytes + it->payload_size > max_bytes)
      break;
    const std::string name = disk::segment_file_name(it->segment_id);
    if (reader_id != it->segment_id) {
      close_fd(reader_fd);
      reader_id = 0;
      reader_fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC);
      if (reader_fd < 0)
        return io_error("open", path_of(name), errno);
      reader_id = it->segment_id;
    }
    std::vector<std::uint8_t> frame(it->framed());
    Status s = pread_all(reader_fd, frame.data(), frame.size(), it->offset, path_of(name));
    std::optional<disk::RecordHeader> h;
    if (s.ok())
      h = disk::decode_record_header(frame);
    else if (s.code() != StatusCode::kDataLoss)
      return s;
    const bool intact =
        h && h->sequence == it->sequence && h->payload_size == it->payload_size &&
        disk::crc32(std::span(frame).subspan(disk::kRecordHeaderSize)) == h->payload_crc;
    read_cursor = it->sequence;
    if (!intact) {
      // Damaged since open() scanned it (or truncated under us): skip it, counted.
      ++c.corrupt_records;
      c.corrupt_bytes += it->framed();
      drop(*it, QueueDropReason::kCorrupt);
      continue;
    }
    QueuedRecord r;
    r.sequence = it->sequence;
    r.priority = it->priority;
    r.payload.assign(frame.begin() + disk::kRecordHeaderSize, frame.end());
    bytes += r.payload.size();
    out.push_back(std::move(r));
  }
  c.delivered += out.size();
  return out;
}

Status DurableQueue::Store::ack(std::uint64_t up_to) {
  if (up_to >= next_sequence)
    return core::invalid_argument("durable queue: ack of sequence " + std::to_string(up_to) +
                                  " beyond the last appended (" +
                                  std::to_string(next_sequence - 1) + ")");
  if (up_to <= acked)
    return Status();
  // Persist first: a crash after this point must not deliver these records again.
  const std::uint64_t previous = acked;
  acked = up_to;
  if (Status s = write_state(); !s.ok()) {
    acked = previous;
    return s;
  }
  while (!entries.empty() && entries.front().sequence <= up_to) {
    const Entry& e = entries.front();
    if (e.dropped) {
      dropped_present.erase(e.sequence);
      if (Segment* seg = find_segment(e.segment_id))
        --seg->dropped_records;
    } else {
      ++c.acked;
      live_bytes -= e.framed();
      live_bytes_by_priority[e.priority] -= e.framed();
      if (Segment* seg = find_segment(e.segment_id)) {
        --seg->live_records;
        seg->live_bytes -= e.framed();
      }
    }
    entries.pop_front();
  }
  read_cursor = std::max(read_cursor, acked);
  for (auto it = by_priority.begin(); it != by_priority.end();) {
    while (!it->second.empty() && it->second.front() <= up_to)
      it->second.pop_front();
    it = it->second.empty() ? by_priority.erase(it) : std::next(it);
  }
  return delete_empty_segments();
}

DurableQueueCounters DurableQueue::Store::snapshot() const {
  DurableQueueCounters out = c;
  out.segments = segments.size();
  out.bytes_on_disk = disk_bytes();
  std::uint64_t depth = 0;
  for (const Segment& s : segments)
    depth += s.live_records;
  out.depth = depth;
  out.depth_bytes = live_bytes - disk::kRecordHeaderSize * depth;
  return out;
}

// --- DurableQueue ------------------------------------------------------------------------

DurableQueue::DurableQueue(std::unique_ptr<Store> store) : store_(std::move(store)) {}
DurableQueue::DurableQueue(DurableQueue&&) noexcept = default;
DurableQueue& DurableQueue::operator=(DurableQueue&&) noexcept = default;
DurableQueue::~DurableQueue() = default;

Result<DurableQueue> DurableQueue::open(DurableQueueOptions options) {
  auto store = std::make_unique<Store>(std::move(options));
  if (Status s = store->open(); !s.ok())
    return s;
  return DurableQueue(std::move(store));
}

namespace {
Status moved_from() {
  return Status(StatusCode::kFailedPrecondition, "durable queue: used after being moved from");
}
}  // namespace

Result<std::uint64_t> DurableQueue::append(std::span<const std::uint8_t> payload,
                                           std::uint8_t priority) {
  if (!store_)
    return moved_from();
  std::lock_guard lock(store_->mu);
  return store_->append(payload, priority);
}

Result<std::uint64_t> DurableQueue::append(std::string_view payload, std::uint8_t priority) {
  return append(std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()),
                priority);
}

Result<std::vector<QueuedRecord>> DurableQueue::read(std::size_t max_records,
                                                     std::size_t max_bytes) {
  if (!store_)
    return moved_from();
  std::lock_guard lock(store_->mu);
  return store_->read(max_records, max_bytes);
}

Status DurableQueue::ack(std::uint64_t up_to_sequence) {
  if (!store_)
    return moved_from();
  std::lock_guard lock(store_->mu);
  return store_->ack(up_to_sequence);
}

void DurableQueue::rewind() {
  if (!store_)
    return;
  std::lock_guard lock(store_->mu);
  store_->rewind();
}

Status DurableQueue::sync() {
  if (!store_)
    return moved_from();
  std::lock_guard lock(store_->mu);
  return store_->sync();
}

DurableQueueCounters DurableQueue::counters() const {
  if (!store_)
    return {};
  std::lock_guard lock(store_->mu);
  return store_->snapshot();
}

const DurableQueueOptions& DurableQueue::options() const noexcept {
  static const DurableQueueOptions kEmpty;
  return store_ ? store_->options : kEmpty;
}

}  // namespace edgetrace::otlp
