#include "edgetrace/sdk/file_layer.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "edgetrace/core/posix.hpp"

namespace edgetrace::sdk {
namespace {

namespace fs = std::filesystem;
using SystemTime = std::chrono::system_clock::time_point;

constexpr std::size_t kMaxQueueCapacity = std::size_t{1} << 20;
constexpr std::size_t kMaxBatchBytes = 256 * 1024;
constexpr std::size_t kMaxKeptLineCapacity = 64 * 1024;
constexpr auto kIdleWait = std::chrono::milliseconds(100);
// Between batches the writer looks for new lines every kNap, kNapsBeforeIdle times, before
// it sleeps until woken: lines reach the file within a few milliseconds without costing the
// logging thread a wake-up each.
constexpr auto kNap = std::chrono::milliseconds(2);
constexpr int kNapsBeforeIdle = 50;

std::int64_t period_seconds(Rotation rotation) noexcept {
  switch (rotation) {
    case Rotation::kMinutely:
      return 60;
    case Rotation::kHourly:
      return 3600;
    case Rotation::kDaily:
      return 86400;
    case Rotation::kNever:
      break;
  }
  return 0;
}

std::int64_t unix_seconds(SystemTime t) noexcept {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  // Floor, so times before 1970 still land in the right period.
  return t.time_since_epoch() < std::chrono::seconds(s) ? s - 1 : s;
}

// Start of the period after the one holding `t` (max for kNever).
std::int64_t next_period_start(Rotation rotation, SystemTime t) noexcept {
  const std::int64_t period = period_seconds(rotation);
  if (period == 0)
    return INT64_MAX;
  const std::int64_t s = unix_seconds(t);
  const std::int64_t start = s >= 0 ? s - s % period : s - (period + s % period) % period;
  return start + period;
}

std::string date_part(Rotation rotation, SystemTime t) {
  const std::int64_t s = std::max<std::int64_t>(unix_seconds(t), 0);
  std::string stamp;
  append_rfc3339_micros(stamp, static_cast<std::uint64_t>(s) * 1'000'000'000ULL);
  // 2026-11-21T14:05:50.000000Z
  switch (rotation) {
    case Rotation::kDaily:
      return stamp.substr(0, 10);
    case Rotation::kHourly:
      return stamp.substr(0, 10) + '-' + stamp.substr(11, 2);
    case Rotation::kMinutely:
      return stamp.substr(0, 10) + '-' + stamp.substr(11, 2) + '-' + stamp.substr(14, 2);
    case Rotation::kNever:
      break;
  }
  return {};
}

// Whether `text` has the shape of the date part of `rotation` (digits and dashes).
bool is_date_part(Rotation rotation, std::string_view text) noexcept {
  static constexpr std::string_view kDaily = "dddd-dd-dd";
  static constexpr std::string_view kHourly = "dddd-dd-dd-dd";
  static constexpr std::string_view kMinutely = "dddd-dd-dd-dd-dd";
  std::string_view shape;
  switch (rotation) {
    case Rotation::kDaily:
      shape = kDaily;
      break;
    case Rotation::kHourly:
      shape = kHourly;
      break;
    case Rotation::kMinutely:
      shape = kMinutely;
      break;
    case Rotation::kNever:
      return false;
  }
  if (text.size() != shape.size())
    return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (shape[i] == 'd' ? !digit : text[i] != '-')
      return false;
  }
  return true;
}

// One queued line. `seq` is the slot's turn (Vyukov's bounded queue): == position when
// free for that position's producer, == position + 1 when its line is ready.
struct Slot {
  std::atomic<std::size_t> seq{0};
  std::string line;
};

// Incremented in every forked child. A layer made in an earlier generation has no writer
// thread in this process, and its mutex may have been held by a thread that is gone.
std::atomic<std::uint64_t> g_fork_generation{0};

void on_fork_child() noexcept {
  g_fork_generation.fetch_add(1, std::memory_order_relaxed);  // async-signal-safe
}

void install_fork_handler_once() {
  static std::once_flag once;
  std::call_once(once, [] { ::pthread_atfork(nullptr, nullptr, &on_fork_child); });
}

}  // namespace

std::string rolling_file_name(std::string_view prefix, std::string_view suffix, Rotation rotation,
                              SystemTime time) {
  std::string name(prefix);
  const std::string date = date_part(rotation, time);
  for (std::string_view part : {std::string_view(date), suffix}) {
    if (part.empty())
      continue;
    if (!name.empty())
      name += '.';
    name += part;
  }
  return name;
}

struct FileLayer::State {
  FileLayerOptions options;
  LineFormatter formatter;
  FileLayerCounters counters;
  const std::uint64_t generation = g_fork_generation.load(std::memory_order_relaxed);

  // The queue: many producers (logging threads), one consumer (the writer).
  std::unique_ptr<Slot[]> slots;
  std::size_t mask = 0;
  alignas(64) std::atomic<std::size_t> enqueue_pos{0};
  alignas(64) std::atomic<std::size_t> consumed{0};  // positions written (or dropped)
  std::size_t dequeue_pos = 0;                       // writer only
  alignas(64) std::atomic<std::uint32_t> active_producers{0};
  std::atomic<bool> stopping{false};
  std::atomic<bool> abandon{false};  // the shutdown deadline passed: stop writing
  std::atomic<bool> writer_idle{false};
  std::atomic<std::uint32_t> space_waiters{0};
  std::atomic<std::uint32_t> flush_waiters{0};

  std::mutex mu;
  std::condition_variable writer_cv;  // work arrived, flush asked, stopping
  std::condition_variable space_cv;   // slots freed (blocking mode)
  std::condition_variable done_cv;    // consumed advanced, writer finished
  bool writer_done = false;
  bool shut_down = false;
  bool shutdown_result = true;

  // Writer state (and create()'s, before the writer starts).
  int fd = -1;
  std::int64_t next_rotation = INT64_MAX;
  std::string file_name;
  std::string batch;
  mutable std::mutex path_mu;
  std::string path;  // guarded by path_mu
  std::thread writer;

  State(FileLayerOptions o, std::size_t capacity)
      : options(std::move(o)),
        formatter(options.line, false),
        slots(new Slot[capacity]),
        mask(capacity - 1) {
    for (std::size_t i = 0; i < capacity; ++i)
      slots[i].seq.store(i, std::memory_order_relaxed);
  }
  ~State() {
    if (fd >= 0)
      ::close(fd);
  }

  SystemTime now() const { return options.clock(); }
  bool in_forked_child() const noexcept {
    return g_fork_generation.load(std::memory_order_relaxed) != generation;
  }

  // ---- producer side ----

  Slot* try_claim(std::size_t& pos) noexcept {
    pos = enqueue_pos.load(std::memory_order_relaxed);
    for (;;) {
      Slot& slot = slots[pos & mask];
      const std::size_t seq = slot.seq.load(std::memory_order_acquire);
      const auto diff = static_cast<std::ptrdiff_t>(seq - pos);
      if (diff == 0) {
        if (enqueue_pos.compare_exchange_weak(pos, pos + 1, std::memory_order_seq_cst,
                                              std::memory_order_relaxed))
          return &slot;
      } else if (diff < 0) {
        return nullptr;  // full: the writer has not freed this slot yet
      } else {
        pos = enqueue_pos.load(std::memory_order_relaxed);
      }
    }
  }

  template <typename Format>
  void enqueue(Format&& format) {
    if (in_forked_child()) {
      counters.dropped_in_forked_child.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    active_producers.fetch_add(1, std::memory_order_seq_cst);
    struct Leave {
      std::atomic<std::uint32_t>& n;
      ~Leave() { n.fetch_sub(1, std::memory_order_seq_cst); }
    } leave{active_producers};
    if (stopping.load(std::memory_order_seq_cst)) {
      counters.dropped_after_shutdown.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    std::size_t pos = 0;
    Slot* slot = try_claim(pos);
    if (slot == nullptr && !options.lossy)
      slot = wait_for_room(pos);
    if (slot == nullptr) {
      if (stopping.load(std::memory_order_relaxed))
        counters.dropped_after_shutdown.fetch_add(1, std::memory_order_relaxed);
      else
        counters.dropped_queue_full.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    slot->line.clear();
    try {
      if (!options.line_prefix.empty()) {
        slot->line += options.line_prefix;
        slot->line += ' ';
      }
      const std::size_t start = slot->line.size();
      format(slot->line);
      if (slot->line.size() == start)
        slot->line.clear();  // nothing formatted: counted as a failed line, as before
    } catch (...) {
      slot->line.clear();  // published empty: the writer counts it as a failed line
    }
    slot->seq.store(pos + 1, std::memory_order_release);
    // The writer naps between batches and looks again by itself: a line wakes it (a
    // syscall on the caller's thread) only from its long idle sleep, or when the queue is
    // half full.
    if (writer_idle.load(std::memory_order_seq_cst) ||
        pos - consumed.load(std::memory_order_relaxed) >= (mask + 1) / 2) {
      std::lock_guard<std::mutex> lock(mu);
      writer_cv.notify_one();
    }
  }

  // Blocking mode: waits until a slot frees up (or shutdown starts).
  Slot* wait_for_room(std::size_t& pos) {
    space_waiters.fetch_add(1, std::memory_order_seq_cst);
    Slot* slot = nullptr;
    while (slot == nullptr && !stopping.load(std::memory_order_relaxed)) {
      {
        std::unique_lock<std::mutex> lock(mu);
        writer_cv.notify_one();
        // Bounded wait: a missed notification costs a millisecond, never a hang.
        space_cv.wait_for(lock, std::chrono::milliseconds(1));
      }
      slot = try_claim(pos);
    }
    space_waiters.fetch_sub(1, std::memory_order_seq_cst);
    return slot;
  }

  // ---- writer side ----

  bool queue_has_claims() const noexcept {
    return enqueue_pos.load(std::memory_order_seq_cst) != dequeue_pos;
  }
  bool next_ready() const noexcept {
    return slots[dequeue_pos & mask].seq.load(std::memory_order_acquire) == dequeue_pos + 1;
  }

  // Opens (creating the directory if it went away) the file for `time`.
  core::Status open_file(SystemTime time) {
    const std::string name =
        rolling_file_name(options.prefix, options.suffix, options.rotation, time);
    const std::string full = (fs::path(options.directory) / name).string();
    std::error_code ec;
    fs::create_directories(options.directory, ec);
    const int new_fd = ::open(full.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (new_fd < 0) {
      return core::Status(core::StatusCode::kUnavailable,
                          "file layer: cannot open '" + full + "': " + core::errno_text(errno));
    }
    if (fd >= 0)
      ::close(fd);
    fd = new_fd;
    file_name = name;
    next_rotation = next_period_start(options.rotation, time);
    std::lock_guard<std::mutex> lock(path_mu);
    path = full;
    return {};
  }

  // Deletes the oldest files of this prefix/suffix/rotation beyond max_files.
  void apply_retention() {
    if (options.max_files == 0 || options.rotation == Rotation::kNever)
      return;
    const std::string head = options.prefix.empty() ? std::string() : options.prefix + '.';
    const std::string tail = options.suffix.empty() ? std::string() : '.' + options.suffix;
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(options.directory, ec), end; !ec && it != end;
         it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.size() <= head.size() + tail.size() || name.compare(0, head.size(), head) != 0 ||
          name.compare(name.size() - tail.size(), tail.size(), tail) != 0)
        continue;
      const std::string_view date =
          std::string_view(name).substr(head.size(), name.size() - head.size() - tail.size());
      if (is_date_part(options.rotation, date) && it->is_regular_file(ec))
        names.push_back(name);
    }
    if (names.size() <= options.max_files)
      return;
    // The date formats sort chronologically as text.
    std::sort(names.begin(), names.end());
    const std::size_t excess = names.size() - options.max_files;
    for (std::size_t i = 0; i < excess; ++i) {
      if (names[i] == file_name)
        continue;  // the clock went back: never delete the open file
      if (fs::remove(fs::path(options.directory) / names[i], ec))
        counters.files_removed.fetch_add(1, std::memory_order_relaxed);
    }
  }

  void rotate_if_due(SystemTime time) {
    if (fd >= 0 && unix_seconds(time) < next_rotation)
      return;
    const bool had_file = !file_name.empty();
    const std::string previous = file_name;
    if (core::Status s = open_file(time); !s.ok()) {
      counters.write_errors.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (had_file && file_name != previous)
      counters.rotations.fetch_add(1, std::memory_order_relaxed);
    apply_retention();
  }

  // Writes `batch` (holding `lines` lines) to the file.
  void write_batch(std::size_t lines) {
    if (lines == 0)
      return;
    if (fd < 0) {  // the open failed (and was counted as a write error)
      counters.dropped_write_failed.fetch_add(lines, std::memory_order_relaxed);
      return;
    }
    if (core::write_all(fd, batch) == 0) {
      counters.written.fetch_add(lines, std::memory_order_relaxed);
    } else {
      counters.write_errors.fetch_add(1, std::memory_order_relaxed);
      counters.dropped_write_failed.fetch_add(lines, std::memory_order_relaxed);
      // Reopen at the next batch (the file may have been removed or the disk replaced).
      ::close(fd);
      fd = -1;
    }
  }

  // Drains what is ready into batches and writes them. Returns whether anything was taken.
  bool drain() {
    if (!next_ready())
      return false;
    rotate_if_due(now());
    std::size_t lines = 0;
    batch.clear();
    while (!abandon.load(std::memory_order_relaxed) && next_ready()) {
      Slot& slot = slots[dequeue_pos & mask];
      if (slot.line.empty()) {
        counters.write_errors.fetch_add(1, std::memory_order_relaxed);
        counters.dropped_write_failed.fetch_add(1, std::memory_order_relaxed);
      } else {
        batch += slot.line;
        ++lines;
      }
      if (slot.line.capacity() > kMaxKeptLineCapacity)
        std::string().swap(slot.line);
      slot.seq.store(dequeue_pos + mask + 1, std::memory_order_release);
      ++dequeue_pos;
      if (batch.size() >= kMaxBatchBytes) {
        write_batch(lines);
        batch.clear();
        lines = 0;
        publish_progress();
      }
    }
    write_batch(lines);
    if (batch.capacity() > 2 * kMaxBatchBytes)
      std::string().swap(batch);
    publish_progress();
    return true;
  }

  void publish_progress() {
    consumed.store(dequeue_pos, std::memory_order_seq_cst);
    if (space_waiters.load(std::memory_order_seq_cst) != 0 ||
        flush_waiters.load(std::memory_order_seq_cst) != 0) {
      std::lock_guard<std::mutex> lock(mu);
      space_cv.notify_all();
      done_cv.notify_all();
    }
  }

  void run() {
    pthread_setname_np(pthread_self(), "edgetrace-file");
    int spins = 0;
    int naps = kNapsBeforeIdle;  // idle until the first line
    while (!abandon.load(std::memory_order_relaxed)) {
      if (drain()) {
        spins = 0;
        naps = 0;
        continue;
      }
      if (queue_has_claims()) {
        // A producer is between claiming a slot and publishing it: a short wait.
        if (++spins < 64)
          std::this_thread::yield();
        else
          std::this_thread::sleep_for(std::chrono::microseconds(50));
        continue;
      }
      spins = 0;
      if (stopping.load(std::memory_order_seq_cst) &&
          active_producers.load(std::memory_order_seq_cst) == 0 && !queue_has_claims())
        break;
      // Short naps while lines keep coming (producers do not wake a napping writer), then
      // the long idle sleep, from which the next line wakes it.
      const bool deep = naps >= kNapsBeforeIdle;
      std::unique_lock<std::mutex> lock(mu);
      if (deep)
        writer_idle.store(true, std::memory_order_seq_cst);
      if (!queue_has_claims() && !stopping.load(std::memory_order_seq_cst))
        writer_cv.wait_for(lock, deep ? kIdleWait : kNap);
      writer_idle.store(false, std::memory_order_seq_cst);
      if (!deep)
        ++naps;
    }
    // Abandoned (deadline passed) or stopped: whatever is still queued is lost, counted.
    const std::size_t left = enqueue_pos.load(std::memory_order_seq_cst) - dequeue_pos;
    counters.dropped_after_shutdown.fetch_add(left, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(mu);
    writer_done = true;
    done_cv.notify_all();
    space_cv.notify_all();
  }
};

core::Result<std::unique_ptr<FileLayer>> FileLayer::create(FileLayerOptions options) {
  const auto bad = [](std::string message) {
    return core::invalid_argument("file layer: " + std::move(message));
  };
  if (options.prefix.find('/') != std::string::npos)
    return bad("prefix '" + options.prefix + "' must not contain '/'");
  if (options.suffix.find('/') != std::string::npos)
    return bad("suffix '" + options.suffix + "' must not contain '/'");
  if (options.line_prefix.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
    return bad("line_prefix must not contain a line break");
  if (options.rotation == Rotation::kNever && options.prefix.empty() && options.suffix.empty())
    return bad("prefix and suffix are both empty, so the file would have no name");
  if (options.directory.empty())
    options.directory = ".";
  if (options.queue_capacity == 0 || options.queue_capacity > kMaxQueueCapacity) {
    return bad("queue_capacity " + std::to_string(options.queue_capacity) + " is outside 1.." +
               std::to_string(kMaxQueueCapacity));
  }
  if (!options.clock)
    options.clock = [] { return std::chrono::system_clock::now(); };
  install_fork_handler_once();

  std::error_code ec;
  // Resolved now, so a later chdir() of the program does not move the logs.
  if (fs::path absolute = fs::absolute(options.directory, ec); !ec)
    options.directory = absolute.lexically_normal().string();
  fs::create_directories(options.directory, ec);
  if (ec || !fs::is_directory(options.directory, ec)) {
    return core::Status(core::StatusCode::kFailedPrecondition,
                        "file layer: cannot create directory '" + options.directory + "': " +
                            (ec ? ec.message() : std::string("a file of that name is in the way")));
  }

  std::size_t capacity = 2;
  while (capacity < options.queue_capacity)
    capacity <<= 1;
  auto state = std::make_unique<State>(std::move(options), capacity);
  if (core::Status s = state->open_file(state->now()); !s.ok())
    return s;
  state->apply_retention();
  try {
    state->writer = std::thread([s = state.get()] { s->run(); });
  } catch (const std::system_error& e) {
    return core::Status(core::StatusCode::kResourceExhausted,
                        std::string("file layer: cannot start the writer thread: ") + e.what());
  }
  return std::unique_ptr<FileLayer>(new FileLayer(std::move(state)));
}

FileLayer::FileLayer(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}

FileLayer::~FileLayer() {
  if (state_->in_forked_child()) {
    // The writer thread is the parent's and the mutex may be held forever: touch nothing,
    // not even to destroy (an std::thread still joinable would terminate the process).
    (void)state_.release();  // NOLINT: deliberate leak in a forked child
    return;
  }
  (void)shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5));
}

const FileLayerCounters& FileLayer::counters() const noexcept {
  return state_->counters;
}

std::string FileLayer::current_path() const {
  std::lock_guard<std::mutex> lock(state_->path_mu);
  return state_->path;
}

void FileLayer::on_event(const Event& event) {
  state_->enqueue([&](std::string& out) { state_->formatter.format_event(event, out); });
}

void FileLayer::on_new_span(const SpanRecord& span) {
  if (state_->formatter.wants_new_span_lines())
    state_->enqueue([&](std::string& out) { state_->formatter.format_span_new(span, out); });
}

void FileLayer::on_close(const SpanRecord& span) {
  if (state_->formatter.wants_close_span_lines())
    state_->enqueue([&](std::string& out) { state_->formatter.format_span_close(span, out); });
}

bool FileLayer::wants_span_timings() const {
  return state_->formatter.wants_close_span_lines();
}

bool FileLayer::force_flush(Deadline deadline) {
  State& s = *state_;
  if (s.in_forked_child())
    return false;
  const std::size_t target = s.enqueue_pos.load(std::memory_order_seq_cst);
  const auto reached = [&] {
    return static_cast<std::ptrdiff_t>(s.consumed.load(std::memory_order_seq_cst) - target) >= 0;
  };
  if (reached())
    return true;
  s.flush_waiters.fetch_add(1, std::memory_order_seq_cst);
  std::unique_lock<std::mutex> lock(s.mu);
  s.writer_cv.notify_one();
  while (!reached() && !s.writer_done) {
    // Bounded waits: progress is re-checked even if a notification was missed.
    const auto step = std::min(deadline, std::chrono::steady_clock::now() + kIdleWait);
    if (s.done_cv.wait_until(lock, step) == std::cv_status::timeout &&
        std::chrono::steady_clock::now() >= deadline)
      break;
  }
  s.flush_waiters.fetch_sub(1, std::memory_order_seq_cst);
  return reached();
}

bool FileLayer::shutdown(Deadline deadline) {
  State& s = *state_;
  if (s.in_forked_child())
    return false;
  {
    std::unique_lock<std::mutex> lock(s.mu);
    if (s.shut_down)
      return s.shutdown_result;
    s.shut_down = true;
    s.stopping.store(true, std::memory_order_seq_cst);
    s.writer_cv.notify_one();
    s.space_cv.notify_all();
    if (!s.done_cv.wait_until(lock, deadline, [&] { return s.writer_done; })) {
      s.shutdown_result = false;
      s.abandon.store(true, std::memory_order_seq_cst);
      s.writer_cv.notify_one();
    }
  }
  // After the deadline this waits for at most the write(2) in progress.
  if (s.writer.joinable())
    s.writer.join();
  if (s.fd >= 0) {
    ::close(s.fd);
    s.fd = -1;
  }
  return s.shutdown_result;
}

}  // namespace edgetrace::sdk
