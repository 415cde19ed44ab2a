/* The C API from C firmware code: _Generic picks each argument's type. */
#include <stdbool.h>
#include <stdint.h>

#include "edgetrace/device/edgetrace.h"

void sensor_report(int celsius, unsigned humidity);

void sensor_report(int celsius, unsigned humidity) {
  ET_SPAN_BEGIN(span, "sensor_report");
  const bool comfortable = celsius > 18 && humidity < 60u;
  ET_INFO("temp={} hum={}", celsius, humidity);
  ET_DEBUG("comfortable={} (from C)", comfortable);
  ET_SPAN_END(span);
}
