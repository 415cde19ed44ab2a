// SymbolStore: the local-directory backend and the LRU cache of parsed tables.
#include "edgetrace/decoder/symbol_store.hpp"

#include "edgetrace/core/ids.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <sstream>
#include <system_error>

#include "edgetrace/core/posix.hpp"

namespace edgetrace::decoder {
namespace {

using core::Result;
using core::Status;
using core::StatusCode;

namespace fs = std::filesystem;

constexpr std::string_view kMetaMagic = "edgetrace-symbols 1";
// Temporary files older than this are left over from a crashed writer; open() removes them.
constexpr auto kStaleTempAge = std::chrono::hours(1);

Status io_error(std::string_view what, const fs::path& path, int err) {
  return Status(StatusCode::kInternal,
                std::string(what) + " " + path.string() + ": " + core::errno_text(err));
}

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Status write_all(int fd, std::span<const std::uint8_t> bytes, const fs::path& path) {
  const int err = core::write_all(fd, bytes);
  return err == 0 ? Status() : io_error("cannot write", path, err);
}

void fsync_directory(const fs::path& dir) {
  // Makes a link/rename durable. Best effort: some file systems refuse fsync on folders.
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0)
    ::fsync(fd.get());
}

// A unique temporary name in `dir`: unique per process (pid) and per call (counter).
fs::path temp_path(const fs::path& dir, const std::string& id, std::string_view suffix) {
  static std::atomic<std::uint64_t> counter{0};
  return dir / (".tmp." + id + "." + std::to_string(::getpid()) + "." +
                std::to_string(counter.fetch_add(1)) + std::string(suffix));
}

// Writes `bytes` to a new temporary file in `dir`, fsync'ed and closed.
Result<fs::path> write_temp(const fs::path& dir, const std::string& id, std::string_view suffix,
                            std::span<const std::uint8_t> bytes) {
  const fs::path tmp = temp_path(dir, id, suffix);
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0)
    return io_error("cannot create", tmp, errno);
  Status st = write_all(fd.get(), bytes, tmp);
  if (st.ok() && ::fsync(fd.get()) != 0)
    st = io_error("cannot fsync", tmp, errno);
  if (::close(fd.release()) != 0 && st.ok())
    st = io_error("cannot close", tmp, errno);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return tmp;
}

bool is_hex_digit(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Lowercases a build-id into `out` (64 chars); false when it is not 2..64 hex digits, even.
bool normalize_into(std::string_view hex, char* out) noexcept {
  if (hex.size() < 2 || hex.size() > 64 || hex.size() % 2 != 0)
    return false;
  for (std::size_t i = 0; i < hex.size(); ++i) {
    const char c = hex[i];
    if (!is_hex_digit(c))
      return false;
    out[i] = (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return true;
}

Status bad_build_id(std::string_view hex) {
  // The id may come from a URL: print only whether it is hex, never more than 80 bytes of it.
  std::string shown(hex.substr(0, 80));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
      c = '?';
  }
  return core::invalid_argument("build-id '" + shown + "' is not 2 to 64 hex digits (whole bytes)");
}

std::string format_meta(const SymbolInfo& info) {
  std::string out(kMetaMagic);
  out += "\nbuild_id " + info.build_id;
  out += "\nsize " + std::to_string(info.size);
  out += "\nuploaded " + std::to_string(info.uploaded_unix_seconds);
  out += "\nkind " + std::string(to_string(info.kind));
  out += "\ncall_sites " + std::to_string(info.call_sites);
  if (!info.name.empty())
    out += "\nname " + info.name;  // optional: files written before it have none
  out += "\n";
  return out;
}

bool parse_meta(const std::string& text, SymbolInfo* info) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != kMetaMagic)
    return false;
  int fields = 0;
  while (std::getline(in, line)) {
    const auto space = line.find(' ');
    if (space == std::string::npos)
      return false;
    const std::string key = line.substr(0, space);
    const std::string value = line.substr(space + 1);
    try {
      if (key == "build_id") {
        info->build_id = value;
      } else if (key == "size") {
        info->size = std::stoull(value);
      } else if (key == "uploaded") {
        info->uploaded_unix_seconds = std::stoll(value);
      } else if (key == "kind") {
        if (value == "edgetrace")
          info->kind = SymbolKind::kEdgetrace;
        else if (value == "defmt")
          info->kind = SymbolKind::kDefmt;
        else if (value == "edgetrace+defmt")
          info->kind = SymbolKind::kBoth;
        else
          return false;
      } else if (key == "name") {
        info->name = sanitize_elf_name(value);
        continue;  // optional, not one of the five required fields
      } else if (key == "call_sites") {
        info->call_sites = static_cast<std::size_t>(std::stoull(value));
      } else {
        continue;  // a later version's field
      }
    } catch (const std::exception&) {
      return false;
    }
    ++fields;
  }
  return fields == 5;
}

Result<std::string> read_small_file(const fs::path& path) {
  auto bytes = read_elf_file(path, 64 * 1024);
  if (!bytes)
    return bytes.status();
  return std::string(bytes->begin(), bytes->end());
}

std::int64_t now_unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Equal contents of a stored file and `bytes`, read in chunks (no second full copy).
Result<bool> same_bytes(const fs::path& path, std::span<const std::uint8_t> bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0)
    return io_error("cannot open", path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return io_error("cannot stat", path, errno);
  if (static_cast<std::uint64_t>(st.st_size) != bytes.size())
    return false;
  std::vector<std::uint8_t> chunk(std::min<std::size_t>(bytes.size(), 1 << 20) + 1);
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    const ssize_t n = ::read(fd.get(), chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return io_error("cannot read", path, errno);
    }
    if (n == 0)
      return false;
    const auto got = static_cast<std::size_t>(n);
    if (offset + got > bytes.size() || std::memcmp(chunk.data(), bytes.data() + offset, got) != 0)
      return false;
    offset += got;
  }
  return true;
}

}  // namespace

std::string_view to_string(SymbolKind kind) noexcept {
  switch (kind) {
    case SymbolKind::kEdgetrace:
      return "edgetrace";
    case SymbolKind::kDefmt:
      return "defmt";
    case SymbolKind::kBoth:
      return "edgetrace+defmt";
  }
  return "unknown";
}

std::string build_id_hex(std::span<const std::uint8_t> bytes) {
  return core::to_hex(bytes);
}

Result<std::string> normalize_build_id(std::string_view hex) {
  char buf[64];
  if (!normalize_into(hex, buf))
    return bad_build_id(hex);
  return std::string(buf, hex.size());
}

Result<std::vector<std::uint8_t>> read_elf_file(const fs::path& path, std::size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT)
      return core::not_found("no such file: " + path.string());
    return io_error("cannot open", path, err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return io_error("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode))
    return core::invalid_argument(path.string() + " is not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    return Status(StatusCode::kResourceExhausted,
                  path.string() + " is " + std::to_string(st.st_size) +
                      " bytes, over the limit of " + std::to_string(max_bytes) + " bytes");
  }
  std::vector<std::uint8_t> out(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return io_error("cannot read", path, errno);
    }
    if (n == 0)
      break;  // shrank while reading: keep what is there
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  return out;
}

// ---------------------------------------------------------------------------------------

SymbolStore::SymbolStore(SymbolStoreOptions options) : options_(std::move(options)) {}
SymbolStore::~SymbolStore() = default;

Result<std::unique_ptr<SymbolStore>> SymbolStore::open(SymbolStoreOptions options) {
  if (options.directory.empty())
    return core::invalid_argument("symbol store: no directory given");
  std::error_code ec;
  fs::create_directories(options.directory, ec);
  if (ec || !fs::is_directory(options.directory, ec)) {
    return Status(StatusCode::kFailedPrecondition,
                  "symbol store: cannot use " + options.directory.string() + " as a directory" +
                      (ec ? ": " + ec.message() : std::string()));
  }
  // Remove temporary files a crashed writer left (never a file still being written: those
  // are younger than kStaleTempAge).
  const auto now = fs::file_time_type::clock::now();
  for (const auto& sub : fs::directory_iterator(options.directory, ec)) {
    if (!sub.is_directory(ec))
      continue;
    for (const auto& f : fs::directory_iterator(sub.path(), ec)) {
      const std::string name = f.path().filename().string();
      if (name.rfind(".tmp.", 0) == 0 && now - f.last_write_time(ec) > kStaleTempAge)
        fs::remove(f.path(), ec);
    }
  }
  return std::unique_ptr<SymbolStore>(new SymbolStore(std::move(options)));
}

fs::path SymbolStore::elf_path(const std::string& id) const {
  return options_.directory / id.substr(0, 2) / (id + ".elf");
}

fs::path SymbolStore::meta_path(const std::string& id) const {
  return options_.directory / id.substr(0, 2) / (id + ".meta");
}

Status SymbolStore::write_meta(const SymbolInfo& info) const {
  const std::string text = format_meta(info);
  const fs::path dir = options_.directory / info.build_id.substr(0, 2);
  auto tmp = write_temp(dir, info.build_id, ".meta",
                        {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  if (!tmp)
    return tmp.status();
  // Every writer of one build-id writes the same facts (the upload time aside), so the last
  // rename winning is harmless.
  if (::rename(tmp->c_str(), meta_path(info.build_id).c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp->c_str());
    return io_error("cannot rename into", meta_path(info.build_id), err);
  }
  fsync_directory(dir);
  return Status();
}

Result<PutResult> SymbolStore::put_file(const fs::path& path) {
  auto bytes = read_elf_file(path, options_.max_elf_bytes);
  if (!bytes) {
    if (bytes.status().code() == StatusCode::kResourceExhausted)
      invalid_.fetch_add(1, std::memory_order_relaxed);
    return bytes.status();
  }
  auto r = put(*bytes, path.filename().string());
  if (!r)
    return r.status().with_context(path.string());
  return r;
}

std::string sanitize_elf_name(std::string_view name) {
  const std::size_t slash = name.find_last_of('/');
  if (slash != std::string_view::npos)
    name = name.substr(slash + 1);
  if (name.size() > 128)
    name = name.substr(0, 128);
  std::string out(name);
  for (char& c : out)
    if (c <= ' ' || c > '~')
      c = '_';
  return out;
}

Result<PutResult> SymbolStore::put(std::span<const std::uint8_t> elf, std::string_view name) {
  auto checked = check_elf(elf, options_.max_elf_bytes);
  if (!checked) {
    invalid_.fetch_add(1, std::memory_order_relaxed);
    return checked.status();
  }
  const SymbolEntry& entry = *checked->entry;
  const std::string& id = entry.build_id;

  PutResult result;
  result.info.build_id = id;
  result.info.size = elf.size();
  result.info.uploaded_unix_seconds = now_unix_seconds();
  result.info.kind = entry.kind;
  result.info.call_sites = entry.call_sites;
  result.info.name = sanitize_elf_name(name);

  const fs::path dir = options_.directory / id.substr(0, 2);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return Status(StatusCode::kInternal,
                  "symbol store: cannot create " + dir.string() + ": " + ec.message());
  }
  const fs::path final_path = elf_path(id);

  auto existing = [&]() -> Result<PutResult> {
    auto same = same_bytes(final_path, elf);
    if (!same)
      return same.status();
    if (!*same) {
      conflicts_.fetch_add(1, std::memory_order_relaxed);
      return Status(StatusCode::kAlreadyExists,
                    "build-id " + id +
                        " conflict: a different ELF is already stored under this build-id "
                        "(two builds with the same build-id; delete the stored one first if "
                        "it is wrong)");
    }
    already_present_.fetch_add(1, std::memory_order_relaxed);
    auto info = read_info(id);
    if (info && fs::exists(meta_path(id), ec)) {
      const std::string given = result.info.name;
      result.info = *info;
      if (result.info.name.empty() && !given.empty()) {
        // Stored without a name before: keep the one given now.
        result.info.name = given;
        Status st = write_meta(result.info);
        if (!st.ok())
          return st;
      }
    } else {
      // The first writer stopped between the ELF and its metadata: complete it.
      Status st = write_meta(result.info);
      if (!st.ok())
        return st;
    }
    result.already_present = true;
    return result;
  };

  if (fs::exists(final_path, ec))
    return existing();

  auto tmp = write_temp(dir, id, ".elf", elf);
  if (!tmp)
    return tmp.status();
  // link(2) publishes the complete file under its final name, or fails if the name exists:
  // unlike rename it never replaces what another writer published first.
  const int rc = ::link(tmp->c_str(), final_path.c_str());
  const int err = errno;
  ::unlink(tmp->c_str());
  if (rc != 0) {
    if (err == EEXIST)
      return existing();
    return io_error("cannot link into", final_path, err);
  }
  fsync_directory(dir);
  Status st = write_meta(result.info);
  if (!st.ok())
    return st;
  puts_.fetch_add(1, std::memory_order_relaxed);
  return result;
}

Result<SymbolInfo> SymbolStore::read_info(const std::string& id) const {
  std::error_code ec;
  const fs::path elf = elf_path(id);
  if (!fs::exists(elf, ec))
    return core::not_found("build-id " + id + " is not in the symbol store");
  auto text = read_small_file(meta_path(id));
  SymbolInfo info;
  if (text && parse_meta(*text, &info) && info.build_id == id)
    return info;
  // Missing or unreadable metadata (a writer stopped between the two files): derive it.
  auto bytes = read_elf_file(elf, options_.max_elf_bytes);
  if (!bytes)
    return bytes.status();
  auto checked = check_elf(*bytes, options_.max_elf_bytes);
  if (!checked) {
    return Status(StatusCode::kDataLoss, "stored ELF " + elf.string() +
                                             " no longer parses: " + checked.status().message());
  }
  info.build_id = id;
  info.size = bytes->size();
  info.kind = checked->entry->kind;
  info.call_sites = checked->entry->call_sites;
  struct stat st {};
  info.uploaded_unix_seconds = ::stat(elf.c_str(), &st) == 0 ? st.st_mtim.tv_sec : 0;
  return info;
}

Result<std::vector<std::uint8_t>> SymbolStore::read_elf(std::string_view build_id_hex) const {
  auto id = normalize_build_id(build_id_hex);
  if (!id)
    return id.status();
  auto bytes = read_elf_file(elf_path(*id), options_.max_elf_bytes);
  if (!bytes && bytes.status().code() == StatusCode::kNotFound)
    return core::not_found("build-id " + *id + " is not in the symbol store");
  return bytes;
}

Result<SymbolInfo> SymbolStore::show(std::string_view build_id_hex) const {
  auto id = normalize_build_id(build_id_hex);
  if (!id)
    return id.status();
  return read_info(*id);
}

Result<std::vector<SymbolInfo>> SymbolStore::list() const {
  std::vector<SymbolInfo> out;
  std::error_code ec;
  fs::directory_iterator top(options_.directory, ec);
  if (ec) {
    return Status(StatusCode::kInternal,
                  "symbol store: cannot list " + options_.directory.string() + ": " + ec.message());
  }
  for (const auto& sub : top) {
    const std::string prefix = sub.path().filename().string();
    if (prefix.size() != 2 || !sub.is_directory(ec))
      continue;
    for (const auto& f : fs::directory_iterator(sub.path(), ec)) {
      const fs::path& p = f.path();
      if (p.extension() != ".elf")
        continue;
      const std::string stem = p.stem().string();
      char buf[64];
      if (!normalize_into(stem, buf) || std::string_view(buf, stem.size()) != stem ||
          stem.compare(0, 2, prefix) != 0)
        continue;  // temporary files and anything else that is not ours
      auto info = read_info(stem);
      if (info)
        out.push_back(std::move(*info));
      else if (info.status().code() != StatusCode::kNotFound)  // removed meanwhile: skip
        return info.status();
    }
  }
  std::sort(out.begin(), out.end(),
            [](const SymbolInfo& a, const SymbolInfo& b) { return a.build_id < b.build_id; });
  return out;
}

core::Status SymbolStore::remove(std::string_view build_id_hex) {
  auto id = normalize_build_id(build_id_hex);
  if (!id)
    return id.status();
  if (::unlink(elf_path(*id).c_str()) != 0) {
    const int err = errno;
    cache_erase(*id);
    if (err == ENOENT)
      return core::not_found("build-id " + *id + " is not in the symbol store");
    return io_error("cannot delete", elf_path(*id), err);
  }
  // After the unlink, so that a concurrent miss cannot load the file again behind us.
  cache_erase(*id);
  ::unlink(meta_path(*id).c_str());
  fsync_directory(options_.directory / id->substr(0, 2));
  removes_.fetch_add(1, std::memory_order_relaxed);
  return Status();
}

Result<std::shared_ptr<const SymbolEntry>> SymbolStore::get(
    std::span<const std::uint8_t> build_id) {
  if (build_id.empty() || build_id.size() > 32)
    return core::invalid_argument("build-id of " + std::to_string(build_id.size()) +
                                  " bytes (expected 1 to 32)");
  char buf[64];
  static constexpr char kDigits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < build_id.size(); ++i) {
    buf[2 * i] = kDigits[build_id[i] >> 4];
    buf[2 * i + 1] = kDigits[build_id[i] & 0xf];
  }
  return get(std::string_view(buf, build_id.size() * 2));
}

Result<std::shared_ptr<const SymbolEntry>> SymbolStore::get(std::string_view build_id_hex) {
  char buf[64];
  if (!normalize_into(build_id_hex, buf))
    return bad_build_id(build_id_hex);
  const std::string_view key(buf, build_id_hex.size());
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(key);
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      hits_.fetch_add(1, std::memory_order_relaxed);
      return it->second->entry;
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  const std::string id(key);
  auto bytes = read_elf_file(elf_path(id), options_.max_elf_bytes);
  if (!bytes) {
    if (bytes.status().code() == StatusCode::kNotFound)
      return core::not_found("build-id " + id + " is not in the symbol store");
    return bytes.status();
  }
  auto checked = check_elf(*bytes, options_.max_elf_bytes);
  if (!checked) {
    return Status(StatusCode::kDataLoss, "stored ELF for build-id " + id +
                                             " no longer parses: " + checked.status().message());
  }
  if (checked->entry->build_id != id) {
    return Status(StatusCode::kDataLoss, "stored ELF " + elf_path(id).string() + " has build-id " +
                                             checked->entry->build_id);
  }
  cache_insert(checked->entry);
  return std::move(checked->entry);
}

void SymbolStore::cache_insert(const std::shared_ptr<const SymbolEntry>& entry) {
  if (entry->memory_bytes > options_.cache_budget_bytes)
    return;  // would evict everything and still not fit
  std::lock_guard<std::mutex> lock(mu_);
  if (index_.find(entry->build_id) != index_.end())
    return;  // another thread loaded it meanwhile
  lru_.push_front(CacheNode{entry->build_id, entry});
  index_.emplace(entry->build_id, lru_.begin());
  cache_bytes_ += entry->memory_bytes;
  while (cache_bytes_ > options_.cache_budget_bytes && !lru_.empty()) {
    CacheNode& last = lru_.back();
    cache_bytes_ -= last.entry->memory_bytes;
    index_.erase(last.id);
    lru_.pop_back();
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
}

void SymbolStore::cache_erase(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(id);
  if (it == index_.end())
    return;
  cache_bytes_ -= it->second->entry->memory_bytes;
  lru_.erase(it->second);
  index_.erase(it);
}

SymbolStoreCounters SymbolStore::counters() const {
  SymbolStoreCounters c;
  c.cache_hits = hits_.load(std::memory_order_relaxed);
  c.cache_misses = misses_.load(std::memory_order_relaxed);
  c.cache_evictions = evictions_.load(std::memory_order_relaxed);
  c.puts = puts_.load(std::memory_order_relaxed);
  c.already_present = already_present_.load(std::memory_order_relaxed);
  c.conflicts = conflicts_.load(std::memory_order_relaxed);
  c.invalid = invalid_.load(std::memory_order_relaxed);
  c.removes = removes_.load(std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  c.cache_bytes = cache_bytes_;
  c.cache_entries = index_.size();
  return c;
}

}  // namespace edgetrace::decoder
