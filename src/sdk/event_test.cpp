#define ET_TARGET "checkout::payment"
#include "edgetrace/sdk/event.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "edgetrace/sdk/filter.hpp"
#include "edgetrace/sdk/semconv.hpp"

namespace shop {
struct Money {
  long cents;
};
edgetrace::core::AttributeValue to_attribute_value(const Money& m) {
  return std::to_string(m.cents / 100) + "." + std::to_string(m.cents % 100) + " EUR";
}
enum class Tier { kFree = 0, kPro = 2 };
}  // namespace shop

namespace edgetrace::sdk {
namespace {

using edgetrace::field;

struct Recorded {
  std::string message;
  core::Level level;
  std::string target;
  std::string file;
  std::uint32_t line;
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<std::string> declared_fields;
};

// A subscriber driven by a Filter; records what it receives.
class RecordingSubscriber : public Subscriber {
 public:
  explicit RecordingSubscriber(std::string_view filter) : filter_(Filter::parse(filter).value()) {}

  Interest register_callsite(const Metadata& m) override {
    ++registrations;
    if (dynamic)
      return Interest::kSometimes;
    return filter_.enabled(m.target, m.level) ? Interest::kAlways : Interest::kNever;
  }
  bool enabled(const Metadata& m) override {
    ++dynamic_checks;
    return allow_dynamic && filter_.enabled(m.target, m.level);
  }
  void event(const Event& e) override {
    Recorded r{std::string(e.message),
               e.metadata.level,
               std::string(e.metadata.target),
               std::string(e.metadata.file),
               e.metadata.line,
               {},
               {}};
    for (const Field& f : e.fields) {
      r.fields.emplace_back(std::string(f.name), f.value.to_display_string());
    }
    for (std::string_view n : e.metadata.field_names)
      r.declared_fields.emplace_back(n);
    events.push_back(std::move(r));
  }

  Filter filter_;
  int registrations = 0;
  int dynamic_checks = 0;
  bool dynamic = false;
  bool allow_dynamic = true;
  std::vector<Recorded> events;
};

class EventTest : public ::testing::Test {
 protected:
  void TearDown() override { set_global_subscriber(nullptr); }
};

int evaluations = 0;
int costly() {
  ++evaluations;
  return 42;
}

TEST_F(EventTest, DeliversMessageLevelTargetLocationAndFields) {
  auto s = std::make_shared<RecordingSubscriber>("info");
  set_global_subscriber(s);
  const std::string order = "A-17";
  ET_INFO("payment accepted", field<"order_id">(order), field<"amount">(12.5),
          field<"retries">(std::uint8_t{2}), field<"vip">(true));
  const int line = __LINE__ - 2;
  ASSERT_EQ(s->events.size(), 1u);
  const Recorded& r = s->events[0];
  EXPECT_EQ(r.message, "payment accepted");
  EXPECT_EQ(r.level, core::Level::kInfo);
  EXPECT_EQ(r.target, "checkout::payment");
  EXPECT_NE(r.file.find("event_test.cpp"), std::string::npos);
  EXPECT_EQ(r.line, static_cast<std::uint32_t>(line));
  EXPECT_EQ(r.declared_fields, (std::vector<std::string>{"order_id", "amount", "retries", "vip"}));
  ASSERT_EQ(r.fields.size(), 4u);
  EXPECT_EQ(r.fields[0], (std::pair<std::string, std::string>{"order_id", "A-17"}));
  EXPECT_EQ(r.fields[1].second, "12.5");
  EXPECT_EQ(r.fields[2].second, "2");
  EXPECT_EQ(r.fields[3].second, "true");
}

TEST_F(EventTest, DisabledCallSiteIsAskedOnceAndDoesNotEvaluateArguments) {
  auto s = std::make_shared<RecordingSubscriber>("warn");
  set_global_subscriber(s);
  evaluations = 0;
  const int before = s->registrations;
  for (int i = 0; i < 100; ++i)
    ET_DEBUG("noisy", field<"value">(costly()));
  EXPECT_EQ(evaluations, 0);
  EXPECT_TRUE(s->events.empty());
  EXPECT_EQ(s->registrations - before, 1);
}

TEST_F(EventTest, ReplacingTheSubscriberReasksEveryCallSite) {
  auto quiet = std::make_shared<RecordingSubscriber>("error");
  set_global_subscriber(quiet);
  auto log_once = [] { ET_INFO("state changed", field<"to">("ready")); };
  log_once();
  EXPECT_TRUE(quiet->events.empty());
  auto chatty = std::make_shared<RecordingSubscriber>("checkout=debug");
  set_global_subscriber(chatty);
  log_once();
  ASSERT_EQ(chatty->events.size(), 1u);
  set_global_subscriber(nullptr);
  log_once();  // no subscriber: disabled, no crash
  EXPECT_EQ(chatty->events.size(), 1u);
}

TEST_F(EventTest, SometimesInterestAsksOnEveryOccurrence) {
  auto s = std::make_shared<RecordingSubscriber>("info");
  s->dynamic = true;
  set_global_subscriber(s);
  for (int i = 0; i < 3; ++i)
    ET_INFO("dynamic");
  EXPECT_EQ(s->dynamic_checks, 3);
  EXPECT_EQ(s->events.size(), 3u);
  s->allow_dynamic = false;
  ET_INFO("dynamic but refused");
  EXPECT_EQ(s->events.size(), 3u);
}

TEST_F(EventTest, FormattedMessagesEnumsCharsAndUserTypes) {
  auto s = std::make_shared<RecordingSubscriber>("trace");
  set_global_subscriber(s);
  ET_WARNF("retrying in {} ms (attempt {}/{})", 250, 2, 5);
  ET_ERROR("charge failed", field<"price">(shop::Money{1999}), field<"tier">(shop::Tier::kPro),
           field<"grade">('B'), field<"reason">(std::string_view("card declined")));
  ASSERT_EQ(s->events.size(), 2u);
  EXPECT_EQ(s->events[0].message, "retrying in 250 ms (attempt 2/5)");
  EXPECT_EQ(s->events[0].level, core::Level::kWarn);
  const auto& f = s->events[1].fields;
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0].second, "19.99 EUR");
  EXPECT_EQ(f[1].second, "2");
  EXPECT_EQ(f[2].second, "B");
  EXPECT_EQ(f[3].second, "card declined");
}

TEST_F(EventTest, SemanticConventionConstantsAreFieldNames) {
  auto s = std::make_shared<RecordingSubscriber>("info");
  set_global_subscriber(s);
  namespace sc = edgetrace::semconv;
  ET_INFO("answered", field<sc::http::kRequestMethod>("GET"),
          field<sc::http::kResponseStatusCode>(200), field<"custom">(1));
  ASSERT_EQ(s->events.size(), 1u);
  EXPECT_EQ(
      s->events[0].declared_fields,
      (std::vector<std::string>{"http.request.method", "http.response.status_code", "custom"}));
  ASSERT_EQ(s->events[0].fields.size(), 3u);
  EXPECT_EQ(s->events[0].fields[0],
            (std::pair<std::string, std::string>{"http.request.method", "GET"}));
  EXPECT_EQ(s->events[0].fields[1].second, "200");
}

TEST_F(EventTest, FormattedMessageIsNotFormattedWhenTheSubscriberRefusesIt) {
  auto s = std::make_shared<RecordingSubscriber>("info");
  s->dynamic = true;
  s->allow_dynamic = false;
  set_global_subscriber(s);
  int formatted = 0;
  ET_INFOF("value {}", ++formatted);
  EXPECT_EQ(formatted, 1);         // arguments of a possibly enabled call site are evaluated...
  EXPECT_TRUE(s->events.empty());  // ...but the refused event is not delivered
  s->allow_dynamic = true;
  ET_INFOF("{} and {}", std::string(40, 'a'), 7);
  ASSERT_EQ(s->events.size(), 1u);
  EXPECT_EQ(s->events[0].message, std::string(40, 'a') + " and 7");
}

struct LogsWhenFormatted {};
}  // namespace
}  // namespace edgetrace::sdk

template <>
struct fmt::formatter<edgetrace::sdk::LogsWhenFormatted> : fmt::formatter<std::string_view> {
  auto format(const edgetrace::sdk::LogsWhenFormatted&, fmt::format_context& ctx) const {
    ET_DEBUGF("inner {}", 2);  // formats while the outer message is being built
    return fmt::formatter<std::string_view>::format("x", ctx);
  }
};

namespace edgetrace::sdk {
namespace {

TEST_F(EventTest, FormattedMessagesNestInsideFormatters) {
  auto s = std::make_shared<RecordingSubscriber>("trace");
  set_global_subscriber(s);
  ET_INFOF("outer {} end", LogsWhenFormatted{});
  ASSERT_EQ(s->events.size(), 2u);
  EXPECT_EQ(s->events[0].message, "inner 2");
  EXPECT_EQ(s->events[1].message, "outer x end");
}

TEST_F(EventTest, CallSitesAreRegisteredOnce) {
  auto s = std::make_shared<RecordingSubscriber>("info");
  set_global_subscriber(s);
  const std::size_t before = registered_callsites();
  for (int i = 0; i < 10; ++i)
    ET_INFO("loop");
  EXPECT_EQ(registered_callsites() - before, 1u);
}

}  // namespace
}  // namespace edgetrace::sdk
