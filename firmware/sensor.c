/* The C API from C firmware code: _Generic picks each argument's type. */
#include <stdbool.h>
#include <stdint.h>

#include "edgetrace/device/edgetrace.h"

void sensor_report(int celsius, unsigned humidity);

void sensor_report(int celsius, unsigned humidity) {
  ETD_SPAN_BEGIN(span, "sensor_report");
  const bool comfortable = celsius > 18 && humidity < 60u;
  ETD_INFO("temp={} hum={}", celsius, humidity);
  ETD_DEBUG("comfortable={} (from C)", comfortable);
  ETD_SPAN_END(span);
}
