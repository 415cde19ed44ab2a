#include "edgetrace/core/ids.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>
#include <vector>

namespace edgetrace::core {
namespace {

TEST(IdsTest, DefaultIsInvalidAllZero) {
  EXPECT_FALSE(TraceId().valid());
  EXPECT_FALSE(SpanId().valid());
  EXPECT_EQ(TraceId().to_hex(), std::string(32, '0'));
}

TEST(IdsTest, HexRoundTrip) {
  Result<TraceId> t = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->valid());
  EXPECT_EQ(t->bytes()[0], 0x4b);
  EXPECT_EQ(t->bytes()[15], 0x36);
  EXPECT_EQ(t->to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  Result<SpanId> s = SpanId::from_hex("00f067aa0ba902b7");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->to_hex(), "00f067aa0ba902b7");
}

TEST(IdsTest, RejectsWrongLengthAndBadCharacters) {
  EXPECT_FALSE(SpanId::from_hex("00f067aa0ba902b").ok());
  EXPECT_FALSE(SpanId::from_hex("00f067aa0ba902b70").ok());
  Result<SpanId> bad = SpanId::from_hex("00f067aa0bg902b7");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("offset 10"), std::string::npos) << bad.status().message();
}

TEST(IdsTest, UppercaseOnlyWhenAsked) {
  EXPECT_FALSE(SpanId::from_hex("00F067AA0BA902B7").ok());
  Result<SpanId> any = SpanId::from_hex("00F067AA0BA902B7", HexCase::kAny);
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->to_hex(), "00f067aa0ba902b7");
}

TEST(IdsTest, RandomIdsAreValidAndDistinct) {
  std::set<TraceId> traces;
  std::set<SpanId> spans;
  for (int i = 0; i < 10000; ++i) {
    TraceId t = TraceId::random();
    SpanId s = SpanId::random();
    ASSERT_TRUE(t.valid());
    ASSERT_TRUE(s.valid());
    traces.insert(t);
    spans.insert(s);
  }
  EXPECT_EQ(traces.size(), 10000u);
  EXPECT_EQ(spans.size(), 10000u);
}

TEST(IdsTest, RandomBytesAreSpreadOverAllPositions) {
  // Every byte position of a trace id must vary (a generator filling only 8 of 16 bytes
  // would fail this).
  std::vector<std::set<std::uint8_t>> seen(16);
  for (int i = 0; i < 2000; ++i) {
    TraceId t = TraceId::random();
    for (std::size_t b = 0; b < 16; ++b)
      seen[b].insert(t.bytes()[b]);
  }
  for (std::size_t b = 0; b < 16; ++b)
    EXPECT_GT(seen[b].size(), 200u) << "byte " << b;
}

TEST(IdsTest, ThreadsGetIndependentStreams) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5000;
  std::vector<std::vector<SpanId>> out(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i)
        out[t].push_back(SpanId::random());
    });
  }
  for (auto& th : threads)
    th.join();
  std::set<SpanId> all;
  for (const auto& v : out)
    all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

// Forks; the child makes a span id with `make` and sends it back; then the parent makes
// one. Both ids are returned (child first).
template <typename Make>
std::pair<SpanId, SpanId> ids_of_child_and_parent(Make make) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  EXPECT_GE(pid, 0);
  if (pid == 0) {
    SpanId child = make();
    ssize_t n = write(fds[1], child.bytes().data(), 8);
    _exit(n == 8 ? 0 : 1);
  }
  SpanId parent = make();
  std::array<std::uint8_t, 8> child_bytes{};
  EXPECT_EQ(read(fds[0], child_bytes.data(), 8), 8);
  int status = 0;
  waitpid(pid, &status, 0);
  close(fds[0]);
  close(fds[1]);
  return {SpanId(child_bytes), parent};
}

TEST(IdsTest, ForkedChildDoesNotRepeatParentIds) {
  (void)SpanId::random();  // make sure this thread's generator is seeded before fork
  const auto [child, parent] = ids_of_child_and_parent([] { return SpanId::random(); });
  EXPECT_TRUE(child.valid());
  EXPECT_NE(child, parent);
}

// random_span_ids has its own generator (a 128-bit Lehmer generator seeded per thread).
TEST(IdsTest, SpanIdsOfOneCallAreValidAndDistinctAcrossCalls) {
  std::set<std::string> traces;
  std::set<std::string> spans;
  constexpr int kCalls = 20000;
  for (int i = 0; i < kCalls; ++i) {
    TraceId t;
    SpanId s;
    random_span_ids(&t, s);
    ASSERT_TRUE(t.valid());
    ASSERT_TRUE(s.valid());
    traces.insert(t.to_hex());
    spans.insert(s.to_hex());
    SpanId child;
    random_span_ids(nullptr, child);  // a child span: span id only
    ASSERT_TRUE(child.valid());
    spans.insert(child.to_hex());
  }
  EXPECT_EQ(traces.size(), static_cast<std::size_t>(kCalls));
  EXPECT_EQ(spans.size(), static_cast<std::size_t>(2 * kCalls));
}

TEST(IdsTest, SpanIdBitsAreBalancedAtEveryPosition) {
  // Each of the 64 + 128 bit positions is set in about half of 4096 draws (a binomial with
  // sd 32: 1,700..2,400 is more than 10 sd wide, so this fails only for a broken generator).
  std::array<int, 64> span_ones{};
  std::array<int, 128> trace_ones{};
  for (int i = 0; i < 4096; ++i) {
    TraceId t;
    SpanId s;
    random_span_ids(&t, s);
    for (int b = 0; b < 64; ++b)
      span_ones[static_cast<std::size_t>(b)] +=
          (s.bytes()[static_cast<std::size_t>(b / 8)] >> (b % 8)) & 1;
    for (int b = 0; b < 128; ++b)
      trace_ones[static_cast<std::size_t>(b)] +=
          (t.bytes()[static_cast<std::size_t>(b / 8)] >> (b % 8)) & 1;
  }
  for (int n : span_ones) {
    EXPECT_GT(n, 1700);
    EXPECT_LT(n, 2400);
  }
  for (int n : trace_ones) {
    EXPECT_GT(n, 1700);
    EXPECT_LT(n, 2400);
  }
}

TEST(IdsTest, SpanIdsDifferBetweenThreadsAndAfterFork) {
  SpanId here;
  random_span_ids(nullptr, here);  // this thread's generator is seeded before the fork
  std::vector<std::string> other;
  std::thread([&] {
    for (int i = 0; i < 100; ++i) {
      SpanId s;
      random_span_ids(nullptr, s);
      other.push_back(s.to_hex());
    }
  }).join();
  std::set<std::string> mine;
  for (int i = 0; i < 100; ++i) {
    SpanId s;
    random_span_ids(nullptr, s);
    mine.insert(s.to_hex());
  }
  for (const std::string& o : other)
    EXPECT_EQ(mine.count(o), 0u);

  const auto [child, parent] = ids_of_child_and_parent([] {
    SpanId s;
    random_span_ids(nullptr, s);
    return s;
  });
  EXPECT_TRUE(child.valid());
  EXPECT_NE(child, parent);
}

}  // namespace
}  // namespace edgetrace::core
