#include "internal/log_handover.hpp"

#include "internal/handover_impl.hpp"

namespace edgetrace::sdk::internal {

template class Handover<LogHandoverTraits>;

}  // namespace edgetrace::sdk::internal
