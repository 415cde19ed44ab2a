// Must not compile: ET_INSTRUMENT with two span names.
#include "edgetrace/sdk/span.hpp"

using edgetrace::span_level;
using edgetrace::span_name;

void f() {
#ifdef ET_EXPECT_OK
  ET_INSTRUMENT(span_name<"verify">, span_level<edgetrace::core::Level::kDebug>);
#else
  ET_INSTRUMENT(span_name<"verify">, span_name<"check">);
#endif
}
