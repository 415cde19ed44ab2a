// Must not compile: two placeholders, one argument. Built by ctest with -DETD_EXPECT_OK to
// show the file is otherwise valid.
#include "edgetrace/device/device.hpp"

void f() {
#ifdef ETD_EXPECT_OK
  ETD_INFO("a={} b={}", 1, 2);
#else
  ETD_INFO("a={} b={}", 1);
#endif
}
