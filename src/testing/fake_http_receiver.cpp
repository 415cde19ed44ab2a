#include "fake_http_receiver.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "edgetrace/core/text.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "edgetrace/otlp/exporter.hpp"
#include "internal/http_transport.hpp"

namespace edgetrace::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

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
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::mutex sockets_mu;
  std::vector<std::weak_ptr<tcp::socket>> sockets;
};

FakeOtlpHttpReceiver::FakeOtlpHttpReceiver() : impl_(std::make_unique<Impl>()) {
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  acceptor_ = std::thread([this] { accept_loop(); });
}

FakeOtlpHttpReceiver::~FakeOtlpHttpReceiver() {
  stop();
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
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_)
      return;
    stopping_ = true;
  }
  // Unblock accept() with a connection of our own, then close every open connection.
  try {
    asio::io_context io;
    tcp::socket s(io);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  } catch (const std::exception&) {
  }
  if (acceptor_.joinable())
    acceptor_.join();
  {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);  // from now on connections are refused
  }
  {
    std::lock_guard<std::mutex> lock(impl_->sockets_mu);
    for (auto& weak : impl_->sockets) {
      if (auto s = weak.lock()) {
        boost::system::error_code ec;
        s->shutdown(tcp::socket::shutdown_both, ec);
      }
    }
  }
  for (auto& w : workers_) {
    if (w.joinable())
      w.join();
  }
}

void FakeOtlpHttpReceiver::accept_loop() {
  for (;;) {
    auto socket = std::make_shared<tcp::socket>(impl_->io);
    boost::system::error_code ec;
    impl_->acceptor.accept(*socket, ec);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_)
        return;
      if (ec)
        continue;
    }
    connections_.fetch_add(1);
    {
      std::lock_guard<std::mutex> lock(impl_->sockets_mu);
      impl_->sockets.push_back(socket);
    }
    std::lock_guard<std::mutex> lock(mu_);
    workers_.emplace_back([this, socket] { serve(socket); });
  }
}

void FakeOtlpHttpReceiver::serve(std::shared_ptr<void> opaque) {
  auto socket = std::static_pointer_cast<tcp::socket>(opaque);
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    boost::system::error_code ec;
    http::read(*socket, buffer, parser, ec);
    if (ec)
      return;
    http::request<http::string_body> req = parser.release();

    ReceivedRequest rec;
    rec.path = std::string(req.target());
    for (const auto& field : req) {
      rec.headers[core::to_lower_ascii(std::string(field.name_string()))] =
          std::string(field.value());
    }
    rec.content_type = std::string(req[http::field::content_type]);
    rec.gzip = core::to_lower_ascii(std::string(req[http::field::content_encoding])) == "gzip";
    rec.body_bytes = req.body().size();
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

    std::string body = req.body();
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

    if (reply.delay.count() > 0)
      std::this_thread::sleep_for(reply.delay);
    if (reply.drop_connection) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++request_count_;
        if (!discard)
          received_.push_back(std::move(rec));
      }
      cv_.notify_all();
      socket->shutdown(tcp::socket::shutdown_both, ec);
      socket->close(ec);
      return;
    }

    http::response<http::string_body> res;
    res.version(11);
    res.keep_alive(req.keep_alive());
    int status = reply.http_status;
    if (max_body != 0 && req.body().size() > max_body) {
      status = 413;
      reply.message = "request of " + std::to_string(req.body().size()) + " bytes exceeds " +
                      std::to_string(max_body);
    } else if (!rec.decode_error.empty() && status == 200) {
      status = 400;
      reply.message = rec.decode_error;
    }
    res.result(static_cast<unsigned>(status));
    if (status >= 200 && status < 300) {
      items_accepted_.fetch_add(items);
      res.set(http::field::content_type, json ? "application/json" : "application/x-protobuf");
      if (rec.path == "/v1/traces") {
        res.body() = success_body<otlp::TraceResponse>(reply, json);
      } else if (rec.path == "/v1/logs") {
        res.body() = success_body<otlp::LogsResponse>(reply, json);
      } else {
        res.body() = success_body<otlp::MetricsResponse>(reply, json);
      }
    } else {
      res.set(http::field::content_type, "application/x-protobuf");
      res.body() = rpc_status(status == 400 ? 3 : 14, reply.message);
      if (reply.retry_after)
        res.set(http::field::retry_after, *reply.retry_after);
    }
    res.prepare_payload();
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++request_count_;
      if (!discard)
        received_.push_back(std::move(rec));
    }
    cv_.notify_all();
    http::write(*socket, res, ec);
    if (ec || !res.keep_alive())
      return;
  }
}

}  // namespace edgetrace::testing
