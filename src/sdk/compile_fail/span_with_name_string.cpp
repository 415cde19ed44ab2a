// Must not compile: ET_SPAN_WITH with a std::string name.
#include <string>

#include "edgetrace/sdk/span.hpp"

void f(const std::string& name) {
  using edgetrace::sdk::SpanKind;
  using edgetrace::sdk::SpanOptions;
#ifdef ET_EXPECT_OK
  (void)name;
  auto span = ET_SPAN_WITH((SpanOptions{.kind = SpanKind::kServer}), "GET /");
#else
  auto span = ET_SPAN_WITH((SpanOptions{.kind = SpanKind::kServer}), name);
#endif
}
