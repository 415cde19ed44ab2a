// DeviceHttpReceiver over real sockets into the real device path: what a 202 means (the
// spans and logs are in the durable queue and exported), identity from headers, and every
// refusal (401, 413, 400, 503 with Retry-After, 404, 405) leaving nothing behind.
#include "receivers/device_http.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "receivers/receiver_test_support.hpp"

namespace edgetrace::daemon {
namespace {

using namespace testing;

constexpr std::string_view kPath = "/v1/device/frames";

class DeviceHttpTest : public ::testing::Test {
 protected:
  void start(DeviceHttpOptions options = {}) {
    options.listen = "127.0.0.1:0";
    receiver_ = std::make_unique<DeviceHttpReceiver>(std::move(options), *path_.pipeline);
    ASSERT_TRUE(receiver_->start().ok());
    ASSERT_NE(receiver_->port(), 0);
    ASSERT_TRUE(receiver_->ready());
  }
  std::uint16_t port() const { return receiver_->port(); }
  std::string metrics() const {
    MetricsText out;
    receiver_->write_metrics(out);
    return out.text();
  }
  std::uint64_t streams_opened() { return path_.counters("device_http").streams_opened.load(); }

  ReceiverTestPath path_;
  std::vector<std::uint8_t> stream_ = fixture_stream();
  std::unique_ptr<DeviceHttpReceiver> receiver_;
};

TEST_F(DeviceHttpTest, StreamWithHandshakeIsExportedAndAnswered202) {
  start();
  const HttpReply reply = http_post(port(), kPath, as_text(stream_));
  EXPECT_EQ(reply.status, 202) << reply.head << reply.body;
  EXPECT_EQ(reply.body, "queued\n");
  // 202 came after feed() and finish(): the data is already in the queue.
  EXPECT_EQ(path_.queue().counters().spans_appended.load(), 2u);
  EXPECT_EQ(path_.queue().counters().logs_appended.load(), 4u);
  ASSERT_TRUE(path_.wait_for(2, 4));
  const Exported e = path_.exported();
  EXPECT_EQ(e.span_names, (std::vector<std::string>{"report", "report"}));
  EXPECT_EQ(e.log_bodies, kFixtureLogs);
  ASSERT_FALSE(e.device_ids.empty());
  for (const std::string& id : e.device_ids)
    EXPECT_EQ(id, "d301");
  EXPECT_EQ(path_.counters("device_http").streams_active.load(), 0u);  // finished
  receiver_->stop();
  EXPECT_FALSE(receiver_->ready());
  const std::string m = metrics();
  EXPECT_NE(
      m.find("edgetraced_device_http_requests_total{receiver=\"device_http\",code=\"202\"} 1"),
      std::string::npos)
      << m;
  EXPECT_NE(m.find("edgetraced_device_http_body_bytes_total{receiver=\"device_http\"} " +
                   std::to_string(stream_.size())),
            std::string::npos)
      << m;
}

TEST_F(DeviceHttpTest, FramesOnlyWithIdentityHeadersAreDecoded) {
  start();
  const std::vector<std::uint8_t> body = frames(stream_, 1);  // no handshake
  const HttpReply reply =
      http_post(port(), kPath, as_text(body),
                {"X-Edgetrace-Device-Id: 00C0FFEE", "X-Edgetrace-Build-Id: " + path_.build_id_hex,
                 "X-Edgetrace-Stream-Format: edgetrace"});
  EXPECT_EQ(reply.status, 202) << reply.body;
  ASSERT_TRUE(path_.wait_for(2, 4));
  const Exported e = path_.exported();
  EXPECT_EQ(e.log_bodies, kFixtureLogs);  // decoded with the table the header named
  ASSERT_FALSE(e.device_ids.empty());
  for (const std::string& id : e.device_ids)
    EXPECT_EQ(id, "00c0ffee");
}

TEST_F(DeviceHttpTest, UnknownBuildIdIsHeldAndSaysSo) {
  start();
  const HttpReply reply =
      http_post(port(), kPath, as_text(frames(stream_, 1)),
                {"X-Edgetrace-Device-Id: d301",
                 "X-Edgetrace-Build-Id: 0123456789abcdef0123456789abcdef01234567"});
  EXPECT_EQ(reply.status, 202);
  EXPECT_NE(reply.body.find("held"), std::string::npos) << reply.body;
  EXPECT_EQ(path_.pipeline->held_streams(), 1u);
}

TEST_F(DeviceHttpTest, BadRequestsAre400WithAReasonAndOpenNoStream) {
  start();
  struct Case {
    std::string body;
    std::vector<std::string> headers;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {as_text(frames(stream_, 1)), {}, "no handshake"},
      {as_text(frames(stream_, 1)),
       {"X-Edgetrace-Build-Id: " + path_.build_id_hex},
       "no handshake"},
      {as_text(stream_), {"X-Edgetrace-Device-Id: d3x1"}, "X-Edgetrace-Device-Id: not hex"},
      {as_text(stream_), {"X-Edgetrace-Build-Id: abc"}, "X-Edgetrace-Build-Id: expected"},
      {as_text(stream_), {"X-Edgetrace-Stream-Format: defmt"}, "X-Edgetrace-Stream-Format"},
      {as_text(stream_), {"X-Edgetrace-Stream-Format: defmt-raw"}, "needs X-Edgetrace-Build-Id"},
      {"this is not a device stream\n", {}, "no valid edgetrace frame"},
      {"", {}, "empty body"},
  };
  for (const Case& c : cases) {
    const HttpReply reply = http_post(port(), kPath, c.body, c.headers);
    EXPECT_EQ(reply.status, 400) << c.reason;
    EXPECT_NE(reply.body.find(c.reason), std::string::npos) << reply.body;
    EXPECT_EQ(reply.body.find('\n'), reply.body.size() - 1) << "one line: " << reply.body;
  }
  EXPECT_EQ(streams_opened(), 0u);
  EXPECT_EQ(receiver_->counters().bad_request.load(), cases.size());
  EXPECT_NE(metrics().find("code=\"400\"} " + std::to_string(cases.size())), std::string::npos);
}

TEST_F(DeviceHttpTest, TokenFileRequiresTheBearerToken) {
  const std::string token_file = path_.dir.file("device.token");
  std::ofstream(token_file) << "s3cret-device-token\n";
  start({.token_file = token_file});
  for (const std::vector<std::string>& auth : {std::vector<std::string>{},
                                               {"Authorization: Bearer wrong-token-of-same-size"},
                                               {"Authorization: Bearer s3cret-device-toke"},
                                               {"Authorization: Basic czNjcmV0"}}) {
    const HttpReply reply = http_post(port(), kPath, as_text(stream_), auth);
    EXPECT_EQ(reply.status, 401);
    EXPECT_EQ(reply.header("WWW-Authenticate"), "Bearer realm=\"edgetraced\"");
    EXPECT_EQ(reply.body.find("s3cret"), std::string::npos);
  }
  EXPECT_EQ(streams_opened(), 0u);
  const HttpReply ok =
      http_post(port(), kPath, as_text(stream_), {"Authorization: bearer  s3cret-device-token "});
  EXPECT_EQ(ok.status, 202) << ok.body;
  ASSERT_TRUE(path_.wait_for(2, 4));
  const std::string m = metrics();
  EXPECT_NE(m.find("code=\"401\"} 4"), std::string::npos) << m;
  EXPECT_EQ(m.find("s3cret"), std::string::npos);
}

TEST_F(DeviceHttpTest, UnreadableTokenFileFailsStart) {
  DeviceHttpReceiver r({.listen = "127.0.0.1:0", .token_file = path_.dir.file("missing")},
                       *path_.pipeline);
  const core::Status s = r.start();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("receivers.device_http.token_file"), std::string::npos) << s.message();
}

TEST_F(DeviceHttpTest, BodyOverTheLimitIs413BeforeItIsRead) {
  start({.max_body_bytes = 1024});
  // Only the headers are sent: the answer comes from the Content-Length alone.
  const HttpReply big = http_exchange(port(),
                                      "POST /v1/device/frames HTTP/1.1\r\nHost: x\r\n"
                                      "Content-Length: 1025\r\n\r\n");
  EXPECT_EQ(big.status, 413);
  // A body at the limit is taken (the stream is far below it; padding up to a first
  // delimiter is skipped by the decoder).
  std::string body(1024 - stream_.size() - 1, '\x55');
  body += '\0';
  body += as_text(stream_);
  EXPECT_EQ(http_post(port(), kPath, body).status, 202);
  EXPECT_EQ(streams_opened(), 1u);
  EXPECT_NE(metrics().find("code=\"413\"} 1"), std::string::npos) << metrics();
}

TEST_F(DeviceHttpTest, QueueRefusalIs503WithRetryAfter) {
  start({.retry_after = std::chrono::seconds(7)});
  path_.queue().stop(std::chrono::steady_clock::now());  // appends now fail
  const HttpReply reply = http_post(port(), kPath, as_text(stream_));
  EXPECT_EQ(reply.status, 503) << reply.body;
  EXPECT_EQ(reply.header("Retry-After"), "7");
  EXPECT_GE(path_.counters("device_http").queue_refusals.load(), 1u);
  EXPECT_EQ(receiver_->counters().accepted.load(), 0u);
  EXPECT_NE(metrics().find("code=\"503\"} 1"), std::string::npos);
}

TEST_F(DeviceHttpTest, OtherPathsAndMethodsAre404And405) {
  start();
  EXPECT_EQ(http_post(port(), "/v1/device/other", as_text(stream_)).status, 404);
  EXPECT_EQ(http_exchange(port(),
                          "GET /v1/device/frames HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .status,
            405);
  EXPECT_EQ(streams_opened(), 0u);
  const std::string m = metrics();
  EXPECT_NE(m.find("code=\"404\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("code=\"405\"} 1"), std::string::npos) << m;
}

TEST_F(DeviceHttpTest, EmptyListenIsDisabled) {
  DeviceHttpReceiver r({}, *path_.pipeline);
  EXPECT_TRUE(r.start().ok());
  EXPECT_EQ(r.port(), 0);
  EXPECT_TRUE(r.ready());  // nothing to wait for
  EXPECT_EQ(r.name(), "device_http");
}

}  // namespace
}  // namespace edgetrace::daemon
