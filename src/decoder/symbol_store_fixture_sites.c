/* A C call site whose placeholders do not match its arguments (C is not checked at compile
 * time): the ELF of symbol_store_fixture_bad_format, which `edgetrace symbols verify`
 * must reject while the store still accepts it. */
#include "edgetrace/device/edgetrace.h"

void et_fixture_mismatched_placeholders(void);

void et_fixture_mismatched_placeholders(void) {
  ETD_INFO("a={} b={}", 1);
}
