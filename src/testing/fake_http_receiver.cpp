#include "fake_http_receiver.hpp"

#include <cstdio>
#include <cstdlib>

#include "edgetrace/core/text.hpp"
#include "edgetrace/net/http_server.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "edgetrace/otlp/exporter.hpp"
#include "internal/http_transport.hpp"

namespace edgetrace::testing {
namespace {

// google.rpc.Status{code, message} in protobuf form.
std::string rpc_status(int code, const std::string& message) {
  std::string out;
  out.push_back(0x08);
  out.push_back(static_cast<char>(code & 0x7f));
  out.push_back(0x12);
  std::size_t n = message.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  out += message;
  return out;
}

void set_rejected(opentelemetry::proto::collector::trace::v1::ExportTracePartialSuccess* p,
                  std::int64_t n) {
  p->set_rejected_spans(n);
}
void set_rejected(opentelemetry::proto::collector::logs::v1::ExportLogsPartialSuccess* p,
                  std::int64_t n) {
  p->set_rejected_log_records(n);
}
void set_rejected(opentelemetry::proto::collector::metrics::v1::ExportMetricsPartialSuccess* p,
                  std::int64_t n) {
  p->set_rejected_data_points(n);
}

template <typename Response>
std::string success_body(const Reply& reply, bool json) {
  Response response;
  if (reply.rejected_items != 0 || !reply.message.empty()) {
    set_rejected(response.mutable_partial_success(), reply.rejected_items);
    response.mutable_partial_success()->set_error_message(reply.message);
  }
  std::string out;
  if (json) {
    otlp::encode_json_message(response, out);
  } else {
    otlp::encode_protobuf_message(response, out);
  }
  return out;
}

}  // namespace

struct FakeOtlpHttpReceiver::Impl {
  std::unique_ptr<net::HttpServer> server;
};

// One request on its way to an answer.
struct FakeOtlpHttpReceiver::Pending {
  net::Request request;
  net::Responder responder;
};

FakeOtlpHttpReceiver::FakeOtlpHttpReceiver() : impl_(std::make_unique<Impl>()) {
  net::HttpServerOptions options;
  options.listen = "127.0.0.1:0";
  options.io_threads = 2;
  options.max_connections = 4096;
  options.max_body_bytes = 64 * 1024 * 1024;
  options.decompress_gzip = false;  // recorded as sent, inflated in handle()
  options.server_name.clear();
  impl_->server = std::make_unique<net::HttpServer>(options);
  impl_->server->route_prefix("POST", "/", [this](net::Request&& request, net::Responder r) {
    handle(std::make_shared<Pending>(Pending{std::move(request), std::move(r)}));
  });
  core::Status st = impl_->server->start();
  if (!st.ok()) {
    std::fprintf(stderr, "FakeOtlpHttpReceiver: %s\n", st.to_string().c_str());
    std::abort();
  }
  port_ = impl_->server->port();
}

FakeOtlpHttpReceiver::~FakeOtlpHttpReceiver() {
  stop();
}

std::size_t FakeOtlpHttpReceiver::connections_accepted() const noexcept {
  return static_cast<std::size_t>(impl_->server->counters().connections_accepted.load());
}

std::string FakeOtlpHttpReceiver::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

void FakeOtlpHttpReceiver::script(std::vector<Reply> replies) {
  std::lock_guard<std::mutex> lock(mu_);
  script_.assign(replies.begin(), replies.end());
}

void FakeOtlpHttpReceiver::set_max_body_bytes(std::size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  max_body_bytes_ = n;
}

void FakeOtlpHttpReceiver::set_discard(bool discard) {
  std::lock_guard<std::mutex> lock(mu_);
  discard_ = discard;
}

std::vector<ReceivedRequest> FakeOtlpHttpReceiver::received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_;
}

std::size_t FakeOtlpHttpReceiver::request_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return request_count_;
}

bool FakeOtlpHttpReceiver::wait_for_requests(std::size_t n,
                                             std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return request_count_ >= n; });
}

void FakeOtlpHttpReceiver::stop() {
  std::vector<std::thread> delayed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_)
      return;
    stopping_ = true;
    delayed.swap(delayed_);
  }
  cv_.notify_all();  // delayed replies give up and drop their connection
  for (auto& t : delayed)
    t.join();
  impl_->server->stop(std::chrono::milliseconds(0));
}

void FakeOtlpHttpReceiver::handle(std::shared_ptr<Pending> pending) {
  const net::Request& req = pending->request;
  ReceivedRequest rec;
  rec.path = req.target;
  for (const auto& h : req.headers)
    rec.headers[core::to_lower_ascii(h.name)] = h.value;
  rec.content_type = std::string(req.header("Content-Type"));
  rec.gzip = core::to_lower_ascii(req.header("Content-Encoding")) == "gzip";
  rec.body_bytes = req.body.size();
  const bool json = rec.content_type.find("json") != std::string::npos;

  Reply reply;
  std::size_t max_body = 0;
  bool discard = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!script_.empty()) {
      reply = script_.front();
      script_.pop_front();
    }
    max_body = max_body_bytes_;
    discard = discard_;
  }

  std::string body = req.body;
  if (rec.gzip) {
    core::Result<std::string> inflated = otlp::internal::gzip_decompress(body, 64 * 1024 * 1024);
    if (inflated) {
      body = std::move(inflated).value();
    } else {
      rec.decode_error = inflated.status().message();
    }
  }
  std::size_t items = 0;
  if (rec.decode_error.empty()) {
    core::Status s;
    auto decode = [&](auto& message) {
      s = json ? otlp::decode_json_message(body, message)
               : otlp::decode_protobuf_message(body, message);
      items = otlp::count_items(message);
    };
    if (rec.path == "/v1/traces") {
      decode(rec.traces);
    } else if (rec.path == "/v1/logs") {
      decode(rec.logs);
    } else if (rec.path == "/v1/metrics") {
      decode(rec.metrics);
    } else {
      s = core::not_found("no such path " + rec.path);
    }
    if (!s.ok())
      rec.decode_error = s.message();
  }

  net::Response res;
  int status = reply.http_status;
  if (max_body != 0 && req.body.size() > max_body) {
    status = 413;
    reply.message = "request of " + std::to_string(req.body.size()) + " bytes exceeds " +
                    std::to_string(max_body);
  } else if (!rec.decode_error.empty() && status == 200) {
    status = 400;
    reply.message = rec.decode_error;
  }
  res.status = status;
  if (status >= 200 && status < 300) {
    res.content_type = json ? "application/json" : "application/x-protobuf";
    if (rec.path == "/v1/traces") {
      res.body = success_body<otlp::TraceResponse>(reply, json);
    } else if (rec.path == "/v1/logs") {
      res.body = success_body<otlp::LogsResponse>(reply, json);
    } else {
      res.body = success_body<otlp::MetricsResponse>(reply, json);
    }
  } else {
    res.content_type = "application/x-protobuf";
    res.body = rpc_status(status == 400 ? 3 : 14, reply.message);
    if (reply.retry_after)
      res.headers.push_back({"Retry-After", *reply.retry_after});
  }
  const bool accepted = status >= 200 && status < 300 && !reply.drop_connection;

  // Recorded before the answer, as a receiver that processed the request.
  auto record = [this, rec = std::move(rec), discard, accepted, items]() mutable {
    if (accepted)
      items_accepted_.fetch_add(items);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++request_count_;
      if (!discard)
        received_.push_back(std::move(rec));
    }
    // A discarded request's decoded messages are freed here, before the answer: freeing them
    // after it would still be using a core when the client's export has returned.
    if (discard)
      rec = {};
    cv_.notify_all();
  };
  auto answer = [pending, res = std::move(res), drop = reply.drop_connection]() mutable {
    if (drop) {
      pending->responder.abort();
    } else {
      pending->responder.respond(std::move(res));
    }
  };
  if (reply.delay.count() <= 0) {
    record();
    answer();
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) {
    pending->responder.abort();
    return;
  }
  delayed_.emplace_back([this, delay = reply.delay, record = std::move(record),
                         answer = std::move(answer), pending]() mutable {
    {
      std::unique_lock<std::mutex> wait_lock(mu_);
      if (cv_.wait_for(wait_lock, delay, [&] { return stopping_; })) {
        wait_lock.unlock();
        pending->responder.abort();
        return;
      }
    }
    record();
    answer();
  });
}

}  // namespace edgetrace::testing
