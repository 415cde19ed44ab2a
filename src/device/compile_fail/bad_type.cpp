// Must not compile: pointers other than C strings are not loggable.
#include "edgetrace/device/device.hpp"

void f() {
  int x = 0;
#ifdef ETD_EXPECT_OK
  ETD_INFO("x={}", x);
#else
  ETD_INFO("x={}", &x);
#endif
}
