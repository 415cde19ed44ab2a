// A host program with edgetrace call sites: its ELF (with a build-id and the call-site
// table) is what the symbol store tests upload. It is never run for its output.
#include "edgetrace/device/device.hpp"

namespace {

void report(int temp, unsigned hum) {
  ET_SPAN("report");
  ET_INFO("temp={} hum={:x}", temp, hum);
  ET_WARN("low battery");
}

}  // namespace

int main(int argc, char**) {
  if (argc > 99)  // call sites exist in the table whether or not they run
    report(argc, 40u);
  return 0;
}
