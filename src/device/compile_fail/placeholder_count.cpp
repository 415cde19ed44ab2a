// Must not compile: two placeholders, one argument. Built by ctest with -DET_EXPECT_OK to
// show the file is otherwise valid.
#include "edgetrace/device/device.hpp"

void f() {
#ifdef ET_EXPECT_OK
  ET_INFO("a={} b={}", 1, 2);
#else
  ET_INFO("a={} b={}", 1);
#endif
}
