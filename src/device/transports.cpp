// The provided transports: ring buffer (drained by the application), blocking byte
// writer (UART) and user callback. See edgetrace.h for their contracts.
#include <stddef.h>
#include <stdint.h>

#include "edgetrace/device/edgetrace.h"

namespace {

// ---- ring ----------------------------------------------------------------------------
// Layout: records back to back, each [len (1 byte)][len bytes], wrapping at capacity.
// head/tail/reserve are free-running; index & (capacity - 1) is the position.

int ring_acquire(void* ctx, size_t len) {
  auto* r = static_cast<et_ring*>(ctx);
  // The device never asks for 0 or more than ET_MAX_RECORD bytes.
  const uint32_t free_bytes = r->capacity - (r->head - r->tail);
  if (len + 1 > free_bytes) {
    ++r->overflows;
    return 0;
  }
  r->reserve = r->head;
  r->mem[r->reserve++ & (r->capacity - 1)] = static_cast<uint8_t>(len);
  return 1;
}

void ring_write(void* ctx, const uint8_t* data, size_t len) {
  auto* r = static_cast<et_ring*>(ctx);
  // At most two contiguous pieces: up to the end of the memory, then from its start.
  const uint32_t pos = r->reserve & (r->capacity - 1);
  const size_t first = len < r->capacity - pos ? len : r->capacity - pos;
  uint8_t* dst = r->mem + pos;
  size_t i = 0;
  for (; i + 4 <= first; i += 4) {  // word copies (unaligned access is fine on Cortex-M3)
    __builtin_memcpy(dst + i, data + i, 4);
  }
  for (; i < first; ++i) {
    dst[i] = data[i];
  }
  for (size_t j = first; j < len; ++j) {
    r->mem[j - first] = data[j];
  }
  r->reserve += static_cast<uint32_t>(len);
}

void ring_release(void* ctx) {
  auto* r = static_cast<et_ring*>(ctx);
  r->head = r->reserve;
}

// ---- buffered framers (UART, callback) -------------------------------------------------

int buffer_acquire(uint8_t* /*record*/, size_t* len, size_t want) {
  if (want == 0 || want > ET_MAX_RECORD) {
    return 0;
  }
  *len = 0;
  return 1;
}

void buffer_write(uint8_t* record, size_t* len, const uint8_t* data, size_t n) {
  for (size_t i = 0; i < n && *len < ET_MAX_RECORD; ++i) {
    record[(*len)++] = data[i];
  }
}

int uart_acquire(void* ctx, size_t len) {
  auto* u = static_cast<et_uart*>(ctx);
  return buffer_acquire(u->record, &u->len, len);
}

void uart_write(void* ctx, const uint8_t* data, size_t len) {
  auto* u = static_cast<et_uart*>(ctx);
  buffer_write(u->record, &u->len, data, len);
}

void uart_release(void* ctx) {
  auto* u = static_cast<et_uart*>(ctx);
  uint8_t frame[ET_MAX_RECORD + 4];
  const size_t n = et_frame_record(u->record, u->len, &u->seq, frame);
  u->put(u->ctx, frame, n);
}

int callback_acquire(void* ctx, size_t len) {
  auto* c = static_cast<et_callback*>(ctx);
  return buffer_acquire(c->record, &c->len, len);
}

void callback_write(void* ctx, const uint8_t* data, size_t len) {
  auto* c = static_cast<et_callback*>(ctx);
  buffer_write(c->record, &c->len, data, len);
}

void callback_release(void* ctx) {
  auto* c = static_cast<et_callback*>(ctx);
  uint8_t frame[ET_MAX_RECORD + 4];
  const size_t n = et_frame_record(c->record, c->len, &c->seq, frame);
  if (c->send(c->ctx, frame, n) == 0) {
    ++c->rejected;
  }
}

}  // namespace

extern "C" {

int et_ring_init(et_ring* ring, uint8_t* mem, size_t capacity) {
  if (ring == nullptr || mem == nullptr || capacity < 128) {
    return 0;
  }
  uint32_t cap = 128;
  while (cap * 2 <= capacity && cap < (1u << 30)) {
    cap *= 2;
  }
  *ring = et_ring{};
  ring->mem = mem;
  ring->capacity = cap;
  return 1;
}

void et_ring_set_critical(et_ring* ring, et_critical_enter_fn enter, et_critical_exit_fn exit) {
  ring->critical_enter = enter;
  ring->critical_exit = exit;
}

et_transport et_ring_transport(et_ring* ring) {
  return et_transport{ring_acquire, ring_write, ring_release, ring};
}

uint32_t et_ring_used(const et_ring* ring) {
  return ring->head - ring->tail;
}

size_t et_ring_drain(et_ring* ring, uint8_t* out, size_t cap) {
  size_t used = 0;
  uint8_t record[ET_MAX_RECORD];
  for (;;) {
    const uint32_t state = ring->critical_enter ? ring->critical_enter() : 0;
    const uint32_t mask = ring->capacity - 1;
    size_t len = 0;
    const bool have = ring->tail != ring->head;
    if (have) {
      len = ring->mem[ring->tail & mask];
      if (used + len + 4 <= cap) {
        for (size_t i = 0; i < len; ++i) {
          record[i] = ring->mem[(ring->tail + 1 + i) & mask];
        }
        ring->tail += static_cast<uint32_t>(len + 1);
      } else {
        len = 0;
      }
    }
    if (ring->critical_exit) {
      ring->critical_exit(state);
    }
    if (len == 0) {
      return used;
    }
    used += et_frame_record(record, len, &ring->seq, out + used);
  }
}

void et_uart_init(et_uart* uart, void (*put)(void* ctx, const uint8_t* data, size_t len),
                  void* ctx) {
  *uart = et_uart{};
  uart->put = put;
  uart->ctx = ctx;
}

et_transport et_uart_transport(et_uart* uart) {
  return et_transport{uart_acquire, uart_write, uart_release, uart};
}

void et_callback_init(et_callback* cb, int (*send)(void* ctx, const uint8_t* frame, size_t len),
                      void* ctx) {
  *cb = et_callback{};
  cb->send = send;
  cb->ctx = ctx;
}

et_transport et_callback_transport(et_callback* cb) {
  return et_transport{callback_acquire, callback_write, callback_release, cb};
}

}  // extern "C"
