// A consumer's program: console logging through the SDK, nothing else configured.
#include <edgetrace/edgetrace.hpp>

int main() {
  using edgetrace::field;
  auto guard = edgetrace::sdk::TracingBuilder("consumer").with_console().build();
  if (!guard)
    return 1;
  auto span = ET_SPAN("startup");
  ET_INFO("consumer ready", field<"answer">(42));
  return 0;
}
