#include "internal/output.hpp"

#include <string>
#include <utility>
#include <variant>

#include "edgetrace/core/severity.hpp"
#include "edgetrace/otlp/model.hpp"

namespace edgetrace::bridge::internal {

AnyValuePool::~AnyValuePool() {
  for (OtlpAnyValue* v : strings_)
    delete v;
  for (OtlpAnyValue* v : empty_)
    delete v;
}

OtlpAnyValue* AnyValuePool::take_for_string() {
  if (!strings_.empty()) {
    OtlpAnyValue* v = strings_.back();
    strings_.pop_back();
    return v;
  }
  return take_empty();
}

OtlpAnyValue* AnyValuePool::take_empty() {
  if (!empty_.empty()) {
    OtlpAnyValue* v = empty_.back();
    empty_.pop_back();
    return v;
  }
  return new OtlpAnyValue();
}

void AnyValuePool::give_back(OtlpAnyValue* value) {
  if (value->value_case() == OtlpAnyValue::kStringValue) {
    if (strings_.size() < max_) {
      strings_.push_back(value);
      return;
    }
  } else if (empty_.size() < max_) {
    value->Clear();
    empty_.push_back(value);
    return;
  }
  delete value;
}

namespace {

otlp_proto::common::v1::KeyValue* add_key(OtlpKeyValues& out, std::string_view key) {
  auto* kv = out.Add();
  kv->mutable_key()->assign(key.data(), key.size());
  return kv;
}

}  // namespace

void add_attribute(OtlpKeyValues& out, std::string_view key, const core::AttributeValue& value,
                   AnyValuePool* pool) {
  if (pool == nullptr) {
    otlp::add_attribute(out, key, value);
    return;
  }
  auto* kv = add_key(out, key);
  OtlpAnyValue* v = std::holds_alternative<std::string>(value.variant()) ? pool->take_for_string()
                                                                         : pool->take_empty();
  kv->set_allocated_value(v);
  otlp::to_any_value(value, *v);
}

void add_string_attribute(OtlpKeyValues& out, std::string_view key, std::string_view value,
                          AnyValuePool* pool) {
  if (pool == nullptr) {
    otlp::add_string_attribute(out, key, value);
    return;
  }
  auto* kv = add_key(out, key);
  OtlpAnyValue* v = pool->take_for_string();
  kv->set_allocated_value(v);
  v->mutable_string_value()->assign(value.data(), value.size());
}

void add_int_attribute(OtlpKeyValues& out, std::string_view key, std::int64_t value,
                       AnyValuePool* pool) {
  if (pool == nullptr) {
    otlp::add_int_attribute(out, key, value);
    return;
  }
  auto* kv = add_key(out, key);
  OtlpAnyValue* v = pool->take_empty();
  kv->set_allocated_value(v);
  v->set_int_value(value);
}

Output::Output(std::size_t batch_records, BatchSink sink, BridgeCounters& counters)
    : batch_records_(batch_records == 0 ? 1 : batch_records),
      sink_(std::move(sink)),
      counters_(counters),
      values_(4 * batch_records_) {}

void Output::set_resource(const core::Resource& resource, std::string_view scope_name) {
  if (resource == resource_ && scope_name == scope_name_)
    return;
  resource_ = resource;
  scope_name_.assign(scope_name);
  spans_ = nullptr;
  log_records_ = nullptr;
}

OtlpSpan& Output::add_span() {
  if (spans_ == nullptr) {
    auto* rs = traces_.add_resource_spans();
    otlp::to_otlp_resource(resource_, *rs->mutable_resource());
    rs->set_schema_url(resource_.schema_url());
    spans_ = rs->add_scope_spans();
    spans_->mutable_scope()->set_name(scope_name_);
    spans_->mutable_scope()->set_version(std::string(core::sdk_version()));
  }
  ++pending_spans_;
  ++counters_.spans;
  return *spans_->add_spans();
}

OtlpLogRecord& Output::add_log() {
  if (log_records_ == nullptr) {
    auto* rl = logs_.add_resource_logs();
    otlp::to_otlp_resource(resource_, *rl->mutable_resource());
    rl->set_schema_url(resource_.schema_url());
    log_records_ = rl->add_scope_logs();
    log_records_->mutable_scope()->set_name(scope_name_);
    log_records_->mutable_scope()->set_version(std::string(core::sdk_version()));
  }
  ++pending_logs_;
  ++counters_.log_records;
  return *log_records_->add_log_records();
}

void Output::add_log(OtlpLogRecord&& record) {
  add_log() = std::move(record);
}

void Output::maybe_flush() {
  if (pending_spans_ + pending_logs_ >= batch_records_)
    flush();
}

void Output::flush() {
  if (pending_spans_ + pending_logs_ == 0)
    return;
  Batch batch{traces_, logs_, pending_spans_, pending_logs_};
  ++counters_.batches;
  if (sink_)
    sink_(batch);
  recycle_values();
  traces_.Clear();
  logs_.Clear();
  spans_ = nullptr;
  log_records_ = nullptr;
  pending_spans_ = 0;
  pending_logs_ = 0;
}

void Output::recycle_values() {
  const auto take_values = [this](OtlpKeyValues& attributes) {
    for (auto& kv : attributes)
      if (kv.has_value())
        values_.give_back(kv.release_value());
  };
  for (auto& rl : *logs_.mutable_resource_logs())
    for (auto& sl : *rl.mutable_scope_logs())
      for (auto& log : *sl.mutable_log_records()) {
        if (log.has_body())
          values_.give_back(log.release_body());
        take_values(*log.mutable_attributes());
      }
  for (auto& rs : *traces_.mutable_resource_spans())
    for (auto& ss : *rs.mutable_scope_spans())
      for (auto& span : *ss.mutable_spans())
        take_values(*span.mutable_attributes());
}

void fill_log_record(const decoder::Record& record, std::uint64_t time_unix_nano,
                     std::uint64_t observed_unix_nano, OtlpLogRecord& out, AnyValuePool* pool) {
  out.set_time_unix_nano(time_unix_nano);
  out.set_observed_time_unix_nano(observed_unix_nano);
  if (record.level) {
    out.set_severity_number(
        static_cast<otlp_proto::logs::v1::SeverityNumber>(core::severity_number(*record.level)));
    const std::string_view text = core::severity_text(*record.level);
    out.set_severity_text(text.data(), text.size());
  }
  const std::string& body = record.message.empty() ? record.format : record.message;
  if (pool != nullptr)
    out.set_allocated_body(pool->take_for_string());
  out.mutable_body()->set_string_value(body);
  auto& attributes = *out.mutable_attributes();
  bool truncated = false;
  for (const decoder::Argument& a : record.args) {
    add_attribute(attributes, a.name, a.value, pool);
    truncated = truncated || a.truncated;
  }
  if (!record.location.file.empty())
    add_string_attribute(attributes, "code.file.path", record.location.file, pool);
  if (record.location.line != 0)
    add_int_attribute(attributes, "code.line.number", record.location.line, pool);
  if (!record.location.module.empty())
    add_string_attribute(attributes, "log.target", record.location.module, pool);
  if (truncated) {
    auto* kv = attributes.Add();
    kv->set_key("edgetrace.truncated");
    kv->mutable_value()->set_bool_value(true);
  }
}

void mark_incomplete(OtlpSpan& span, std::string_view reason) {
  auto* status = span.mutable_status();
  status->set_code(otlp_proto::trace::v1::Status::STATUS_CODE_ERROR);
  status->set_message(reason.data(), reason.size());
  auto* kv = span.add_attributes();
  kv->set_key("edgetrace.span.incomplete");
  kv->mutable_value()->set_bool_value(true);
}

void add_loss_event(OtlpSpan& span, std::uint64_t time_unix_nano, const Loss& loss) {
  auto* event = span.add_events();
  event->set_time_unix_nano(time_unix_nano);
  event->set_name(kLossEventName.data(), kLossEventName.size());
  auto& attributes = *event->mutable_attributes();
  const auto count = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  if (loss.frames_lost > 0)
    otlp::add_int_attribute(attributes, "edgetrace.frames.lost", count(loss.frames_lost));
  if (loss.frames_corrupt > 0)
    otlp::add_int_attribute(attributes, "edgetrace.frames.corrupt", count(loss.frames_corrupt));
  if (loss.records_undecodable > 0)
    otlp::add_int_attribute(attributes, "edgetrace.records.undecodable",
                            count(loss.records_undecodable));
  if (loss.records_dropped > 0)
    otlp::add_int_attribute(attributes, "edgetrace.records.dropped", count(loss.records_dropped));
}

}  // namespace edgetrace::bridge::internal
