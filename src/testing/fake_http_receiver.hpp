// FakeOtlpHttpReceiver: a real OTLP/HTTP receiver on 127.0.0.1 for tests and benchmarks.
//
//   FakeOtlpHttpReceiver rx;                                // listens on an ephemeral port
//   rx.script({Reply::http(429).with_retry_after("0"), Reply::ok()});
//   options.endpoint = rx.url("/v1/traces");
//   ... export ...
//   ASSERT_TRUE(rx.wait_for_requests(2, 5s));
//   EXPECT_EQ(rx.received()[1].traces.resource_spans_size(), 1);
//
// It serves POST /v1/traces, /v1/logs and /v1/metrics with application/x-protobuf or
// application/json bodies (optionally gzip), keeps connections alive, decodes and records
// each request, and answers as scripted (status, Retry-After, partial success, delay,
// dropped connection). With set_max_body_bytes(n) it answers 413 to larger bodies, as a
// real receiver with a size limit does. With set_discard(true) it records only counts
// (for load tests).
//
// It is an edgetrace::net::HttpServer (POST on any path; bodies passed as sent, so gzip is
// recorded and inflated here). Delayed replies wait on threads of their own, so a delay
// never holds up another connection.
//
// Thread-safety: every method may be called from the test thread while requests are
// served. stop() (and the destructor) return after closing every connection.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fake_receiver_script.hpp"

namespace edgetrace::testing {

class FakeOtlpHttpReceiver {
 public:
  FakeOtlpHttpReceiver();
  ~FakeOtlpHttpReceiver();
  FakeOtlpHttpReceiver(const FakeOtlpHttpReceiver&) = delete;
  FakeOtlpHttpReceiver& operator=(const FakeOtlpHttpReceiver&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  // "http://127.0.0.1:<port>" + path
  std::string url(std::string_view path = "") const;

  void script(std::vector<Reply> replies);
  void set_max_body_bytes(std::size_t n);
  void set_discard(bool discard);

  std::vector<ReceivedRequest> received() const;
  std::size_t request_count() const;
  // Items (spans + log records + data points) received in requests answered with success.
  std::uint64_t items_accepted() const noexcept { return items_accepted_.load(); }
  std::size_t connections_accepted() const noexcept;
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;

  void stop();

 private:
  struct Impl;
  struct Pending;
  void handle(std::shared_ptr<Pending> pending);

  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
  std::atomic<std::uint64_t> items_accepted_{0};

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<Reply> script_;
  std::vector<ReceivedRequest> received_;
  std::size_t request_count_ = 0;
  std::size_t max_body_bytes_ = 0;
  bool discard_ = false;
  bool stopping_ = false;
  std::vector<std::thread> delayed_;  // replies with a delay, joined by stop()
};

}  // namespace edgetrace::testing
