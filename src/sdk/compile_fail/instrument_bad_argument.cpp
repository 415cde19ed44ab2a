// Must not compile: ET_INSTRUMENT with a value that is neither a field nor a name or level.
#include "edgetrace/sdk/span.hpp"

using edgetrace::field;

void f(int id) {
#ifdef ET_EXPECT_OK
  ET_INSTRUMENT(field<"id">(id));
#else
  ET_INSTRUMENT(id);
#endif
}
