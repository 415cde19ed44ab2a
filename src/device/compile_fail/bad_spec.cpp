// Must not compile: "{:d}" is not a supported placeholder spec.
#include "edgetrace/device/device.hpp"

void f() {
#ifdef ETD_EXPECT_OK
  ETD_INFO("a={:x}", 1);
#else
  ETD_INFO("a={:d}", 1);
#endif
}
