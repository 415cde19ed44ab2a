// Compiles the three HTTP adapters against an installed edgetrace and starts one client
// span, so the program links the SDK's HTTP helpers.
#include <edgetrace/edgetrace.hpp>
#include <edgetrace/sdk/http.hpp>
#include <edgetrace/sdk/http/beast.hpp>
#include <edgetrace/sdk/http/curl.hpp>
#include <edgetrace/sdk/http/httplib.hpp>

#include <cstdio>

int main() {
  auto guard = edgetrace::sdk::TracingBuilder("http_adapters").with_console().build();
  if (!guard)
    return 1;
  std::puts("http adapters ready");
  return 0;
}
