/* edgetrace device library: tokenized logs and spans for microcontrollers (C11 and C++17).
 *
 * A call site costs a few instructions and no flash for its text: its level, format
 * string, file, line and argument types go into the non-allocated ELF section
 * `edgetrace_meta`, which is shipped only in the ELF. On the wire a log is its call-site
 * id, a timestamp delta and the arguments (docs/wire-format.md).
 *
 *   #include "edgetrace/device/edgetrace.h"
 *
 *   static et_ring ring;  static uint8_t ring_mem[1024];
 *   et_ring_init(&ring, ring_mem, sizeof ring_mem);
 *   et_device_config cfg = ETD_DEVICE_CONFIG_INIT;
 *   cfg.transport = et_ring_transport(&ring);
 *   cfg.tick32 = read_systick;  cfg.tick_hz = 1000;
 *   et_device_init(&device, &cfg);
 *   ETD_INFO("temp={} hum={}", 21, 40);         // C: _Generic picks the argument types
 *   n = et_ring_drain(&ring, out, sizeof out);    // framed bytes for the UART / socket
 *
 * From C++ include "edgetrace/device/device.hpp" instead: the same macros, with the
 * placeholder count checked at compile time, and a scope guard for spans.
 *
 * Names: every macro starts with ETD_, every function and type with et_. The C++ SDK's
 * macros are ET_*, so a host program may include this library and the SDK together.
 *
 * Freestanding: no heap, no exceptions, no host headers; the only state is the
 * et_device you pass in and the transports' buffers. Thread-safety: every function that
 * may run in an interrupt takes the critical section given in et_device_config, so
 * logging from interrupts is safe once those hooks are set. Nothing here blocks except
 * the UART transport's user-supplied put function.
 */
#ifndef EDGETRACE_DEVICE_EDGETRACE_H_
#define EDGETRACE_DEVICE_EDGETRACE_H_

#include <stddef.h>
#include <stdint.h>

#include "edgetrace/device/config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- wire constants (docs/wire-format.md) ------------------------------------------- */

#define ETD_WIRE_VERSION 1
#define ETD_TAG_HANDSHAKE 0
#define ETD_TAG_SPAN_EXIT 1
#define ETD_TAG_DROPPED 2
#define ETD_TAG_FIRST_SITE 8 /* call site i (0-based) is tag i + 8 */

/* Argument wire classes: how an argument is encoded. */
#define ETD_ARG_END 0
#define ETD_ARG_I32 1    /* zigzag varint */
#define ETD_ARG_U32 2    /* varint */
#define ETD_ARG_I64 3    /* zigzag varint */
#define ETD_ARG_U64 4    /* varint */
#define ETD_ARG_BOOL 5   /* 1 byte, 0 or 1 */
#define ETD_ARG_CHAR 6   /* 1 byte */
#define ETD_ARG_F32 7    /* 4 bytes IEEE-754 little-endian */
#define ETD_ARG_F64 8    /* 8 bytes IEEE-754 little-endian */
#define ETD_ARG_CSTR 9   /* varint (len << 1 | truncated), bytes */
#define ETD_ARG_STR 10   /* same as CSTR */
#define ETD_ARG_BYTES 11 /* same as CSTR */

#define ETD_KIND_LOG 1
#define ETD_KIND_SPAN 2

/* Span exit flags. */
#define ETD_SPAN_FLAG_REMOTE_TRACE 0x01  /* 16-byte trace id follows */
#define ETD_SPAN_FLAG_REMOTE_PARENT 0x02 /* 8-byte parent span id follows */
#define ETD_SPAN_FLAG_IN_INTERRUPT 0x04
#define ETD_SPAN_FLAG_SAMPLED 0x08 /* W3C sampled flag of the remote parent */

/* ---- call-site table ------------------------------------------------------------------ */

/* Header of one record of the `edgetrace_meta` section; the text "file\0format" (or
 * "file\0span name") follows directly. `id` points at the call site's one-byte anchor in
 * the `edgetrace_ids` section: its offset in that section is the call-site index. */
#define ETD_SITE_MAGIC 0x31535445u /* "ETS1" */
typedef struct et_site_header {
  uint32_t magic; /* ETD_SITE_MAGIC */
  uint32_t line;
  const void* id;
  uint16_t size; /* of the whole record, header and text */
  uint8_t kind;  /* ETD_KIND_LOG or ETD_KIND_SPAN */
  uint8_t level;
  uint8_t nargs;
  uint8_t sig[ETD_MAX_ARGS]; /* per argument: wire class | byte width << 4 */
  uint8_t reserved[3];
} et_site_header;

#define ETD_SECTION_IDS __attribute__((section("edgetrace_ids"), used))
#define ETD_SECTION_META __attribute__((section("edgetrace_meta"), used))

/* ---- arguments that are not scalars -------------------------------------------------- */

/* A string of known length (not NUL-terminated). Borrowed for the duration of the call. */
typedef struct et_str {
  const char* data;
  size_t size;
} et_str;

/* A byte buffer, shown as hex by the decoder. Borrowed for the duration of the call. */
typedef struct et_bytes {
  const void* data;
  size_t size;
} et_bytes;

static inline et_str et_make_str(const char* data, size_t size) {
  et_str s;
  s.data = data;
  s.size = size;
  return s;
}
static inline et_bytes et_make_bytes(const void* data, size_t size) {
  et_bytes b;
  b.data = data;
  b.size = size;
  return b;
}

/* ---- transports ---------------------------------------------------------------------- */

/* Where records go, in three steps: acquire(len) reserves len contiguous bytes for one
 * record and returns where they are (NULL: no room now, the record is dropped and
 * counted); the device writes (copies) the record there; release() finishes it (the
 * transport queues it, or frames and sends it). acquire and release run inside the
 * device's critical section, so they must not block when the device logs from
 * interrupts. */
typedef struct et_transport {
  uint8_t* (*acquire)(void* ctx, size_t len);
  void (*release)(void* ctx);
  void* ctx;
} et_transport;

/* Critical-section hooks: enter returns the state that exit restores (for example
 * PRIMASK on Cortex-M). Both NULL: no protection (single context, or host tests). */
typedef uint32_t (*et_critical_enter_fn)(void);
typedef void (*et_critical_exit_fn)(uint32_t state);

/* Frames records: COBS/R-encoded record + CRC-16 + 7-bit sequence + 0x00 delimiter.
 * Returns the frame length (at most len + 4), or 0 if len is 0 or > ETD_MAX_RECORD.
 * `out` needs ETD_MAX_RECORD + 4 bytes. `*seq` is advanced. */
size_t et_frame_record(const uint8_t* record, size_t len, uint8_t* seq, uint8_t* out);
/* CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), continuing from `crc`. */
uint16_t et_crc16(uint16_t crc, const uint8_t* data, size_t len);

/* Ring buffer transport: records are stored unframed and framed when drained, so a log
 * call only copies. A record never wraps: when it does not fit before the end of the
 * memory, the rest of the memory is skipped (a 0 length byte) and it goes at the start. When full,
 * records are dropped and counted; when room returns the device first writes a "frames dropped: N"
 * record. Holds no pointers to the caller's stack. */
typedef struct et_ring {
  uint8_t* mem;
  uint32_t capacity; /* power of two */
  uint32_t head;     /* free-running write index */
  uint32_t tail;     /* free-running read index */
  uint32_t reserve;  /* end of the record being written (acquire .. release) */
  uint32_t overflows;
  uint8_t seq;
  et_critical_enter_fn critical_enter;
  et_critical_exit_fn critical_exit;
} et_ring;

/* capacity is rounded down to a power of two (at least 128). Returns 0 if too small. */
int et_ring_init(et_ring* ring, uint8_t* mem, size_t capacity);
/* Same hooks as the device's: drain runs in thread context while interrupts log. */
void et_ring_set_critical(et_ring* ring, et_critical_enter_fn enter, et_critical_exit_fn exit);
et_transport et_ring_transport(et_ring* ring);
/* Moves whole frames into out (up to cap bytes); returns bytes written. Call from one
 * context only. Stack use: 2 * ETD_MAX_RECORD. */
size_t et_ring_drain(et_ring* ring, uint8_t* out, size_t cap);
/* Records waiting in the ring, in bytes (including their 1-byte length). */
uint32_t et_ring_used(const et_ring* ring);

/* Blocking byte-writer transport (UART): each record is framed and written with put()
 * before release returns. Blocks as long as put blocks: do not log from interrupts
 * through it unless put only fills a hardware FIFO that cannot stall. */
typedef struct et_uart {
  void (*put)(void* ctx, const uint8_t* data, size_t len);
  void* ctx;
  uint8_t record[ETD_MAX_RECORD];
  size_t len;
  uint8_t seq;
} et_uart;
void et_uart_init(et_uart* uart, void (*put)(void* ctx, const uint8_t* data, size_t len),
                  void* ctx);
et_transport et_uart_transport(et_uart* uart);

/* Callback transport (MQTT, TCP stacks): each finished frame is handed to send(), whose
 * `frame` is valid only during the call. send returns nonzero if it took the frame;
 * zero counts as a drop. */
typedef struct et_callback {
  int (*send)(void* ctx, const uint8_t* frame, size_t len);
  void* ctx;
  uint8_t record[ETD_MAX_RECORD];
  size_t len;
  uint8_t seq;
  uint32_t rejected;
} et_callback;
void et_callback_init(et_callback* cb, int (*send)(void* ctx, const uint8_t* frame, size_t len),
                      void* ctx);
et_transport et_callback_transport(et_callback* cb);

/* ---- the device ---------------------------------------------------------------------- */

typedef struct et_device_config {
  et_transport transport;
  /* Tick source: exactly one of these. A 32-bit source is extended to 64 bits; it must
   * be read (by any log) at least once per wrap. */
  uint32_t (*tick32)(void);
  uint64_t (*tick64)(void);
  uint32_t tick_hz;
  et_critical_enter_fn critical_enter;
  et_critical_exit_fn critical_exit;
  /* Optional: nonzero when running in an interrupt handler. Spans started there become
   * roots flagged ETD_SPAN_FLAG_IN_INTERRUPT instead of children of the interrupted span. */
  int (*in_interrupt)(void);
  /* The firmware's GNU build-id note (the start of the linked .note.gnu.build-id
   * section), or NULL. Read at init. */
  const void* build_id_note;
  const uint8_t* device_id; /* borrowed for the device's lifetime; up to 16 bytes */
  uint8_t device_id_len;
  uint32_t boot_counter;
  /* Resend the handshake when this many ticks passed since the last one; 0: never
   * (only at init and et_device_handshake). */
  uint64_t handshake_period_ticks;
} et_device_config;

#define ETD_DEVICE_CONFIG_INIT \
  { {0, 0, 0}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

typedef struct et_span et_span;

/* Counters: everything the device dropped or cut, since init. */
typedef struct et_device_counters {
  uint32_t records;        /* records handed to the transport */
  uint32_t dropped;        /* records the transport had no room for */
  uint32_t truncated_args; /* string/byte arguments cut to fit */
} et_device_counters;

/* All state of one device stream (152 bytes on Cortex-M3). */
typedef struct et_device {
  et_device_config cfg;
  uint64_t last_tick;      /* time of the last record the transport took */
  uint64_t next_handshake; /* time the next handshake is due (compared wrap-around) */
  uint64_t tick_high;      /* upper bits of a 32-bit tick source */
  uint32_t last_tick32;
  uint32_t next_span_id;
  uint32_t dropped_pending; /* drops not yet reported by a "frames dropped" record */
  et_device_counters counters;
  et_span* current_span;
  uint8_t build_id_len;
  uint8_t build_id[32];
} et_device;

/* Initializes the device, makes it the active one (the target of the log macros) and
 * emits the handshake. Returns 0 on bad configuration. */
int et_device_init(et_device* dev, const et_device_config* cfg);
/* Makes dev the target of the log and span macros (device simulators run several). */
void et_device_select(et_device* dev);
et_device* et_device_active(void);
/* Emits the handshake now (call on reconnect). Returns nonzero if the transport took it. */
int et_device_handshake(et_device* dev);
et_device_counters et_device_get_counters(const et_device* dev);
/* Parses a GNU build-id note; returns the id length (0 if not a build-id note). */
size_t et_build_id_from_note(const void* note, const uint8_t** id);

/* The log call behind the C macros: `site` is the anchor, `types` holds one ETD_ARG_*
 * class per argument, 4 bits each, first argument in the low bits. Arguments are passed
 * with the default promotions (float as double, small integers as int). */
void et_device_log(const char* site, uint32_t types, ...);

/* The log call behind the C++ macros, which encode the arguments themselves: `body`
 * holds `len` encoded argument bytes (at most ETD_MAX_RECORD - 15); `truncated` string
 * arguments were cut. */
void et_device_emit_log(const char* site, const uint8_t* body, size_t len, uint32_t truncated);

/* ---- spans ---------------------------------------------------------------------------- */

/* W3C trace context of a remote parent (received in a command, for example). */
typedef struct et_remote_parent {
  uint8_t trace_id[16];
  uint8_t span_id[8];
  uint8_t sampled;
} et_remote_parent;

/* A span in progress. Lives on the stack of the code it measures; spans of one execution
 * context end in reverse order of their start (the C++ guard guarantees it). */
struct et_span {
  et_span* prev; /* the active span before this one, restored at end */
  const char* site;
  uint64_t start;
  uint32_t id;     /* 0 if no device was active */
  uint32_t parent; /* local id of the parent span, 0 for none */
  uint32_t root;   /* local id of the root span of this trace */
  uint8_t flags;
  et_remote_parent remote;
};

/* Starts a span: emits its enter record and makes it the parent of spans started until it
 * ends. remote may be NULL; if given, the span's parent is that remote span. */
void et_span_begin(et_span* span, const char* site, const et_remote_parent* remote);
/* Ends the span: emits its exit record (site, id, parent, root, duration, remote trace). */
void et_span_end(et_span* span);
/* Parses a W3C traceparent header value ("00-<32 hex>-<16 hex>-<2 hex>"). Returns 0 if
 * malformed. */
int et_remote_parent_parse(et_remote_parent* out, const char* traceparent, size_t len);

/* ---- macro machinery shared by C and C++ ----------------------------------------------- */

#define ETD_CAT_(a, b) a##b
#define ETD_CAT(a, b) ETD_CAT_(a, b)
#define ETD_STRINGIFY_(x) #x
#define ETD_STRINGIFY(x) ETD_STRINGIFY_(x)
/* Number of arguments including the format string: 1..9. */
#define ETD_NARGS_(...) ETD_NARGS_PICK_(__VA_ARGS__, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define ETD_NARGS_PICK_(_1, _2, _3, _4, _5, _6, _7, _8, _9, n, ...) n

/* ETD_MAP_<n>(M, sep-less list): M(a1) M(a2) ... with M emitting its own separators. */
#define ETD_TYPES_1(C, f) 0u
#define ETD_TYPES_2(C, f, a) ((uint32_t)C(a))
#define ETD_TYPES_3(C, f, a, b) (ETD_TYPES_2(C, f, a) | (uint32_t)C(b) << 4)
#define ETD_TYPES_4(C, f, a, b, c) (ETD_TYPES_3(C, f, a, b) | (uint32_t)C(c) << 8)
#define ETD_TYPES_5(C, f, a, b, c, d) (ETD_TYPES_4(C, f, a, b, c) | (uint32_t)C(d) << 12)
#define ETD_TYPES_6(C, f, a, b, c, d, e) (ETD_TYPES_5(C, f, a, b, c, d) | (uint32_t)C(e) << 16)
#define ETD_TYPES_7(C, f, a, b, c, d, e, g) \
  (ETD_TYPES_6(C, f, a, b, c, d, e) | (uint32_t)C(g) << 20)
#define ETD_TYPES_8(C, f, a, b, c, d, e, g, h) \
  (ETD_TYPES_7(C, f, a, b, c, d, e, g) | (uint32_t)C(h) << 24)
#define ETD_TYPES_9(C, f, a, b, c, d, e, g, h, i) \
  (ETD_TYPES_8(C, f, a, b, c, d, e, g, h) | (uint32_t)C(i) << 28)

#define ETD_SIGS_1(S, f) 0
#define ETD_SIGS_2(S, f, a) S(a)
#define ETD_SIGS_3(S, f, a, b) S(a), S(b)
#define ETD_SIGS_4(S, f, a, b, c) S(a), S(b), S(c)
#define ETD_SIGS_5(S, f, a, b, c, d) S(a), S(b), S(c), S(d)
#define ETD_SIGS_6(S, f, a, b, c, d, e) S(a), S(b), S(c), S(d), S(e)
#define ETD_SIGS_7(S, f, a, b, c, d, e, g) S(a), S(b), S(c), S(d), S(e), S(g)
#define ETD_SIGS_8(S, f, a, b, c, d, e, g, h) S(a), S(b), S(c), S(d), S(e), S(g), S(h)
#define ETD_SIGS_9(S, f, a, b, c, d, e, g, h, i) S(a), S(b), S(c), S(d), S(e), S(g), S(h), S(i)

#define ETD_PASS_1(P, f)
#define ETD_PASS_2(P, f, a) , P(a)
#define ETD_PASS_3(P, f, a, b) , P(a), P(b)
#define ETD_PASS_4(P, f, a, b, c) , P(a), P(b), P(c)
#define ETD_PASS_5(P, f, a, b, c, d) , P(a), P(b), P(c), P(d)
#define ETD_PASS_6(P, f, a, b, c, d, e) , P(a), P(b), P(c), P(d), P(e)
#define ETD_PASS_7(P, f, a, b, c, d, e, g) , P(a), P(b), P(c), P(d), P(e), P(g)
#define ETD_PASS_8(P, f, a, b, c, d, e, g, h) , P(a), P(b), P(c), P(d), P(e), P(g), P(h)
#define ETD_PASS_9(P, f, a, b, c, d, e, g, h, i) , P(a), P(b), P(c), P(d), P(e), P(g), P(h), P(i)

#define ETD_FIRST_(f, ...) f

/* One call site: anchor + table record + the call. SIG maps an argument to its signature
 * byte, EMIT(anchor, n, format, args...) makes the call, CHECK is a statement run at
 * compile time (C++). */
#define ETD_LOG_SITE_(level, n, SIG, EMIT, CHECK, ...)                             \
  do {                                                                             \
    CHECK;                                                                         \
    static const char et_site_anchor ETD_SECTION_IDS = 0;                          \
    static const struct {                                                          \
      et_site_header h;                                                            \
      char text[sizeof(__FILE__ "\0" ETD_FIRST_(__VA_ARGS__, 0))];                 \
    } et_site_meta ETD_SECTION_META = {{ETD_SITE_MAGIC,                            \
                                        __LINE__,                                  \
                                        &et_site_anchor,                           \
                                        (uint16_t)sizeof(et_site_meta),            \
                                        ETD_KIND_LOG,                              \
                                        (level),                                   \
                                        (n)-1,                                     \
                                        {ETD_CAT(ETD_SIGS_, n)(SIG, __VA_ARGS__)}, \
                                        {0, 0, 0}},                                \
                                       __FILE__ "\0" ETD_FIRST_(__VA_ARGS__, 0)};  \
    EMIT(&et_site_anchor, n, __VA_ARGS__);                                         \
  } while (0)

/* A span site's anchor and table record; evaluates to the anchor (const char*). */
#define ETD_SPAN_SITE_DECL_(anchor, meta, name)       \
  static const char anchor ETD_SECTION_IDS = 0;       \
  static const struct {                               \
    et_site_header h;                                 \
    char text[sizeof(__FILE__ "\0" name)];            \
  } meta ETD_SECTION_META = {{ETD_SITE_MAGIC,         \
                              __LINE__,               \
                              &anchor,                \
                              (uint16_t)sizeof(meta), \
                              ETD_KIND_SPAN,          \
                              ETD_LEVEL_INFO,         \
                              0,                      \
                              {0},                    \
                              {0}},                   \
                             __FILE__ "\0" name}

#ifdef __cplusplus
} /* extern "C" */
#endif

/* ---- the C front end ------------------------------------------------------------------- */
#ifndef __cplusplus

#define ETD_C_CLASS(x) \
  _Generic((x),                                                                        \
      _Bool: ETD_ARG_BOOL,                                                              \
      char: ETD_ARG_CHAR,                                                               \
      signed char: ETD_ARG_I32,                                                         \
      unsigned char: ETD_ARG_U32,                                                       \
      short: ETD_ARG_I32,                                                               \
      unsigned short: ETD_ARG_U32,                                                      \
      int: ETD_ARG_I32,                                                                 \
      unsigned int: ETD_ARG_U32,                                                        \
      long: (sizeof(long) == 8 ? ETD_ARG_I64 : ETD_ARG_I32),                             \
      unsigned long: (sizeof(long) == 8 ? ETD_ARG_U64 : ETD_ARG_U32),                    \
      long long: ETD_ARG_I64,                                                           \
      unsigned long long: ETD_ARG_U64,                                                  \
      float: ETD_ARG_F32,                                                               \
      double: ETD_ARG_F64,                                                              \
      char*: ETD_ARG_CSTR,                                                              \
      const char*: ETD_ARG_CSTR,                                                        \
      et_str: ETD_ARG_STR,                                                              \
      et_bytes: ETD_ARG_BYTES)
#define ETD_C_WIDTH(x) \
  _Generic((x), char* : 0, const char* : 0, et_str : 0, et_bytes : 0, default : sizeof(x))
#define ETD_C_SIG(x) (uint8_t)(ETD_C_CLASS(x) | ETD_C_WIDTH(x) << 4)
#define ETD_C_PASS(x) (x)

#define ETD_C_EMIT_(anchor, n, ...)                                      \
  et_device_log(anchor, ETD_CAT(ETD_TYPES_, n)(ETD_C_CLASS, __VA_ARGS__) \
                            ETD_CAT(ETD_PASS_, n)(ETD_C_PASS, __VA_ARGS__))
#define ETD_LOG_AT_(level, n, ...) \
  ETD_LOG_SITE_(level, n, ETD_C_SIG, ETD_C_EMIT_, (void)0, __VA_ARGS__)
/* ETD_LOG(level, "format {}", args...): the level must be a constant. C cannot check the
 * placeholder count at compile time (C++ does); the decoder flags a mismatch. */
#define ETD_LOG(level, ...) ETD_LOG_AT_(level, ETD_NARGS_(__VA_ARGS__), __VA_ARGS__)

/* Spans in C: ETD_SPAN_BEGIN(s, "name"); ... ETD_SPAN_END(s); in the same block. */
#define ETD_SPAN_BEGIN(var, name)                                                                  \
  et_span var;                                                                                     \
  ETD_SPAN_SITE_DECL_(ETD_CAT(et_span_anchor_, __LINE__), ETD_CAT(et_span_meta_, __LINE__), name); \
  et_span_begin(&var, &ETD_CAT(et_span_anchor_, __LINE__), 0)
#define ETD_SPAN_BEGIN_REMOTE(var, name, remote_ptr)                                               \
  et_span var;                                                                                     \
  ETD_SPAN_SITE_DECL_(ETD_CAT(et_span_anchor_, __LINE__), ETD_CAT(et_span_meta_, __LINE__), name); \
  et_span_begin(&var, &ETD_CAT(et_span_anchor_, __LINE__), (remote_ptr))
#define ETD_SPAN_END(var) et_span_end(&var)

#define ETD_STR(data, size) et_make_str((data), (size))
#define ETD_BYTES(data, size) et_make_bytes((data), (size))

#endif /* !__cplusplus */

/* ---- level macros (C and C++) ---------------------------------------------------------- */
#define ETD_LOG_OFF_(...) ((void)0)
#if ETD_MIN_LEVEL <= ETD_LEVEL_TRACE
#define ETD_TRACE(...) ETD_LOG(ETD_LEVEL_TRACE, __VA_ARGS__)
#else
#define ETD_TRACE(...) ETD_LOG_OFF_(__VA_ARGS__)
#endif
#if ETD_MIN_LEVEL <= ETD_LEVEL_DEBUG
#define ETD_DEBUG(...) ETD_LOG(ETD_LEVEL_DEBUG, __VA_ARGS__)
#else
#define ETD_DEBUG(...) ETD_LOG_OFF_(__VA_ARGS__)
#endif
#if ETD_MIN_LEVEL <= ETD_LEVEL_INFO
#define ETD_INFO(...) ETD_LOG(ETD_LEVEL_INFO, __VA_ARGS__)
#else
#define ETD_INFO(...) ETD_LOG_OFF_(__VA_ARGS__)
#endif
#if ETD_MIN_LEVEL <= ETD_LEVEL_WARN
#define ETD_WARN(...) ETD_LOG(ETD_LEVEL_WARN, __VA_ARGS__)
#else
#define ETD_WARN(...) ETD_LOG_OFF_(__VA_ARGS__)
#endif
#if ETD_MIN_LEVEL <= ETD_LEVEL_ERROR
#define ETD_ERROR(...) ETD_LOG(ETD_LEVEL_ERROR, __VA_ARGS__)
#else
#define ETD_ERROR(...) ETD_LOG_OFF_(__VA_ARGS__)
#endif
#if ETD_MIN_LEVEL <= ETD_LEVEL_FATAL
#define ETD_FATAL(...) ETD_LOG(ETD_LEVEL_FATAL, __VA_ARGS__)
#else
#define ETD_FATAL(...) ETD_LOG_OFF_(__VA_ARGS__)
#endif

#endif /* EDGETRACE_DEVICE_EDGETRACE_H_ */
