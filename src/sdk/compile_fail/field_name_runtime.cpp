// Must not compile: a field name that is not a constant (semconv constants are accepted).
#include <string_view>

#include "edgetrace/sdk/event.hpp"
#include "edgetrace/sdk/semconv.hpp"

using edgetrace::field;

static std::string_view g_name = "http.route";  // not constexpr: may change at run time

void f() {
#ifdef ET_EXPECT_OK
  ET_INFO("routed", field<edgetrace::semconv::http::kRoute>("/users/{id}"));
#else
  ET_INFO("routed", field<g_name>("/users/{id}"));
#endif
}
