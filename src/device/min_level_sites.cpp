// Call sites compiled with a minimum level of WARN (see DeviceTest.CompileTimeMinimum...).
#define ETD_MIN_LEVEL ETD_LEVEL_WARN
#include "edgetrace/device/device.hpp"

void et_test_log_below_and_at_min_level() {
  int evaluated = 0;
  ETD_INFO("compiled out {}", ++evaluated);
  ETD_WARN("kept {}", evaluated + 2);
}
