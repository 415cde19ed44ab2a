// The trace store's span chunk rows (apps/edgetraced/store/span_chunk.hpp), as read back
// from a damaged or foreign file. The input's first byte splits the rest into the entries
// blob and the bodies blob. Checks: the reader never reads outside the blobs (ASan), every
// name and body it yields lies inside them, and the entries it reads, written again with
// SpanChunkWriter, read back the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "store/span_chunk.hpp"

namespace store = edgetrace::daemon::store::internal;

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t split = static_cast<std::size_t>(data[0]) * in.size() / 255;
  const std::string_view entries = in.substr(0, split);
  const std::string_view bodies = in.substr(split);

  store::SpanChunkReader read(entries, bodies);
  store::SpanChunkWriter again;
  store::SpanEntry e;
  while (read.next(e)) {
    if (e.span_id.size() != store::kSpanIdSize || !inside(e.span_id, entries) ||
        !inside(e.name, entries))
      std::abort();
    const std::string_view body = read.body(e);
    if (!read.ok())
      break;
    if (!inside(body, bodies) || body.size() != e.body_size)
      std::abort();
    again.add(e.span_id, e.start_ns, e.duration_ns, e.scope_id, e.name,
              [&](std::string& out) { out.append(body); });
  }
  if (!read.ok())
    return 0;

  store::SpanChunkReader round(again.entries(), again.bodies());
  store::SpanChunkReader first(entries, bodies);
  store::SpanEntry a;
  store::SpanEntry b;
  std::size_t count = 0;
  while (round.next(a)) {
    if (!first.next(b) || a.span_id != b.span_id || a.start_ns != b.start_ns ||
        a.duration_ns != b.duration_ns || a.scope_id != b.scope_id || a.name != b.name ||
        round.body(a) != first.body(b))
      std::abort();
    ++count;
  }
  if (!round.ok() || count != again.size())
    std::abort();
  return 0;
}
