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
  ETD_INFO("{} {} {} {} {} {} {} {}", i8, i16, i32, i64, u8, u16, u32, u64);
  ETD_WARN("{} {} {} {}", yes, c, f, d);
  ETD_ERROR("{} {} {}", s, ETD_STR(text, 3), ETD_BYTES(raw, sizeof raw));
  ETD_DEBUG("hex={:#x} bin={:b}", u8, (uint8_t)6);
  ETD_TRACE("plain");
  ETD_FATAL("size_t={}", sizeof raw);
}

static void c_child(void) {
  ETD_SPAN_BEGIN(span, "c-child");
  ETD_INFO("inside child");
  ETD_SPAN_END(span);
}

void et_c_nested_spans(void) {
  ETD_SPAN_BEGIN(span, "c-parent");
  c_child();
  ETD_SPAN_END(span);
}

void et_c_remote_span(const et_remote_parent* remote) {
  ETD_SPAN_BEGIN_REMOTE(span, "c-remote", remote);
  ETD_SPAN_END(span);
}

/* Compiles in C (no compile-time count check there); the table check must flag it. */
void et_c_mismatched_placeholders(void) {
  ETD_WARN("two placeholders {} {} but one argument", 1);
}
