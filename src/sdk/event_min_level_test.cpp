// ET_MIN_LEVEL removes call sites below it at compile time.
#define ET_MIN_LEVEL 3  // warn
#include <gtest/gtest.h>

#include "edgetrace/sdk/event.hpp"

namespace edgetrace::sdk {
namespace {

using edgetrace::field;

class CountingSubscriber : public Subscriber {
 public:
  Interest register_callsite(const Metadata&) override { return Interest::kAlways; }
  bool enabled(const Metadata&) override { return true; }
  void event(const Event&) override { ++events; }
  int events = 0;
};

int evaluations = 0;
int costly() {
  return ++evaluations;
}

TEST(EventMinLevelTest, CallSitesBelowTheMinimumDoNotExist) {
  auto s = std::make_shared<CountingSubscriber>();
  set_global_subscriber(s);
  const std::size_t before = registered_callsites();
  ET_TRACE("gone", field<"v">(costly()));
  ET_DEBUG("gone");
  ET_INFO("gone");
  EXPECT_EQ(registered_callsites(), before);  // never even registered
  EXPECT_EQ(evaluations, 0);
  EXPECT_EQ(s->events, 0);
  ET_WARN("kept", field<"v">(costly()));
  EXPECT_EQ(s->events, 1);
  EXPECT_EQ(evaluations, 1);
  set_global_subscriber(nullptr);
}

}  // namespace
}  // namespace edgetrace::sdk
