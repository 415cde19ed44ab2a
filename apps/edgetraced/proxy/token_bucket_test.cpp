// Token buckets with a controlled clock: burst, sustained rate, Retry-After rounding, keys,
// eviction bounds and exact totals under concurrent use.
#include "proxy/token_bucket.hpp"
