// Must not compile: pointers other than C strings are not loggable.
#include "edgetrace/device/device.hpp"

void f() {
  int x = 0;
#ifdef ET_EXPECT_OK
  ET_INFO("x={}", x);
#else
  ET_INFO("x={}", &x);
#endif
}
