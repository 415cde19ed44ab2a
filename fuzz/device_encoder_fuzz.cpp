// Fuzzes the device library with arbitrary argument data and clocks, and its one text
// parser (W3C traceparent). Checks the limits the wire format promises: every frame is at
// most ETD_MAX_RECORD + 4 bytes, deframes with a valid CRC and sequence, and decodes to
// exactly the arguments given (strings cut to the cap and flagged, never overflowed).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "edgetrace/device/edgetrace.h"
#include "testing/stream_decoder.hpp"

extern "C" const char __start_edgetrace_ids[];

namespace {

using edgetrace::device::testing::Deframer;
using edgetrace::device::testing::RecordDecoder;
using edgetrace::device::testing::SiteTable;

void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

// A call site of this target, so that edgetrace_ids exists; records below use the
// anchors at offsets 0..2 of that section and a matching table built here.
const char kSiteAnchor __attribute__((section("edgetrace_ids"), used)) = 0;

struct Capture {
  std::vector<std::uint8_t> bytes;
  std::size_t frames = 0;
  static int send(void* ctx, const std::uint8_t* frame, std::size_t len) {
    auto* self = static_cast<Capture*>(ctx);
    check(len >= 5 && len <= ETD_MAX_RECORD + 4 && frame[len - 1] == 0);
    self->bytes.insert(self->bytes.end(), frame, frame + len);
    ++self->frames;
    return 1;
  }
};

std::uint64_t g_ticks;
std::uint64_t tick() {
  return g_ticks;
}

// Table records for sites 0..2: (str, bytes, u64), (cstr, i32, cstr), (8 x i64).
SiteTable make_table() {
  const std::uint8_t sigs[3][8] = {{ETD_ARG_STR, ETD_ARG_BYTES, ETD_ARG_U64 | 8 << 4},
                                   {ETD_ARG_CSTR, ETD_ARG_I32 | 4 << 4, ETD_ARG_CSTR},
                                   {0x83, 0x83, 0x83, 0x83, 0x83, 0x83, 0x83, 0x83}};
  const std::uint8_t nargs[3] = {3, 3, 8};
  static std::vector<std::uint8_t> meta;
  meta.clear();
  for (int i = 0; i < 3; ++i) {
    et_site_header h{};
    h.magic = ETD_SITE_MAGIC;
    h.id = __start_edgetrace_ids + i;
    h.kind = ETD_KIND_LOG;
    h.nargs = nargs[i];
    std::memcpy(h.sig, sigs[i], 8);
    const char text[] = "fuzz.cpp\0f";
    h.size = static_cast<std::uint16_t>((sizeof h + sizeof text + 3) & ~std::size_t{3});
    std::vector<std::uint8_t> rec(h.size, 0);
    std::memcpy(rec.data(), &h, sizeof h);
    std::memcpy(rec.data() + sizeof h, text, sizeof text);
    meta.insert(meta.end(), rec.begin(), rec.end());
  }
  return SiteTable::from_memory(meta.data(), meta.data() + meta.size(),
                                reinterpret_cast<std::uintptr_t>(__start_edgetrace_ids),
                                sizeof(void*));
}

struct Input {
  const std::uint8_t* p;
  const std::uint8_t* end;
  std::uint8_t byte() { return p < end ? *p++ : 0; }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
      v = v << 8 | byte();
    }
    return v;
  }
  std::string bytes(std::size_t n) {
    n = std::min<std::size_t>(n, static_cast<std::size_t>(end - p));
    std::string s(reinterpret_cast<const char*>(p), n);
    p += n;
    return s;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  et_remote_parent remote;
  if (et_remote_parent_parse(&remote, reinterpret_cast<const char*>(data), size) != 0) {
    check(size == 55);
  }

  static const SiteTable table = make_table();
  Capture capture;
  et_callback cb;
  et_callback_init(&cb, &Capture::send, &capture);
  et_device_config cfg = ETD_DEVICE_CONFIG_INIT;
  cfg.transport = et_callback_transport(&cb);
  cfg.tick64 = tick;
  cfg.tick_hz = 1;
  et_device dev;
  Input in{data, data + size};
  g_ticks = in.u64();
  check(et_device_init(&dev, &cfg) == 1);

  std::vector<std::vector<std::string>> expected;  // string arguments per record
  while (in.p < in.end && expected.size() < 16) {
    g_ticks += in.u64() >> (in.byte() & 63);
    const std::uint8_t shape = in.byte() % 3;
    if (shape == 0) {
      const std::string s = in.bytes(in.byte());
      const std::string b = in.bytes(in.byte());
      et_device_log(__start_edgetrace_ids + 0, ETD_ARG_STR | ETD_ARG_BYTES << 4 | ETD_ARG_U64 << 8,
                    et_make_str(s.data(), s.size()), et_make_bytes(b.data(), b.size()),
                    static_cast<unsigned long long>(in.u64()));
      expected.push_back({s, b});
    } else if (shape == 1) {
      std::string a = in.bytes(in.byte());
      std::string c = in.bytes(in.byte());
      a = a.substr(0, a.find('\0'));  // C strings end at the first NUL
      c = c.substr(0, c.find('\0'));
      et_device_log(__start_edgetrace_ids + 1, ETD_ARG_CSTR | ETD_ARG_I32 << 4 | ETD_ARG_CSTR << 8,
                    a.c_str(), static_cast<int>(in.u64()), c.c_str());
      expected.push_back({a, c});
    } else {
      long long v[8];
      for (auto& x : v) {
        x = static_cast<long long>(in.u64());
      }
      et_device_log(__start_edgetrace_ids + 2, 0x33333333u, v[0], v[1], v[2], v[3], v[4], v[5],
                    v[6], v[7]);
      expected.push_back({});
    }
  }
  et_device_select(nullptr);

  Deframer deframer;
  RecordDecoder decoder(&table);
  const auto frames = deframer.feed(capture.bytes);
  check(frames.size() == capture.frames && deframer.corrupt_frames() == 0 &&
        deframer.lost_frames() == 0);
  // Handshakes come first and whenever one is due (clock jumps of 2^63 ticks included).
  std::size_t next = 0;
  for (const auto& frame : frames) {
    check(frame.record.size() <= ETD_MAX_RECORD);
    std::string error;
    const auto e = decoder.decode(frame.record, &error);
    check(e.has_value());
    if (e->kind == edgetrace::device::testing::Event::Kind::kHandshake) {
      continue;
    }
    check(next < expected.size());
    const auto& want_strings = expected[next++];
    // Strings arrive whole or as a flagged prefix of at most ETD_MAX_STRING bytes.
    std::size_t k = 0;
    for (const auto& arg : e->args) {
      const std::uint8_t cls = arg.sig & 0x0f;
      if (cls != ETD_ARG_STR && cls != ETD_ARG_BYTES && cls != ETD_ARG_CSTR) {
        continue;
      }
      const std::string& want = want_strings[k++];
      check(arg.bytes.size() <= ETD_MAX_STRING);
      check(arg.truncated ? want.compare(0, arg.bytes.size(), arg.bytes) == 0 &&
                                arg.bytes.size() < want.size()
                          : arg.bytes == want);
    }
  }
  check(next == expected.size());
  return 0;
}
