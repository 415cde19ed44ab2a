// Counts heap allocations on the calling thread while events and spans flow through the SDK
// in steady state. Its own executable: it replaces the global operator new.
#define ET_TARGET "alloc"
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <string>

#include "edgetrace/edgetrace.hpp"
#include "internal/fast_clock.hpp"

namespace {
thread_local std::size_t t_allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  ++t_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size))
    return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  ++t_allocations;
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size) {
  return operator new(size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

namespace edgetrace::sdk {
namespace {

using edgetrace::field;

// A layer that reads every field and keeps span records for a while, as exporting layers do.
class ReadingLayer : public Layer {
 public:
  void on_event(const Event& e) override {
    for (const Field& f : e.fields)
      touched += f.name.size() + (f.value.kind() == Value::Kind::kString ? 1 : 0);
  }
  void on_close(const SpanRecord& s) override {
    kept[next++ % kKept] = SpanRef(const_cast<SpanRecord*>(&s));
  }
  static constexpr std::size_t kKept = 64;
  SpanRef kept[kKept];
  std::size_t next = 0;
  std::size_t touched = 0;
};

std::size_t run_workload(int rounds) {
  const std::string long_value(100, 'v');  // longer than any small-string buffer
  const std::size_t before = t_allocations;
  for (int i = 0; i < rounds; ++i) {
    auto request = ET_SPAN("request", field<"http.request.method">("GET"),
                           field<"url.path">(long_value), field<"attempt">(i));
    request.record("http.response.status_code", 200);
    ET_INFO("accepted", field<"order_id">(i), field<"amount">(12.5));
    {
      auto child = ET_SPAN("db", field<"db.query.text">(long_value));
      ET_DEBUG("query", field<"rows">(3u), field<"table">(std::string_view("orders")));
    }
    // Formatted messages longer than any small-string buffer, with a string argument.
    ET_INFOF("request {} for {} answered with {} after {:.3f} ms", i, long_value, 200, 1.5);
    ET_WARNF("{}", long_value);
  }
  return t_allocations - before;
}

TEST(AllocationTest, NoHeapAllocationPerEventOrSpanInSteadyState) {
  auto tracing = std::make_shared<Tracing>(Tracing::Options{.sampler = Sampler::always_on()});
  tracing->add_layer(std::make_unique<ReadingLayer>(), Filter::parse("trace").value());
  set_global_subscriber(tracing);
  (void)internal::now_unix_nanos();
  run_workload(1000);  // warm-up: pools and buffers grow to their working size
  const std::size_t allocations = run_workload(10000);
  set_global_subscriber(nullptr);
  EXPECT_EQ(allocations, 0u) << "heap allocations during 10000 rounds of 2 spans + 4 events";
}

// The control for the formatted forms: formatting the same message into a std::string, as
// the ET_*F forms did before, allocates every time.
TEST(AllocationTest, FormattingIntoAStringWouldAllocate) {
  const std::string long_value(100, 'v');
  const std::size_t before = t_allocations;
  for (int i = 0; i < 100; ++i) {
    const std::string message = fmt::format("request {} for {}", i, long_value);
    EXPECT_FALSE(message.empty());
  }
  EXPECT_GE(t_allocations - before, 100u);
}

TEST(AllocationTest, TheCounterSeesAllocations) {
  const std::size_t before = t_allocations;
  auto* p = new std::string(100, 'x');
  delete p;
  EXPECT_GE(t_allocations - before, 1u);
}

}  // namespace
}  // namespace edgetrace::sdk
