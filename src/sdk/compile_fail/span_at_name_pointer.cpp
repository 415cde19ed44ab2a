// Must not compile: ET_SPAN_AT with a `const char*` name (it may point at a temporary buffer).
#include "edgetrace/sdk/span.hpp"

void f(const char* name) {
#ifdef ET_EXPECT_OK
  (void)name;
  auto span = ET_SPAN_AT(edgetrace::core::Level::kDebug, "load");
#else
  auto span = ET_SPAN_AT(edgetrace::core::Level::kDebug, name);
#endif
}
