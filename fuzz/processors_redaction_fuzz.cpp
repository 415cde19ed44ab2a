// Fuzzes the processors' redaction: the input is cut at NUL bytes into strings that become a
// log record's body (string and nested kvlist/array), attribute keys and values (including
// exception.stacktrace and code.filepath), and the first string is also tried as an extra
// RE2 pattern. Checks memory safety, that a bad pattern is an error (never a crash), that a
// changed value holds the replacement (or got shorter by path trimming), and that both
// records are still there (rate caps aside).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/otlp/codec.hpp"
#include "edgetrace/otlp/model.hpp"
#include "edgetrace/processors/processors.hpp"
#include "edgetrace/processors/redaction.hpp"

using namespace edgetrace;

namespace {

void check_at(bool condition, int line) {
  if (!condition) {
    std::fprintf(stderr, "check failed at line %d\n", line);
    std::abort();
  }
}
#define check(c) check_at((c), __LINE__)

processors::Processors& processors_instance() {
  static const std::unique_ptr<processors::Processors> p = [] {
    processors::ProcessorsOptions o;
    o.redaction.enabled = true;
    o.redaction.allowed_attributes = {"a", "exception.stacktrace", "code.filepath"};
    o.redaction.trim_stack_paths = true;
    o.redaction.stack_path_roots = {"/src/app/"};
    o.scope_rate.per_second = 1000;
    return std::move(processors::Processors::create(o).value());
  }();
  return *p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= input.size() && parts.size() < 16) {
    const std::size_t nul = input.find('\0', start);
    const std::size_t end = nul == std::string_view::npos ? input.size() : nul;
    parts.emplace_back(input.substr(start, end - start));
    start = end + 1;
  }

  // The first part as an extra pattern: compiles, or is a clean error naming it.
  processors::RedactionOptions custom;
  custom.default_patterns = false;
  custom.patterns = {parts[0]};
  core::Result<std::unique_ptr<processors::Redactor>> r = processors::Redactor::create(custom);
  if (r) {
    for (const std::string& part : parts) {
      std::string s = part;
      if ((*r)->redact(s))
        check(s.find("[REDACTED]") != std::string::npos);
    }
  } else {
    check(r.status().code() == core::StatusCode::kInvalidArgument);
  }

  // Every part through the default patterns and the trimming, as strings.
  processors::Processors& p = processors_instance();
  static const std::unique_ptr<processors::Redactor> redactor =
      std::move(processors::Redactor::create(p.options().redaction).value());
  for (const std::string& part : parts) {
    std::string s = part;
    const bool matched = redactor->matches(s);
    if (redactor->redact(s))
      check(matched && s.find("[REDACTED]") != std::string::npos);
    std::string t = part;
    if (redactor->trim_paths(t))
      check(t.size() < part.size());
  }

  // And as a request.
  otlp::LogsRequest req;
  auto* sl = req.add_resource_logs()->add_scope_logs();
  sl->mutable_scope()->set_name(parts.back());
  auto* record = sl->add_log_records();
  record->mutable_body()->set_string_value(parts[0]);
  auto* nested = sl->add_log_records();
  auto* kvs = nested->mutable_body()->mutable_kvlist_value();
  for (std::size_t i = 0; i + 1 < parts.size(); i += 2) {
    auto* kv = kvs->add_values();
    kv->set_key(parts[i]);
    kv->mutable_value()->mutable_array_value()->add_values()->set_string_value(parts[i + 1]);
    otlp::add_string_attribute(*record->mutable_attributes(), parts[i], parts[i + 1]);
  }
  otlp::add_string_attribute(*record->mutable_attributes(), "exception.stacktrace", parts.back());
  otlp::add_string_attribute(*record->mutable_attributes(), "code.filepath", parts[0]);
  const processors::Outcome out = p.process(req, std::chrono::steady_clock::time_point{});
  check(out.kept + out.rate_capped == 2);
  check(out.rate_capped == 2 || req.ByteSizeLong() > 0);
  return 0;
}
