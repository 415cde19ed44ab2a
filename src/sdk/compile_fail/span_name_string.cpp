// Must not compile: a std::string span name would dangle once the call site's static
// metadata outlives it.
#include <string>

#include "edgetrace/sdk/span.hpp"

void f(const std::string& route) {
#ifdef ET_EXPECT_OK
  (void)route;
  auto span = ET_SPAN("GET /users");
#else
  auto span = ET_SPAN(route);
#endif
}
