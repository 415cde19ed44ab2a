// Must not compile: "{:d}" is not a supported placeholder spec.
#include "edgetrace/device/device.hpp"

void f() {
#ifdef ET_EXPECT_OK
  ET_INFO("a={:x}", 1);
#else
  ET_INFO("a={:d}", 1);
#endif
}
