// Call sites compiled with a minimum level of WARN (see DeviceTest.CompileTimeMinimum...).
#define ET_MIN_LEVEL ET_LEVEL_WARN
#include "edgetrace/device/device.hpp"

void et_test_log_below_and_at_min_level() {
  int evaluated = 0;
  ET_INFO("compiled out {}", ++evaluated);
  ET_WARN("kept {}", evaluated + 2);
}
