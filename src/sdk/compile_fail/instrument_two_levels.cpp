// Must not compile: ET_INSTRUMENT with two levels.
#include "edgetrace/sdk/span.hpp"

using edgetrace::field;
using edgetrace::span_level;

void f(int id) {
#ifdef ET_EXPECT_OK
  ET_INSTRUMENT(span_level<edgetrace::core::Level::kDebug>, field<"id">(id));
#else
  ET_INSTRUMENT(span_level<edgetrace::core::Level::kDebug>,
                span_level<edgetrace::core::Level::kWarn>, field<"id">(id));
#endif
}
