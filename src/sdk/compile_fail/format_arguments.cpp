// Must not compile: an ET_*F format string with more placeholders than arguments.
#include "edgetrace/sdk/event.hpp"

void f(int delay) {
#ifdef ET_EXPECT_OK
  ET_WARNF("retrying in {} ms", delay);
#else
  ET_WARNF("retrying in {} ms (attempt {})", delay);
#endif
}
