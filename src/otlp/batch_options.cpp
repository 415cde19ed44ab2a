#include "edgetrace/core/env.hpp"
#include "edgetrace/core/text.hpp"
#include "edgetrace/otlp/batch_processor.hpp"
#include "internal/batch_settings.hpp"

namespace edgetrace::otlp {
namespace {

std::optional<long long> read_number(const EnvLookup& env, const std::string& name,
                                     std::vector<std::string>& warnings) {
  std::optional<std::string> v = env(name);
  if (!v || v->empty())
    return std::nullopt;
  std::optional<long long> n = core::parse_whole_number<long long>(*v);
  if (!n)
    warnings.push_back(name + ": expected a non-negative whole number, got '" + *v + "'; ignored");
  return n;
}

}  // namespace

BatchSettings read_batch_settings(const EnvLookup& env, std::string_view prefix) {
  BatchSettings s;
  const std::string p(prefix);
  if (auto n = read_number(env, p + "SCHEDULE_DELAY", s.warnings))
    s.schedule_delay = std::chrono::milliseconds(*n);
  if (auto n = read_number(env, p + "EXPORT_TIMEOUT", s.warnings))
    s.export_timeout = std::chrono::milliseconds(*n);
  if (auto n = read_number(env, p + "MAX_QUEUE_SIZE", s.warnings))
    s.max_queue_size = static_cast<std::size_t>(*n);
  if (auto n = read_number(env, p + "MAX_EXPORT_BATCH_SIZE", s.warnings))
    s.max_export_batch_size = static_cast<std::size_t>(*n);
  return s;
}

BatchOptions batch_options(BatchOptions o, const BatchSettings& s, std::string_view prefix,
                           std::vector<std::string>* warnings) {
  const std::string p(prefix);
  if (s.schedule_delay)
    o.schedule_delay = *s.schedule_delay;
  if (s.export_timeout)
    o.export_timeout = *s.export_timeout;
  if (s.max_queue_size)
    o.max_queue_size = *s.max_queue_size;
  if (s.max_export_batch_size)
    o.max_export_batch_size = *s.max_export_batch_size;
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

BatchOptions span_batch_options(const OtlpEnvironment& env, std::vector<std::string>* warnings) {
  return batch_options(BatchOptions{}, env.span_batch, "OTEL_BSP_", warnings);
}

BatchOptions log_batch_options(const OtlpEnvironment& env, std::vector<std::string>* warnings) {
  return batch_options(default_log_batch_options(), env.log_batch, "OTEL_BLRP_", warnings);
}

BatchOptions default_log_batch_options() {
  BatchOptions o;
  o.schedule_delay = std::chrono::milliseconds(1000);
  return o;
}

namespace {

BatchOptions from_env(BatchOptions base, std::string_view prefix, const EnvLookup& env,
                      std::vector<std::string>* warnings) {
  const BatchSettings s = read_batch_settings(env, prefix);
  if (warnings != nullptr)
    warnings->insert(warnings->end(), s.warnings.begin(), s.warnings.end());
  return batch_options(base, s, prefix, warnings);
}

}  // namespace

BatchOptions span_batch_options(const EnvLookup& env, std::vector<std::string>* warnings) {
  return from_env(BatchOptions{}, "OTEL_BSP_", env, warnings);
}

BatchOptions log_batch_options(const EnvLookup& env, std::vector<std::string>* warnings) {
  return from_env(default_log_batch_options(), "OTEL_BLRP_", env, warnings);
}

}  // namespace edgetrace::otlp
