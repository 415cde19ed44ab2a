// Must not compile: Value::of('x') could mean the text "x" or the number 120.
#include <cstddef>
#include <cstdint>

#include "edgetrace/sdk/value.hpp"

using edgetrace::sdk::Value;

Value f() {
#ifdef ET_EXPECT_OK
  (void)Value::of(std::size_t{1});
  (void)Value::of(-1L);
  (void)Value::of(std::int64_t{1});
  (void)Value::of(short{1});
  return Value::of(42);
#else
  return Value::of('x');
#endif
}
