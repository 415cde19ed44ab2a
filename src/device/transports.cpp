// The provided transports: ring buffer (drained by the application), blocking byte
// writer (UART) and user callback. See edgetrace.h for their contracts.
#include <stddef.h>
#include <stdint.h>

#include "edgetrace/device/edgetrace.h"

namespace {

// ---- ring ----------------------------------------------------------------------------
// Layout: records back to back, each [len (1 byte)][len bytes]. A record never wraps:
// when it does not fit before the end of the memory, a 0 length byte marks the rest of
// the memory as skipped and the record starts at offset 0. head/tail/reserve are
// free-running; index & (capacity - 1) is the position.

uint8_t* ring_acquire(void* ctx, size_t len) {
  auto* r = static_cast<et_ring*>(ctx);
  const uint32_t need = static_cast<uint32_t>(len) + 1;  // len <= ETD_MAX_RECORD (device)
  uint8_t* const mem = r->mem;  // loaded once: the byte stores below may alias *r
  uint32_t head = r->head;
  const uint32_t free_bytes = r->capacity - (head - r->tail);
  uint32_t pos = head & (r->capacity - 1);
  const uint32_t to_end = r->capacity - pos;
  if (need > to_end) {
    if (need + to_end > free_bytes) {
      ++r->overflows;
      return nullptr;
    }
    mem[pos] = 0;  // skip to the start
    head += to_end;
    pos = 0;
  } else if (need > free_bytes) {
    ++r->overflows;
    return nullptr;
  }
  mem[pos] = static_cast<uint8_t>(len);
  r->reserve = head + need;
  return mem + pos + 1;
}

void ring_release(void* ctx) {
  auto* r = static_cast<et_ring*>(ctx);
  r->head = r->reserve;
}

// ---- buffered framers (UART, callback) -------------------------------------------------

uint8_t* buffer_acquire(uint8_t* record, size_t* len, size_t want) {
  if (want == 0 || want > ETD_MAX_RECORD) {
    return nullptr;
  }
  *len = want;
  return record;
}

uint8_t* uart_acquire(void* ctx, size_t len) {
  auto* u = static_cast<et_uart*>(ctx);
  return buffer_acquire(u->record, &u->len, len);
}

void uart_release(void* ctx) {
  auto* u = static_cast<et_uart*>(ctx);
  uint8_t frame[ETD_MAX_RECORD + 4];
  const size_t n = et_frame_record(u->record, u->len, &u->seq, frame);
  u->put(u->ctx, frame, n);
}

uint8_t* callback_acquire(void* ctx, size_t len) {
  auto* c = static_cast<et_callback*>(ctx);
  return buffer_acquire(c->record, &c->len, len);
}

void callback_release(void* ctx) {
  auto* c = static_cast<et_callback*>(ctx);
  uint8_t frame[ETD_MAX_RECORD + 4];
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
  return et_transport{ring_acquire, ring_release, ring};
}

uint32_t et_ring_used(const et_ring* ring) {
  return ring->head - ring->tail;
}

size_t et_ring_drain(et_ring* ring, uint8_t* out, size_t cap) {
  size_t used = 0;
  uint8_t record[ETD_MAX_RECORD];
  for (;;) {
    const uint32_t state = ring->critical_enter ? ring->critical_enter() : 0;
    const uint32_t mask = ring->capacity - 1;
    size_t len = 0;
    const bool have = ring->tail != ring->head;
    if (have && ring->mem[ring->tail & mask] == 0) {  // skipped end of the memory
      ring->tail += ring->capacity - (ring->tail & mask);
    }
    if (ring->tail != ring->head) {
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
  return et_transport{uart_acquire, uart_release, uart};
}

void et_callback_init(et_callback* cb, int (*send)(void* ctx, const uint8_t* frame, size_t len),
                      void* ctx) {
  *cb = et_callback{};
  cb->send = send;
  cb->ctx = ctx;
}

et_transport et_callback_transport(et_callback* cb) {
  return et_transport{callback_acquire, callback_release, cb};
}

}  // extern "C"
