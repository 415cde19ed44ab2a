// Fuzzes the device library with arbitrary argument data and clocks, and its one text
// parser (W3C traceparent). Checks the limits the wire format promises: every frame is at
// most ETD_MAX_RECORD + 4 bytes, deframes with a valid CRC and sequence, and decodes to
// exactly the arguments given (strings cut to the cap and flagged, never overflowed). The
// stream is read back with the product decoder (edgetrace::decoder).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "edgetrace/decoder/edgetrace_decoder.hpp"
#include "edgetrace/device/edgetrace.h"

extern "C" const char __start_edgetrace_ids[];

namespace {

using edgetrace::decoder::CallSite;
using edgetrace::decoder::EdgetraceTable;
using edgetrace::decoder::Record;
using edgetrace::decoder::RecordKind;

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

// The table of sites 0..2: (str, bytes, u64), (cstr, i32, cstr), (8 x i64).
std::shared_ptr<const EdgetraceTable> make_table() {
  const std::uint8_t sigs[3][8] = {{ETD_ARG_STR, ETD_ARG_BYTES, ETD_ARG_U64 | 8 << 4},
                                   {ETD_ARG_CSTR, ETD_ARG_I32 | 4 << 4, ETD_ARG_CSTR},
                                   {0x83, 0x83, 0x83, 0x83, 0x83, 0x83, 0x83, 0x83}};
  const std::uint8_t nargs[3] = {3, 3, 8};
  const char* formats[3] = {"{} {} {}", "{} {} {}", "{} {} {} {} {} {} {} {}"};
  std::vector<CallSite> sites(3);
  for (std::size_t i = 0; i < 3; ++i) {
    sites[i].tag = static_cast<std::uint32_t>(ETD_TAG_FIRST_SITE + i);
    sites[i].arg_count = nargs[i];
    std::memcpy(sites[i].signature.data(), sigs[i], 8);
    sites[i].file = "fuzz.cpp";
    sites[i].text = formats[i];
  }
  auto table = EdgetraceTable::from_sites(std::move(sites), {});
  check(table.ok());
  return std::make_shared<const EdgetraceTable>(std::move(table).value());
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

  static const std::shared_ptr<const EdgetraceTable> table = make_table();
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

  edgetrace::decoder::DecoderOptions options;
  options.render = false;
  options.on_frame = [](std::span<const std::uint8_t> record, std::uint8_t) {
    check(record.size() <= ETD_MAX_RECORD);
  };
  edgetrace::decoder::StreamDecoder decoder(table, options);
  std::vector<Record> records;
  decoder.feed(capture.bytes, [&records](const Record& r) { records.push_back(r); });
  const auto& c = decoder.counters();
  check(c.frames == capture.frames && c.records == capture.frames && c.corrupt_frames == 0 &&
        c.lost_frames == 0 && c.malformed_records == 0 && c.unknown_callsites == 0 &&
        c.bytes_skipped == 0);
  // Handshakes come first and whenever one is due (clock jumps of 2^63 ticks included).
  std::size_t next = 0;
  for (const Record& r : records) {
    if (r.kind == RecordKind::kHandshake) {
      continue;
    }
    check(r.kind == RecordKind::kLog && next < expected.size());
    const auto& want_strings = expected[next++];
    // Strings arrive whole or as a flagged prefix of at most ETD_MAX_STRING bytes.
    std::size_t k = 0;
    for (const auto& arg : r.args) {
      if (arg.type != "str" && arg.type != "bytes") {
        continue;  // integers (a u64 above INT64_MAX is a decimal string)
      }
      std::string got;
      if (const auto* str = arg.value.get_if<std::string>()) {
        got = *str;
      } else if (const auto* bytes = arg.value.get_if<edgetrace::core::Bytes>()) {
        got.assign(bytes->begin(), bytes->end());
      } else {
        check(false);
      }
      check(k < want_strings.size());
      const std::string& want = want_strings[k++];
      check(got.size() <= ETD_MAX_STRING);
      check(arg.truncated ? want.compare(0, got.size(), got) == 0 && got.size() < want.size()
                          : got == want);
    }
    check(k == want_strings.size());
  }
  check(next == expected.size());
  return 0;
}
