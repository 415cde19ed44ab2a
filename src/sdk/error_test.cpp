// Errors passed to events (error.hpp): one argument, two fields with static names.
#define ET_TARGET "checkout"
#include "edgetrace/sdk/error.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "edgetrace/sdk/event.hpp"

namespace shop {
struct CardDeclined : std::runtime_error {
  using std::runtime_error::runtime_error;
};
}  // namespace shop

namespace edgetrace::sdk {
namespace {

using edgetrace::field;

struct Received {
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<std::string> declared;
  bool names_are_static = true;  // each field's name is the metadata's own view
};

class Recorder : public Subscriber {
 public:
  Interest register_callsite(const Metadata&) override { return Interest::kAlways; }
  bool enabled(const Metadata&) override { return true; }
  void event(const Event& e) override {
    Received r;
    for (std::size_t i = 0; i < e.fields.size(); ++i) {
      const Field& f = e.fields[i];
      r.fields.emplace_back(std::string(f.name), f.value.to_display_string());
      if (i >= e.metadata.field_names.size() || e.metadata.field_names[i].data() != f.name.data())
        r.names_are_static = false;
    }
    for (std::string_view n : e.metadata.field_names)
      r.declared.emplace_back(n);
    events.push_back(std::move(r));
  }
  std::vector<Received> events;
};

class ErrorTest : public ::testing::Test {
 protected:
  void SetUp() override { set_global_subscriber(recorder_); }
  void TearDown() override { set_global_subscriber(nullptr); }
  std::shared_ptr<Recorder> recorder_ = std::make_shared<Recorder>();
};

using Fields = std::vector<std::pair<std::string, std::string>>;

TEST_F(ErrorTest, ExceptionBecomesTypeAndMessageFields) {
  try {
    throw shop::CardDeclined("card declined");
  } catch (const std::exception& e) {
    ET_ERROR("payment failed", field<"order.id">(42), edgetrace::sdk::error(e),
             field<"retry">(false));
  }
  ASSERT_EQ(recorder_->events.size(), 1u);
  const Received& r = recorder_->events[0];
  // The dynamic type, demangled, in the argument's position among the other fields.
  EXPECT_EQ(r.fields, (Fields{{"order.id", "42"},
                              {"exception.type", "shop::CardDeclined"},
                              {"exception.message", "card declined"},
                              {"retry", "false"}}));
  EXPECT_EQ(r.declared,
            (std::vector<std::string>{"order.id", "exception.type", "exception.message", "retry"}));
  EXPECT_TRUE(r.names_are_static);
}

TEST_F(ErrorTest, ErrorCodeNamesCategoryAndValue) {
  const std::error_code ec = std::make_error_code(std::errc::connection_refused);
  ET_WARN("connect failed", edgetrace::sdk::error(ec));
  ASSERT_EQ(recorder_->events.size(), 1u);
  EXPECT_EQ(recorder_->events[0].fields,
            (Fields{{"exception.type", "generic:" + std::to_string(ec.value())},
                    {"exception.message", ec.message()}}));
}

TEST_F(ErrorTest, NamedErrorAndStandardExceptions) {
  ET_ERROR("quota", edgetrace::sdk::error("shop::QuotaExceeded", "over 100 requests"));
  ET_ERROR("oom", edgetrace::sdk::error(std::bad_alloc()));
  ASSERT_EQ(recorder_->events.size(), 2u);
  EXPECT_EQ(recorder_->events[0].fields, (Fields{{"exception.type", "shop::QuotaExceeded"},
                                                 {"exception.message", "over 100 requests"}}));
  EXPECT_EQ(recorder_->events[1].fields[0],
            (std::pair<std::string, std::string>{"exception.type", "std::bad_alloc"}));
}

int evaluations = 0;
ErrorFields counted_error() {
  ++evaluations;
  return error("t", "m");
}

TEST_F(ErrorTest, ArgumentIsNotEvaluatedWhenTheCallSiteIsOff) {
  set_global_subscriber(nullptr);
  ET_ERROR("off", counted_error());
  EXPECT_EQ(evaluations, 0);
  set_global_subscriber(recorder_);
  ET_ERROR("on", counted_error());
  EXPECT_EQ(evaluations, 1);
}

}  // namespace
}  // namespace edgetrace::sdk
