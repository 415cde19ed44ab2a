#include <charconv>

#include "edgetrace/otlp/batch_processor.hpp"

namespace edgetrace::otlp {
namespace {

void read_number(const EnvLookup& env, const std::string& name, std::vector<std::string>* warnings,
                 auto&& apply) {
  std::optional<std::string> v = env(name);
  if (!v || v->empty())
    return;
  long long n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || n < 0) {
    if (warnings != nullptr) {
      warnings->push_back(name + ": expected a non-negative whole number, got '" + *v +
                          "'; ignored");
    }
    return;
  }
  apply(n);
}

BatchOptions from_env(BatchOptions o, const char* prefix, const EnvLookup& env,
                      std::vector<std::string>* warnings) {
  const std::string p(prefix);
  read_number(env, p + "SCHEDULE_DELAY", warnings,
              [&](long long n) { o.schedule_delay = std::chrono::milliseconds(n); });
  read_number(env, p + "EXPORT_TIMEOUT", warnings,
              [&](long long n) { o.export_timeout = std::chrono::milliseconds(n); });
  read_number(env, p + "MAX_QUEUE_SIZE", warnings,
              [&](long long n) { o.max_queue_size = static_cast<std::size_t>(n); });
  read_number(env, p + "MAX_EXPORT_BATCH_SIZE", warnings,
              [&](long long n) { o.max_export_batch_size = static_cast<std::size_t>(n); });
  if (o.max_queue_size == 0) {
    if (warnings != nullptr)
      warnings->push_back(p + "MAX_QUEUE_SIZE: 0 is not allowed; using 1");
    o.max_queue_size = 1;
  }
  if (o.max_export_batch_size == 0 || o.max_export_batch_size > o.max_queue_size) {
    if (warnings != nullptr) {
      warnings->push_back(p + "MAX_EXPORT_BATCH_SIZE: must be between 1 and MAX_QUEUE_SIZE (" +
                          std::to_string(o.max_queue_size) + "); using " +
                          std::to_string(o.max_queue_size));
    }
    o.max_export_batch_size = o.max_queue_size;
  }
  return o;
}

}  // namespace

BatchOptions span_batch_options(const EnvLookup& env, std::vector<std::string>* warnings) {
  return from_env(BatchOptions{}, "OTEL_BSP_", env, warnings);
}

BatchOptions log_batch_options(const EnvLookup& env, std::vector<std::string>* warnings) {
  BatchOptions o;
  o.schedule_delay = std::chrono::milliseconds(1000);
  return from_env(o, "OTEL_BLRP_", env, warnings);
}

}  // namespace edgetrace::otlp
