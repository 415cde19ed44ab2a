// Must not compile: a local array is a char array but not a constant; it dies with the call.
#include "edgetrace/sdk/span.hpp"

static const char kStaticName[] = "load";  // a constant with static storage: accepted

void f() {
#ifdef ET_EXPECT_OK
  auto span = ET_SPAN(kStaticName);
#else
  char name[] = "load";
  auto span = ET_SPAN(name);
#endif
}
