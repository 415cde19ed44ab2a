// The device: encodes log, span and control records and hands them to the transport.
// Record layouts are specified in docs/wire-format.md.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "edgetrace/device/edgetrace.h"
#include "edgetrace/device/internal/encoding.hpp"

using edgetrace::device::internal::copy_bytes;
using edgetrace::device::internal::put_varint32;
using edgetrace::device::internal::put_varint64;
using edgetrace::device::internal::zigzag32;
using edgetrace::device::internal::zigzag64;

// Start of the call-site anchors. GNU ld defines it for the orphan section on hosted
// builds; the firmware linker-script fragment (edgetrace.ld) defines it as 0. Weak, so a
// program without call sites still links.
extern "C" const char __start_edgetrace_ids[] __attribute__((weak));

namespace {

et_device* g_active = nullptr;

// Header = tag (<= 5 bytes) + timestamp delta (<= 10 bytes) + span duration (<= 10).
constexpr size_t kMaxHeader = 25;
constexpr size_t kMaxScalar = 10;
constexpr uint8_t kMagic0 = 'E';
constexpr uint8_t kMagic1 = 'T';

static_assert(ETD_MAX_RECORD >= kMaxHeader - 10 + 1 + ETD_MAX_ARGS * kMaxScalar,
              "ETD_MAX_RECORD too small for eight 64-bit arguments");

uint32_t site_tag(const char* site) {
  return static_cast<uint32_t>(site - __start_edgetrace_ids) + ETD_TAG_FIRST_SITE;
}

__attribute__((always_inline)) inline uint32_t enter_critical(const et_device* dev) {
  return dev->cfg.critical_enter ? dev->cfg.critical_enter() : 0;
}

__attribute__((always_inline)) inline void exit_critical(const et_device* dev, uint32_t state) {
  if (dev->cfg.critical_exit) {
    dev->cfg.critical_exit(state);
  }
}

// Inside the critical section: the 32-bit source is widened here so that its wrap is
// seen in order.
__attribute__((always_inline)) inline uint64_t read_tick(et_device* dev) {
  if (dev->cfg.tick64) {
    return dev->cfg.tick64();
  }
  if (dev->cfg.tick32) {
    const uint32_t now = dev->cfg.tick32();
    if (now < dev->last_tick32) {
      dev->tick_high += uint64_t{1} << 32;
    }
    dev->last_tick32 = now;
    return dev->tick_high | now;
  }
  return 0;
}

// Copies n bytes, a word at a time (records are short; unaligned word access is fine on
// Cortex-M3 and the host).
__attribute__((always_inline)) inline void copy_record(uint8_t* dst, const uint8_t* src, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    __builtin_memcpy(dst + i, src + i, 4);
  }
  // The last 0-3 bytes: a halfword and a byte, no loop.
  if (n & 2u) {
    __builtin_memcpy(dst + i, src + i, 2);
    i += 2;
  }
  if (n & 1u) {
    dst[i] = src[i];
  }
}

// Inside the critical section: one record (head, then body) to the transport, or nothing.
__attribute__((always_inline)) inline bool put_record(et_device* dev, const uint8_t* head,
                                                      size_t head_len, const uint8_t* body,
                                                      size_t body_len) {
  const et_transport& t = dev->cfg.transport;
  uint8_t* dst = t.acquire(t.ctx, head_len + body_len);
  if (dst == nullptr) {
    return false;
  }
  copy_record(dst, head, head_len);
  copy_record(dst + head_len, body, body_len);
  t.release(t.ctx);
  ++dev->counters.records;
  return true;
}

bool put_handshake(et_device* dev, uint64_t now) {
  uint8_t rec[ETD_MAX_RECORD];
  uint8_t* p = rec;
  *p++ = ETD_TAG_HANDSHAKE;
  *p++ = kMagic0;
  *p++ = kMagic1;
  *p++ = ETD_WIRE_VERSION;
  p = put_varint64(p, now);
  p = put_varint32(p, dev->cfg.tick_hz);
  p = put_varint32(p, dev->cfg.boot_counter);
  p = put_varint32(p, dev->counters.dropped);
  *p++ = dev->cfg.device_id_len;
  copy_bytes(p, dev->cfg.device_id, dev->cfg.device_id_len);
  p += dev->cfg.device_id_len;
  *p++ = dev->build_id_len;
  copy_bytes(p, dev->build_id, dev->build_id_len);
  p += dev->build_id_len;
  if (!put_record(dev, rec, static_cast<size_t>(p - rec), nullptr, 0)) {
    return false;
  }
  dev->last_tick = now;
  // Compared with wrap-around arithmetic (see emit): "no period" is 2^63 - 1 ticks away.
  constexpr uint64_t kNever = (uint64_t{1} << 63) - 1;
  const uint64_t period = dev->cfg.handshake_period_ticks;
  dev->next_handshake = now + (period == 0 || period > kNever ? kNever : period);
  return true;
}

// The one path every record takes. Inside one critical section: read the clock, send a
// pending handshake and "frames dropped" record first, then this record, so records
// stay in time order and every drop is reported. The record is its header (tag, time
// delta, and for span exits the duration now - *span_start) followed by `body`. Returns
// the record's time.
__attribute__((always_inline)) inline uint64_t emit_inline(et_device* dev, uint32_t tag,
                                                           const uint8_t* body, size_t body_len,
                                                           const uint64_t* span_start) {
  const uint32_t state = enter_critical(dev);
  const uint64_t now = read_tick(dev);
  bool ok = true;
  if (static_cast<int64_t>(now - dev->next_handshake) >= 0) {  // due (wrap-safe)
    ok = put_handshake(dev, now);
  }
  if (ok && dev->dropped_pending != 0) {
    uint8_t rec[16];
    uint8_t* p = rec;
    *p++ = ETD_TAG_DROPPED;
    p = put_varint64(p, now - dev->last_tick);
    p = put_varint32(p, dev->dropped_pending);
    ok = put_record(dev, rec, static_cast<size_t>(p - rec), nullptr, 0);
    if (ok) {
      dev->dropped_pending = 0;
      dev->last_tick = now;
    }
  }
  if (ok) {
    const uint64_t dt = now - dev->last_tick;
    if (span_start == nullptr && tag < 0x80u && dt < 0x80u) {
      // The common case: one-byte tag and delta, written straight into the transport.
      const et_transport& t = dev->cfg.transport;
      uint8_t* dst = t.acquire(t.ctx, 2 + body_len);
      ok = dst != nullptr;
      if (ok) {
        dst[0] = static_cast<uint8_t>(tag);
        dst[1] = static_cast<uint8_t>(dt);
        copy_record(dst + 2, body, body_len);
        t.release(t.ctx);
        ++dev->counters.records;
      }
    } else {
      uint8_t head[kMaxHeader];
      uint8_t* p = put_varint32(head, tag);
      p = put_varint64(p, dt);
      if (span_start != nullptr) {
        p = put_varint64(p, now - *span_start);
      }
      ok = put_record(dev, head, static_cast<size_t>(p - head), body, body_len);
    }
    if (ok) {
      dev->last_tick = now;
    }
  }
  if (!ok) {
    ++dev->dropped_pending;
    ++dev->counters.dropped;
  }
  exit_critical(dev, state);
  return now;
}

// emit_inline, compiled once for the paths that are not the C++ log call.
__attribute__((noinline)) uint64_t emit(et_device* dev, uint32_t tag, const uint8_t* body,
                                        size_t body_len, const uint64_t* span_start) {
  return emit_inline(dev, tag, body, body_len, span_start);
}

size_t bounded_strlen(const char* s, size_t cap) {
  size_t n = 0;
  while (n < cap && s[n] != '\0') {
    ++n;
  }
  return n;
}

// Worst-case bytes of the arguments still to come after the current one.
size_t reserve_for(uint32_t rest) {
  size_t n = 0;
  for (; rest != 0; rest >>= 4) {
    n += kMaxScalar;
  }
  return n;
}

}  // namespace

extern "C" {

void et_device_select(et_device* dev) {
  g_active = dev;
}

et_device* et_device_active(void) {
  return g_active;
}

size_t et_build_id_from_note(const void* note, const uint8_t** id) {
  // Elf32_Nhdr / Elf64_Nhdr: namesz, descsz, type (4 bytes each), name padded to 4, desc.
  const auto* b = static_cast<const uint8_t*>(note);
  if (b == nullptr) {
    return 0;
  }
  uint32_t namesz;
  uint32_t descsz;
  uint32_t type;
  __builtin_memcpy(&namesz, b, 4);
  __builtin_memcpy(&descsz, b + 4, 4);
  __builtin_memcpy(&type, b + 8, 4);
  constexpr uint32_t kNtGnuBuildId = 3;
  if (type != kNtGnuBuildId || namesz != 4 || b[12] != 'G' || b[13] != 'N' || b[14] != 'U' ||
      b[15] != 0 || descsz == 0 || descsz > 64) {
    return 0;
  }
  *id = b + 16;
  return descsz;
}

int et_device_init(et_device* dev, const et_device_config* cfg) {
  if (dev == nullptr || cfg == nullptr || cfg->transport.acquire == nullptr ||
      cfg->transport.release == nullptr || (cfg->tick32 == nullptr && cfg->tick64 == nullptr) ||
      cfg->device_id_len > 16 || (cfg->device_id_len != 0 && cfg->device_id == nullptr) ||
      (cfg->critical_enter == nullptr) != (cfg->critical_exit == nullptr)) {
    return 0;
  }
  *dev = et_device{};
  dev->cfg = *cfg;
  dev->next_span_id = 1;
  const uint8_t* id = nullptr;
  size_t n = et_build_id_from_note(cfg->build_id_note, &id);
  if (n > sizeof dev->build_id) {
    n = sizeof dev->build_id;
  }
  if (n != 0) {
    copy_bytes(dev->build_id, id, n);
  }
  dev->build_id_len = static_cast<uint8_t>(n);
  g_active = dev;
  et_device_handshake(dev);
  return 1;
}

int et_device_handshake(et_device* dev) {
  const uint32_t state = enter_critical(dev);
  const uint64_t now = read_tick(dev);
  const bool ok = put_handshake(dev, now);
  if (!ok) {
    dev->next_handshake = now;  // due: retried before the next record
  }
  exit_critical(dev, state);
  return ok ? 1 : 0;
}

et_device_counters et_device_get_counters(const et_device* dev) {
  const uint32_t state = enter_critical(dev);
  const et_device_counters c = dev->counters;
  exit_critical(dev, state);
  return c;
}

void et_device_log(const char* site, uint32_t types, ...) {
  et_device* dev = g_active;
  if (dev == nullptr) {
    return;
  }
  // Largest log header: tag (5) + time delta (10).
  uint8_t body[ETD_MAX_RECORD - 15];
  uint8_t* p = body;
  uint8_t* const end = body + sizeof body;
  va_list ap;
  va_start(ap, types);
  for (; types != 0; types >>= 4) {
    switch (types & 0x0fu) {
      case ETD_ARG_I32:
        p = put_varint32(p, zigzag32(va_arg(ap, int)));
        break;
      case ETD_ARG_U32:
        p = put_varint32(p, va_arg(ap, unsigned));
        break;
      case ETD_ARG_I64:
        p = put_varint64(p, zigzag64(va_arg(ap, long long)));
        break;
      case ETD_ARG_U64:
        p = put_varint64(p, va_arg(ap, unsigned long long));
        break;
      case ETD_ARG_BOOL:
        *p++ = va_arg(ap, int) != 0 ? 1 : 0;
        break;
      case ETD_ARG_CHAR:
        *p++ = static_cast<uint8_t>(va_arg(ap, int));
        break;
      case ETD_ARG_F32: {
        const float f = static_cast<float>(va_arg(ap, double));
        copy_bytes(p, &f, 4);
        p += 4;
        break;
      }
      case ETD_ARG_F64: {
        const double d = va_arg(ap, double);
        copy_bytes(p, &d, 8);
        p += 8;
        break;
      }
      case ETD_ARG_CSTR:
      case ETD_ARG_STR:
      case ETD_ARG_BYTES: {
        const void* data;
        size_t size;
        const uint32_t cls = types & 0x0fu;
        if (cls == ETD_ARG_CSTR) {
          const char* s = va_arg(ap, const char*);
          data = s;
          size = s == nullptr ? 0 : bounded_strlen(s, ETD_MAX_STRING + 1);
        } else if (cls == ETD_ARG_STR) {
          const et_str s = va_arg(ap, et_str);
          data = s.data;
          size = s.data == nullptr ? 0 : s.size;
        } else {
          const et_bytes b = va_arg(ap, et_bytes);
          data = b.data;
          size = b.data == nullptr ? 0 : b.size;
        }
        // Room left after the length prefix (<= 2 bytes) and the worst case of the
        // arguments that follow.
        const size_t room = static_cast<size_t>(end - p) - 2 - reserve_for(types >> 4);
        size_t cap = ETD_MAX_STRING < room ? ETD_MAX_STRING : room;
        const bool truncated = size > cap;
        if (truncated) {
          size = cap;
          ++dev->counters.truncated_args;
        }
        p = put_varint32(p, static_cast<uint32_t>(size << 1 | (truncated ? 1u : 0u)));
        copy_bytes(p, data, size);
        p += size;
        break;
      }
      default:  // not produced by the macros; stop rather than misread the va_list
        types = 0;
        break;
    }
    if (types == 0) {
      break;
    }
  }
  va_end(ap);
  emit(dev, site_tag(site), body, static_cast<size_t>(p - body), nullptr);
}

void et_device_emit_log(const char* site, const uint8_t* body, size_t len, uint32_t truncated) {
  et_device* dev = g_active;
  if (dev == nullptr) {
    return;
  }
  if (truncated != 0) {
    dev->counters.truncated_args += truncated;
  }
  emit_inline(dev, site_tag(site), body, len, nullptr);
}

void et_span_begin(et_span* span, const char* site, const et_remote_parent* remote) {
  et_device* dev = g_active;
  span->site = site;
  span->flags = 0;
  span->parent = 0;
  span->prev = nullptr;
  span->start = 0;
  if (dev == nullptr) {
    span->id = 0;
    span->root = 0;
    return;
  }
  const uint32_t state = enter_critical(dev);
  uint32_t id = dev->next_span_id++;
  if (id == 0) {
    id = dev->next_span_id++;
  }
  exit_critical(dev, state);
  span->id = id;
  span->root = id;
  span->prev = dev->current_span;
  const et_span* parent = dev->current_span;
  if (dev->cfg.in_interrupt != nullptr && dev->cfg.in_interrupt() != 0) {
    parent = nullptr;
    span->flags |= ETD_SPAN_FLAG_IN_INTERRUPT;
  }
  if (remote != nullptr) {
    span->remote = *remote;
    span->flags |= ETD_SPAN_FLAG_REMOTE_TRACE | ETD_SPAN_FLAG_REMOTE_PARENT;
    if (remote->sampled) {
      span->flags |= ETD_SPAN_FLAG_SAMPLED;
    }
  } else if (parent != nullptr) {
    span->parent = parent->id;
    span->root = parent->root;
    if (parent->flags & ETD_SPAN_FLAG_REMOTE_TRACE) {
      span->remote = parent->remote;
      span->flags |= static_cast<uint8_t>(ETD_SPAN_FLAG_REMOTE_TRACE |
                                          (parent->flags & ETD_SPAN_FLAG_SAMPLED));
    }
  }
  dev->current_span = span;
  uint8_t body[10];
  uint8_t* p = put_varint32(body, span->id);
  p = put_varint32(p, span->parent);
  span->start = emit(dev, site_tag(site), body, static_cast<size_t>(p - body), nullptr);
}

void et_span_end(et_span* span) {
  et_device* dev = g_active;
  if (dev == nullptr || span->id == 0) {
    return;
  }
  dev->current_span = span->prev;
  uint8_t body[ETD_MAX_RECORD - kMaxHeader];
  uint8_t* p = put_varint32(body, site_tag(span->site));
  p = put_varint32(p, span->id);
  p = put_varint32(p, span->parent);
  p = put_varint32(p, span->root);
  *p++ = span->flags;
  if (span->flags & ETD_SPAN_FLAG_REMOTE_TRACE) {
    copy_bytes(p, span->remote.trace_id, 16);
    p += 16;
  }
  if (span->flags & ETD_SPAN_FLAG_REMOTE_PARENT) {
    copy_bytes(p, span->remote.span_id, 8);
    p += 8;
  }
  emit(dev, ETD_TAG_SPAN_EXIT, body, static_cast<size_t>(p - body), &span->start);
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

static bool parse_hex(const char* s, uint8_t* out, size_t bytes) {
  uint8_t any = 0;
  for (size_t i = 0; i < bytes; ++i) {
    const int hi = hex_value(s[2 * i]);
    const int lo = hex_value(s[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return false;
    }
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
    any |= out[i];
  }
  return any != 0;  // all-zero ids are invalid in W3C trace context
}

int et_remote_parent_parse(et_remote_parent* out, const char* tp, size_t len) {
  // version "00" only: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55 characters.
  if (out == nullptr || tp == nullptr || len != 55 || tp[0] != '0' || tp[1] != '0' ||
      tp[2] != '-' || tp[35] != '-' || tp[52] != '-') {
    return 0;
  }
  et_remote_parent r;
  uint8_t flags = 0;
  if (!parse_hex(tp + 3, r.trace_id, 16) || !parse_hex(tp + 36, r.span_id, 8)) {
    return 0;
  }
  const int hi = hex_value(tp[53]);
  const int lo = hex_value(tp[54]);
  if (hi < 0 || lo < 0) {
    return 0;
  }
  flags = static_cast<uint8_t>(hi << 4 | lo);
  r.sampled = flags & 1u;
  *out = r;
  return 1;
}

}  // extern "C"
