// Logs to the console and exports OTLP (to OTEL_EXPORTER_OTLP_ENDPOINT, by default
// http://localhost:4318) with an edgetrace installed on the machine.
#include <edgetrace/edgetrace.hpp>
#include <edgetrace/sdk/otlp_layer.hpp>

int main() {
  auto guard = edgetrace::sdk::TracingBuilder("consumer").with_console().with_otlp().build();
  auto span = ET_SPAN("consumer.run");
  ET_INFO("hello from an installed edgetrace", edgetrace::field<"answer">(42));
  return guard ? 0 : 1;
}
