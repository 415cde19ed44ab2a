/* Call sites written in C11 against edgetrace.h, driven by c_api_test.cpp. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgetrace/device/edgetrace.h"

void et_c_log_every_type(void);
void et_c_nested_spans(void);
void et_c_remote_span(const et_remote_parent* remote);
void et_c_mismatched_placeholders(void);

void et_c_log_every_type(void) {
  const int8_t i8 = -5;
  const int16_t i16 = -300;
  const int32_t i32 = -70000;
  const int64_t i64 = -5000000000LL;
  const uint8_t u8 = 200;
  const uint16_t u16 = 60000;
  const uint32_t u32 = 4000000000u;
  const uint64_t u64 = 18000000000000000000ULL;
  const bool yes = true;
  const char c = 'q';
  const float f = 0.5f;
  const double d = 1e10;
  const char* s = "c-string";
  const char text[] = "sized";
  const uint8_t raw[] = {1, 2, 250};
  ET_INFO("{} {} {} {} {} {} {} {}", i8, i16, i32, i64, u8, u16, u32, u64);
  ET_WARN("{} {} {} {}", yes, c, f, d);
  ET_ERROR("{} {} {}", s, ET_STR(text, 3), ET_BYTES(raw, sizeof raw));
  ET_DEBUG("hex={:#x} bin={:b}", u8, (uint8_t)6);
  ET_TRACE("plain");
  ET_FATAL("size_t={}", sizeof raw);
}

static void c_child(void) {
  ET_SPAN_BEGIN(span, "c-child");
  ET_INFO("inside child");
  ET_SPAN_END(span);
}

void et_c_nested_spans(void) {
  ET_SPAN_BEGIN(span, "c-parent");
  c_child();
  ET_SPAN_END(span);
}

void et_c_remote_span(const et_remote_parent* remote) {
  ET_SPAN_BEGIN_REMOTE(span, "c-remote", remote);
  ET_SPAN_END(span);
}

/* Compiles in C (no compile-time count check there); the table check must flag it. */
void et_c_mismatched_placeholders(void) {
  ET_WARN("two placeholders {} {} but one argument", 1);
}
