// internal::SpanChunk: the layout of one row of `span_chunks`, the spans of one trace that
// arrived under one resource in one write, stored together so that a write costs one row
// and two index entries per (trace, resource) instead of a row and three index entries per
// span.
//
//   internal::SpanChunkWriter chunk;
//   chunk.add(span_id, start_ns, duration_ns, scope_id, name, [&](std::string& out) {
//     span.AppendToString(&out);  // the OTLP protobuf encoding, appended
//   });
//   bind_blob(..., chunk.entries()); bind_blob(..., chunk.bodies());
//
//   internal::SpanChunkReader read(entries_blob, bodies_blob);
//   internal::SpanEntry e;
//   while (read.next(e)) use(e.name, e.start_ns, read.body(e));
//   if (!read.ok()) ... corrupt row ...
//
// Two blobs, so a search reads the small one only:
// - `entries`: per span, little-endian: span id (8 bytes), start (u64 ns), duration (u64 ns),
//   scope id (i64), body length (u32), name length (u32), the name's bytes.
// - `bodies`: the spans' OTLP `Span` encodings, concatenated in the same order.
//
// Private to the trace store. Not thread-safe (a writer or reader per thread). The writer
// reuses its buffers (no allocation once they have grown); the reader allocates nothing and
// borrows both blobs, which must outlive it. The reader checks every length against the
// blobs: a damaged row ends the iteration with ok() false, it never reads out of bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace edgetrace::daemon::store::internal {

inline constexpr std::size_t kSpanIdSize = 8;
inline constexpr std::size_t kSpanEntryFixedSize = kSpanIdSize + 8 + 8 + 8 + 4 + 4;

struct SpanEntry {
  std::string_view span_id;  // 8 bytes
  std::uint64_t start_ns = 0;
  std::uint64_t duration_ns = 0;
  std::int64_t scope_id = 0;
  std::string_view name;
  std::size_t body_offset = 0;  // into the bodies blob
  std::size_t body_size = 0;
};

class SpanChunkWriter {
 public:
  void clear() {
    entries_.clear();
    bodies_.clear();
    count_ = 0;
  }
  // `append_body(std::string&)` appends the span's encoding to the string it is given.
  template <typename AppendBody>
  void add(std::string_view span_id, std::uint64_t start_ns, std::uint64_t duration_ns,
           std::int64_t scope_id, std::string_view name, AppendBody&& append_body) {
    const std::size_t body_at = bodies_.size();
    append_body(bodies_);
    const auto body_size = static_cast<std::uint32_t>(bodies_.size() - body_at);
    const std::size_t at = entries_.size();
    entries_.resize(at + kSpanEntryFixedSize + name.size());
    char* p = entries_.data() + at;
    std::memcpy(p, span_id.data(), kSpanIdSize);
    p += kSpanIdSize;
    p = put(p, start_ns);
    p = put(p, duration_ns);
    p = put(p, static_cast<std::uint64_t>(scope_id));
    p = put(p, body_size);
    p = put(p, static_cast<std::uint32_t>(name.size()));
    if (!name.empty())
      std::memcpy(p, name.data(), name.size());
    ++count_;
  }
  std::string_view entries() const { return entries_; }
  std::string_view bodies() const { return bodies_; }
  std::size_t size() const { return count_; }

 private:
  template <typename T>
  static char* put(char* p, T value) {
    for (std::size_t i = 0; i < sizeof(T); ++i)
      p[i] = static_cast<char>((value >> (8 * i)) & 0xff);
    return p + sizeof(T);
  }

  std::string entries_;
  std::string bodies_;
  std::size_t count_ = 0;
};

class SpanChunkReader {
 public:
  // `bodies` may be left empty when only the entries are read (then body() is not called).
  explicit SpanChunkReader(std::string_view entries, std::string_view bodies = {})
      : entries_(entries), bodies_(bodies) {}

  // The next span's entry; false at the end or on a damaged row (then ok() is false).
  bool next(SpanEntry& e) {
    if (at_ == entries_.size())
      return false;
    if (entries_.size() - at_ < kSpanEntryFixedSize)
      return fail();
    const char* p = entries_.data() + at_;
    e.span_id = std::string_view(p, kSpanIdSize);
    p += kSpanIdSize;
    e.start_ns = get<std::uint64_t>(p);
    e.duration_ns = get<std::uint64_t>(p + 8);
    e.scope_id = static_cast<std::int64_t>(get<std::uint64_t>(p + 16));
    e.body_size = get<std::uint32_t>(p + 24);
    const std::size_t name_size = get<std::uint32_t>(p + 28);
    at_ += kSpanEntryFixedSize;
    if (entries_.size() - at_ < name_size)
      return fail();
    e.name = entries_.substr(at_, name_size);
    at_ += name_size;
    e.body_offset = body_at_;
    body_at_ += e.body_size;
    return true;
  }
  // The span's encoding. A body past the end of the bodies blob (or bodies not given)
  // makes ok() false.
  std::string_view body(const SpanEntry& e) {
    if (e.body_offset > bodies_.size() || bodies_.size() - e.body_offset < e.body_size) {
      ok_ = false;
      return {};
    }
    return bodies_.substr(e.body_offset, e.body_size);
  }
  bool ok() const { return ok_; }

 private:
  bool fail() {
    ok_ = false;
    at_ = entries_.size();
    return false;
  }
  template <typename T>
  static T get(const char* p) {
    T value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
      value |= static_cast<T>(static_cast<unsigned char>(p[i])) << (8 * i);
    return value;
  }

  std::string_view entries_;
  std::string_view bodies_;
  std::size_t at_ = 0;
  std::size_t body_at_ = 0;
  bool ok_ = true;
};

}  // namespace edgetrace::daemon::store::internal
