// LogHandover: how the OTLP layer's log records travel from the application's threads to the
// log export thread without a shared lock per record (a Handover, handover.hpp, of pooled log
// items, which the sink receives as OtlpLogHandles).
#pragma once

#include "internal/handover.hpp"
#include "internal/otlp_log_pool.hpp"

namespace edgetrace::sdk::internal {

struct LogHandoverTraits {
  using Record = OtlpLogItem;
  using Ref = OtlpLogHandle;
  static OtlpLogHandle adopt(OtlpLogItem* item) noexcept { return OtlpLogHandle(item); }
  static void release(OtlpLogItem* item) noexcept { item->pool->release(item); }
};

extern template class Handover<LogHandoverTraits>;
using LogHandover = Handover<LogHandoverTraits>;

}  // namespace edgetrace::sdk::internal
