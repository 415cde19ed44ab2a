#include "proxy/proxy.hpp"

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include <google/protobuf/arena.h>

#include "edgetrace/core/json.hpp"
#include "edgetrace/core/text.hpp"
#include "edgetrace/otlp/model.hpp"
#include "pipeline/processors.hpp"

namespace edgetrace::daemon {
namespace {

constexpr std::string_view kOutcomeNames[] = {
    "forwarded",
    "rate_limited_address",
    "rate_limited_subject",
    "rate_limited_global",
    "unauthorized",
    "malformed",
    "unsupported_media",
    "upstream_throttled",
    "upstream_failed",
    "upstream_unreachable",
    "queue_full",
    "unavailable",
};
static_assert(std::size(kOutcomeNames) == static_cast<std::size_t>(ProxyOutcome::kCount));

// The client's address without its port: "1.2.3.4:5678" -> "1.2.3.4", "[::1]:5678" -> "::1".
std::string_view client_address(std::string_view remote) noexcept {
  if (!remote.empty() && remote.front() == '[') {
    const std::size_t end = remote.find(']');
    return end == std::string_view::npos ? remote : remote.substr(1, end - 1);
  }
  const std::size_t colon = remote.rfind(':');
  return colon == std::string_view::npos ? remote : remote.substr(0, colon);
}

// The media type of a Content-Type value, without parameters and in lower case.
std::optional<otlp::Encoding> encoding_of(std::string_view content_type) {
  const std::size_t semi = content_type.find(';');
  std::string media(core::trim_ows(content_type.substr(0, semi)));
  std::transform(media.begin(), media.end(), media.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (media == "application/json")
    return otlp::Encoding::kJson;
  if (media == "application/x-protobuf" || media == "application/protobuf")
    return otlp::Encoding::kProtobuf;
  return std::nullopt;
}

// Sets `key` = `value` in `kvs`, replacing an attribute of that name the client sent.
template <typename KeyValues>
void stamp(KeyValues& kvs, const std::string& key, const std::string& value) {
  for (auto& kv : kvs) {
    if (kv.key() == key) {
      kv.mutable_value()->set_string_value(value);
      return;
    }
  }
  auto* kv = kvs.Add();
  kv->set_key(key);
  kv->mutable_value()->set_string_value(value);
}

std::uint64_t stamp_subject(otlp::TraceRequest& request, const std::string& key,
                            const std::string& subject) {
  std::uint64_t items = 0;
  for (auto& rs : *request.mutable_resource_spans())
    for (auto& ss : *rs.mutable_scope_spans())
      for (auto& span : *ss.mutable_spans()) {
        stamp(*span.mutable_attributes(), key, subject);
        ++items;
      }
  return items;
}

std::uint64_t stamp_subject(otlp::LogsRequest& request, const std::string& key,
                            const std::string& subject) {
  std::uint64_t items = 0;
  for (auto& rl : *request.mutable_resource_logs())
    for (auto& sl : *rl.mutable_scope_logs())
      for (auto& record : *sl.mutable_log_records()) {
        stamp(*record.mutable_attributes(), key, subject);
        ++items;
      }
  return items;
}

std::string error_body(std::string_view code) {
  std::string body = "{\"error\":";
  core::append_json_string(body, code, core::JsonEscape::kShortForms);
  body += "}\n";
  return body;
}

template <typename Request>
struct ResponseOf;
template <>
struct ResponseOf<otlp::TraceRequest> {
  using type = otlp::TraceResponse;
  static void set_rejected(type& r, std::int64_t n, const std::string& message) {
    r.mutable_partial_success()->set_rejected_spans(n);
    r.mutable_partial_success()->set_error_message(message);
  }
};
template <>
struct ResponseOf<otlp::LogsRequest> {
  using type = otlp::LogsResponse;
  static void set_rejected(type& r, std::int64_t n, const std::string& message) {
    r.mutable_partial_success()->set_rejected_log_records(n);
    r.mutable_partial_success()->set_error_message(message);
  }
};

// 200 with an OTLP export response (partial success when `rejected` > 0) in `encoding`.
template <typename Request>
net::Response success(otlp::Encoding encoding, std::int64_t rejected, const std::string& message) {
  net::Response r;
  r.status = 200;
  r.content_type = std::string(otlp::content_type(encoding));
  if (rejected <= 0) {
    // The answer to nearly every request: encoded once.
    static const std::array<std::string, 2> kEmpty = [] {
      const typename ResponseOf<Request>::type empty;
      return std::array<std::string, 2>{otlp::encode_protobuf(empty), otlp::encode_json(empty)};
    }();
    r.body = kEmpty[encoding == otlp::Encoding::kJson ? 1 : 0];
    return r;
  }
  typename ResponseOf<Request>::type response;
  ResponseOf<Request>::set_rejected(response, rejected, message);
  otlp::encode(response, encoding, r.body);
  return r;
}

// The arena each I/O thread decodes, stamps and processes requests in: a request's
// messages are made in its first block (reused, never freed) and dropped at once by
// Reset() when the request has been encoded for the upstream, instead of one malloc and
// free per message, string and repeated field.
google::protobuf::ArenaOptions request_arena_options(char* first_block, std::size_t bytes) {
  google::protobuf::ArenaOptions o;
  o.initial_block = first_block;
  o.initial_block_size = bytes;
  return o;
}

google::protobuf::Arena& request_arena() {
  constexpr std::size_t kFirstBlockBytes = 256 * 1024;
  thread_local const std::unique_ptr<char[]> first_block(new char[kFirstBlockBytes]);
  thread_local google::protobuf::Arena arena(
      request_arena_options(first_block.get(), kFirstBlockBytes));
  return arena;
}

// The CPUs this process may run on (its affinity mask), between 1 and `most`.
std::size_t usable_cpus(std::size_t most) {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::size_t n = 1;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    n = static_cast<std::size_t>(CPU_COUNT(&set));
  return std::clamp<std::size_t>(n, 1, most);
}

std::chrono::seconds whole_seconds(std::chrono::milliseconds ms) {
  return std::chrono::seconds(std::max<std::int64_t>(1, (ms.count() + 999) / 1000));
}

}  // namespace

namespace internal {

// One client's request waiting for the upstream, already encoded as protobuf: the
// upstream request of a batch is the concatenation of its clients' encodings (an export
// request has one repeated field, so concatenated messages parse as one whose resources
// are all of theirs, in order).
template <typename Request>
struct PendingForward {
  std::string encoded;
  std::size_t items = 0;
  std::size_t body_bytes = 0;
  std::int64_t rejected_here = 0;  // refused by the proxy's rate caps
  std::string capped_message;
  otlp::Encoding encoding = otlp::Encoding::kProtobuf;
  std::optional<net::Responder> responder;  // always set once queued
};

// The forward mode's senders for one signal. Requests handled in one round of the I/O
// thread (the connections whose bytes had arrived) are released together at its end
// (HttpServer::defer); whatever is released and waiting when a sender is free goes
// upstream as one request. No timer: an idle proxy sends each request at once, a busy one
// sends one upstream request per round instead of one per client.
template <typename Request>
class ForwardBatcher {
 public:
  using Answer =
      std::function<void(std::vector<PendingForward<Request>>&, const otlp::TransportResponse&)>;
  // Runs its argument once the requests queued on the I/O threads have been handled.
  using Defer = std::function<void(std::function<void()>)>;

  ForwardBatcher(otlp::Signal signal, otlp::Transport& transport, std::chrono::milliseconds timeout,
                 const ProxyOptions& options, Answer answer)
      : signal_(signal),
        transport_(transport),
        timeout_(timeout),
        max_batch_bytes_(options.max_batch_bytes),
        max_pending_bytes_(options.max_pending_bytes),
        answer_(std::move(answer)) {
    for (std::size_t i = 0; i < std::max<std::size_t>(1, options.upstream_senders); ++i)
      threads_.emplace_back([this] { run(); });
  }
  ~ForwardBatcher() { stop(); }
  ForwardBatcher(const ForwardBatcher&) = delete;
  ForwardBatcher& operator=(const ForwardBatcher&) = delete;

  // Before the first submit(): how the end of a round is waited for (without it, each
  // request is released at once).
  void set_defer(Defer defer) { defer_ = std::move(defer); }

  // False (and `pending` untouched) when max_pending_bytes already wait, or stopping.
  bool submit(PendingForward<Request>& pending) {
    bool schedule = false;
    {
      std::lock_guard lock(mu_);
      if (stopping_ ||
          (pending_bytes_ > 0 && pending_bytes_ + pending.body_bytes > max_pending_bytes_))
        return false;
      pending_bytes_ += pending.body_bytes;
      pending_.push_back(std::move(pending));
      if (!defer_) {
        released_ = pending_.size();
      } else if (!release_scheduled_) {
        release_scheduled_ = true;
        schedule = true;
      }
    }
    if (!defer_)
      cv_.notify_one();
    else if (schedule)
      defer_([this] { release(); });
    return true;
  }

  // Sends what waits, then joins the senders.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      released_ = pending_.size();
    }
    cv_.notify_all();
    for (std::thread& t : threads_)
      if (t.joinable())
        t.join();
    threads_.clear();
  }

 private:
  void run() {
    std::vector<PendingForward<Request>> batch;
    std::string body;
    for (;;) {
      batch.clear();
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return released_ > 0 || (stopping_ && pending_.empty()); });
        if (released_ == 0)
          return;  // stopping, nothing left
        std::size_t bytes = 0;
        while (released_ > 0 &&
               (batch.empty() || bytes + pending_.front().body_bytes <= max_batch_bytes_)) {
          bytes += pending_.front().body_bytes;
          batch.push_back(std::move(pending_.front()));
          pending_.pop_front();
          --released_;
        }
        pending_bytes_ -= bytes;
        if (released_ > 0)
          cv_.notify_one();  // more than one batch's worth: another sender takes the rest
      }
      if (batch.size() == 1) {
        send(batch, batch.front().encoded);
        continue;
      }
      std::size_t size = 0;
      for (const PendingForward<Request>& p : batch)
        size += p.encoded.size();
      body.clear();
      body.reserve(size);
      for (const PendingForward<Request>& p : batch)
        body += p.encoded;
      send(batch, body);
    }
  }

  void send(std::vector<PendingForward<Request>>& batch, const std::string& body) {
    const otlp::TransportResponse sent =
        transport_.send(signal_, body, otlp::Clock::now() + timeout_);
    answer_(batch, sent);
  }

  // The end of a round of the I/O thread: what it queued may go.
  void release() {
    {
      std::lock_guard lock(mu_);
      release_scheduled_ = false;
      released_ = pending_.size();
      if (released_ == 0)
        return;
    }
    cv_.notify_one();
  }

  const otlp::Signal signal_;
  otlp::Transport& transport_;
  const std::chrono::milliseconds timeout_;
  const std::size_t max_batch_bytes_;
  const std::size_t max_pending_bytes_;
  const Answer answer_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<PendingForward<Request>> pending_;  // the first released_ may be sent
  std::size_t released_ = 0;
  std::size_t pending_bytes_ = 0;
  bool release_scheduled_ = false;
  bool stopping_ = false;
  Defer defer_;
  std::vector<std::thread> threads_;
};

}  // namespace internal

TelemetryProxy::TelemetryProxy(ProxyOptions options, Processors* processors, Intake* intake)
    : options_(std::move(options)),
      processors_(processors),
      intake_(intake),
      limits_(options_.rate_limit) {}

TelemetryProxy::~TelemetryProxy() {
  stop();
}

core::Status TelemetryProxy::start() {
  core::Result<std::unique_ptr<JwtVerifier>> jwt = JwtVerifier::create(options_.jwt);
  if (!jwt)
    return core::Status(jwt.status().code(), "proxy.jwt: " + jwt.status().message());
  jwt_ = std::move(jwt).value();

  if (options_.mode == ProxyMode::kForward) {
    for (const otlp::Signal signal : {otlp::Signal::kTraces, otlp::Signal::kLogs}) {
      otlp::OtlpExporterOptions o;
      o.protocol = otlp::Protocol::kHttpProtobuf;
      o.endpoint = otlp::signal_endpoint(options_.upstream.endpoint, o.protocol, signal);
      o.headers = options_.upstream.headers;
      o.timeout = options_.upstream.timeout;
      o.ca_file = options_.upstream.ca_file;
      core::Result<std::unique_ptr<otlp::Transport>> t = otlp::create_transport(o);
      if (!t)
        return core::Status(t.status().code(), "proxy.upstream: " + t.status().message());
      upstream_[signal == otlp::Signal::kTraces ? 0 : 1] = std::move(t).value();
    }
    trace_batcher_ = std::make_unique<internal::ForwardBatcher<otlp::TraceRequest>>(
        otlp::Signal::kTraces, *upstream_[0], options_.upstream.timeout, options_,
        [this](auto& batch, const otlp::TransportResponse& sent) {
          answer_batch(otlp::Signal::kTraces, batch, sent);
        });
    logs_batcher_ = std::make_unique<internal::ForwardBatcher<otlp::LogsRequest>>(
        otlp::Signal::kLogs, *upstream_[1], options_.upstream.timeout, options_,
        [this](auto& batch, const otlp::TransportResponse& sent) {
          answer_batch(otlp::Signal::kLogs, batch, sent);
        });
  } else if (intake_ == nullptr) {
    return core::Status(core::StatusCode::kFailedPrecondition, "proxy: queue mode without a queue");
  }

  net::HttpServerOptions so;
  so.listen = options_.listen;
  so.io_threads = options_.io_threads != 0 ? options_.io_threads : usable_cpus(4);
  // Forward mode never blocks a handler (the senders wait for the upstream), so bodies are
  // decoded on the I/O threads: no hand-off to another thread and back per request.
  so.handler_threads = options_.mode == ProxyMode::kQueue ? options_.handler_threads : 0;
  so.max_body_bytes = options_.max_body_bytes;
  so.max_decompressed_bytes = options_.max_decompressed_bytes;
  so.read_timeout = options_.read_timeout;
  so.server_name = "edgetraced";
  server_ = std::make_unique<net::HttpServer>(so);
  if (options_.mode == ProxyMode::kForward) {
    // A round of the I/O threads goes upstream together (see ForwardBatcher).
    const auto defer = [server = server_.get()](std::function<void()> work) {
      server->defer(std::move(work));
    };
    trace_batcher_->set_defer(defer);
    logs_batcher_->set_defer(defer);
  }

  net::RouteOptions route;
  route.auth = [this](const net::Request& r) { return check(r); };
  if (!options_.cors_allowed_origins.empty()) {
    auto cors = std::make_shared<net::CorsPolicy>();
    cors->allowed_origins = options_.cors_allowed_origins;
    route.cors = std::move(cors);
  }
  server_->route(
      "POST", "/api/v1/telemetry/traces",
      [this](net::Request&& r, net::Responder responder) {
        handle(otlp::Signal::kTraces, std::move(r), std::move(responder));
      },
      route);
  server_->route(
      "POST", "/api/v1/telemetry/logs",
      [this](net::Request&& r, net::Responder responder) {
        handle(otlp::Signal::kLogs, std::move(r), std::move(responder));
      },
      route);
  if (core::Status s = server_->start(); !s.ok())
    return core::Status(s.code(), "proxy.listen: " + s.message());
  return {};
}

void TelemetryProxy::stop() {
  // The listener first (requests in flight are answered by the senders meanwhile), then the
  // senders, which send what still waits.
  if (server_)
    server_->stop(std::chrono::milliseconds(2000));
  if (trace_batcher_)
    trace_batcher_->stop();
  if (logs_batcher_)
    logs_batcher_->stop();
}

std::uint16_t TelemetryProxy::port() const noexcept {
  return server_ ? server_->port() : 0;
}

void TelemetryProxy::count(ProxyOutcome outcome) noexcept {
  outcomes_[static_cast<std::size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
}

net::Response TelemetryProxy::refuse(ProxyOutcome outcome, int status, std::string_view code,
                                     std::chrono::seconds retry_after) {
  count(outcome);
  net::Response r = net::Response::json(status, error_body(code));
  if (retry_after.count() > 0)
    r.headers.push_back({"Retry-After", std::to_string(retry_after.count())});
  if (status == 401)
    r.headers.push_back({"WWW-Authenticate", "Bearer error=\"invalid_token\""});
  return r;
}

// Runs before the body is read: the address's and the global bucket (so signature checks
// are bounded too), the token, the subject's bucket.
std::optional<net::Response> TelemetryProxy::check(const net::Request& request) {
  const auto now = std::chrono::steady_clock::now();
  if (const ProxyRateLimits::Decision d = limits_.before_auth(client_address(request.remote), now);
      !d.allowed())
    return refuse(
        d.limit == "global" ? ProxyOutcome::kRateLimitedGlobal : ProxyOutcome::kRateLimitedAddress,
        429, "rate_limited", d.retry_after);
  const std::optional<std::string_view> token = core::bearer_token(request.header("Authorization"));
  if (!token)
    return refuse(ProxyOutcome::kUnauthorized, 401, reason_code(JwtError::kMissing));
  auto verified = jwt_->verify(*token, std::chrono::system_clock::now());
  if (const JwtError* error = std::get_if<JwtError>(&verified))
    return refuse(ProxyOutcome::kUnauthorized, 401, reason_code(*error));
  const VerifiedToken& who = std::get<VerifiedToken>(verified);
  if (const ProxyRateLimits::Decision d = limits_.after_auth(who.subject, now); !d.allowed())
    return refuse(ProxyOutcome::kRateLimitedSubject, 429, "rate_limited", d.retry_after);
  return std::nullopt;
}

void TelemetryProxy::handle(otlp::Signal signal, net::Request&& request, net::Responder responder) {
  const std::optional<otlp::Encoding> encoding = encoding_of(request.header("Content-Type"));
  if (!encoding) {
    responder.respond(refuse(ProxyOutcome::kUnsupportedMedia, 415, "unsupported_media_type"));
    return;
  }
  // The token was verified by check(); this is a cache hit.
  const std::optional<std::string_view> token = core::bearer_token(request.header("Authorization"));
  auto verified = jwt_->verify(token.value_or(""), std::chrono::system_clock::now());
  if (std::holds_alternative<JwtError>(verified)) {  // expired between the two
    responder.respond(
        refuse(ProxyOutcome::kUnauthorized, 401, reason_code(std::get<JwtError>(verified))));
    return;
  }
  const std::string& subject = std::get<VerifiedToken>(verified).subject;
  if (signal == otlp::Signal::kTraces)
    decode_and_process<otlp::TraceRequest>(signal, request, *encoding, subject,
                                           std::move(responder));
  else
    decode_and_process<otlp::LogsRequest>(signal, request, *encoding, subject,
                                          std::move(responder));
}

template <typename Request>
void TelemetryProxy::decode_and_process(otlp::Signal signal, const net::Request& request,
                                        otlp::Encoding encoding, const std::string& subject,
                                        net::Responder responder) {
  google::protobuf::Arena& arena = request_arena();
  // Everything made in the arena is gone once the request is encoded or answered.
  struct ResetArena {
    google::protobuf::Arena& arena;
    ~ResetArena() { arena.Reset(); }
  } reset{arena};
  Request* decoded = google::protobuf::Arena::CreateMessage<Request>(&arena);
  otlp::DecodeLimits limits;
  limits.max_message_bytes = options_.max_decompressed_bytes;
  const core::Status status = encoding == otlp::Encoding::kJson
                                  ? otlp::decode_json(request.body, *decoded, limits)
                                  : otlp::decode_protobuf(request.body, *decoded, limits);
  if (!status.ok()) {
    responder.respond(refuse(ProxyOutcome::kMalformed, 400, "malformed_request"));
    return;
  }
  process(signal, *decoded, encoding, subject, request.body.size(), std::move(responder));
}

template <typename Request>
void TelemetryProxy::process(otlp::Signal signal, Request& request, otlp::Encoding encoding,
                             const std::string& subject, std::size_t body_bytes,
                             net::Responder responder) {
  if (stamp_subject(request, options_.subject_attribute, subject) == 0) {
    count(ProxyOutcome::kForwarded);
    responder.respond(success<Request>(encoding, 0, {}));
    return;
  }
  if (options_.mode == ProxyMode::kQueue) {
    IntakeResult r = intake_->accept(request);
    if (r.status.ok()) {
      count(ProxyOutcome::kForwarded);
      items_forwarded_[signal == otlp::Signal::kTraces ? 0 : 1].fetch_add(
          r.accepted, std::memory_order_relaxed);
      responder.respond(
          success<Request>(encoding, static_cast<std::int64_t>(r.rejected), r.message));
    } else if (r.status.code() == core::StatusCode::kResourceExhausted) {
      responder.respond(
          refuse(ProxyOutcome::kQueueFull, 429, "queue_full", std::chrono::seconds(5)));
    } else {
      responder.respond(
          refuse(ProxyOutcome::kUnavailable, 503, "unavailable", std::chrono::seconds(5)));
    }
    return;
  }
  std::uint64_t capped = 0;
  if (processors_ != nullptr)
    capped = processors_->process(request).rate_capped;
  forward(request, encoding, capped, body_bytes, std::move(responder));
}

template <typename Request>
void TelemetryProxy::forward(const Request& request, otlp::Encoding encoding, std::uint64_t capped,
                             std::size_t body_bytes, net::Responder responder) {
  internal::PendingForward<Request> pending;
  pending.items = otlp::count_items(request);
  pending.rejected_here = static_cast<std::int64_t>(capped);
  if (capped > 0)
    pending.capped_message = "rate cap of the instrumentation scope reached";
  if (pending.items == 0) {  // everything was sampled out or capped: nothing to send
    count(ProxyOutcome::kForwarded);
    responder.respond(success<Request>(encoding, pending.rejected_here, pending.capped_message));
    return;
  }
  otlp::encode_protobuf(request, pending.encoded);
  pending.body_bytes = body_bytes;
  pending.encoding = encoding;
  pending.responder.emplace(std::move(responder));
  bool queued = false;
  if constexpr (std::is_same_v<Request, otlp::TraceRequest>)
    queued = trace_batcher_->submit(pending);
  else
    queued = logs_batcher_->submit(pending);
  if (!queued)
    pending.responder->respond(
        refuse(ProxyOutcome::kUnavailable, 503, "busy", std::chrono::seconds(1)));
}

template <typename Request>
void TelemetryProxy::answer_batch(otlp::Signal signal,
                                  std::vector<internal::PendingForward<Request>>& batch,
                                  const otlp::TransportResponse& sent) {
  if (sent.verdict.action == otlp::Action::kSuccess) {
    const auto upstream_rejected = std::max<std::int64_t>(0, sent.rejected_items);
    for (internal::PendingForward<Request>& p : batch) {
      const std::int64_t rejected =
          std::min<std::int64_t>(static_cast<std::int64_t>(p.items), upstream_rejected);
      count(ProxyOutcome::kForwarded);
      items_forwarded_[signal == otlp::Signal::kTraces ? 0 : 1].fetch_add(
          p.items - static_cast<std::size_t>(rejected), std::memory_order_relaxed);
      p.responder->respond(
          success<Request>(p.encoding, rejected + p.rejected_here,
                           rejected > 0 ? "refused by the upstream" : p.capped_message));
    }
    return;
  }
  for (internal::PendingForward<Request>& p : batch) {
    if (sent.http_status == 429 || (sent.http_status == 503 && sent.verdict.retry_after)) {
      const std::chrono::seconds wait =
          whole_seconds(sent.verdict.retry_after.value_or(std::chrono::milliseconds(1000)));
      p.responder->respond(
          refuse(ProxyOutcome::kUpstreamThrottled, 429, "upstream_throttled", wait));
    } else if (sent.http_status == 0) {
      p.responder->respond(refuse(ProxyOutcome::kUpstreamUnreachable, 502, "upstream_unreachable"));
    } else {
      p.responder->respond(refuse(ProxyOutcome::kUpstreamFailed, 502, "upstream_failed"));
    }
  }
}

void TelemetryProxy::write_metrics(MetricsText& out) const {
  for (std::size_t i = 0; i < outcomes_.size(); ++i)
    out.counter("edgetraced_proxy_requests_total",
                "Requests to /api/v1/telemetry/*, by how they ended.",
                {{"outcome", kOutcomeNames[i]}}, outcomes_[i].load(std::memory_order_relaxed));
  out.counter("edgetraced_proxy_items_forwarded_total",
              "Spans and log records accepted by the upstream (or persisted, queue mode).",
              {{"signal", "traces"}}, items_forwarded_[0].load(std::memory_order_relaxed));
  out.counter("edgetraced_proxy_items_forwarded_total",
              "Spans and log records accepted by the upstream (or persisted, queue mode).",
              {{"signal", "logs"}}, items_forwarded_[1].load(std::memory_order_relaxed));
  if (jwt_) {
    const JwtVerifier::Counters& j = jwt_->counters();
    out.counter("edgetraced_proxy_tokens_verified_total", "Tokens accepted (cache hits included).",
                {}, j.verified.load(std::memory_order_relaxed));
    out.counter("edgetraced_proxy_token_cache_hits_total",
                "Tokens accepted from the verified-token cache (no signature check).", {},
                j.cache_hits.load(std::memory_order_relaxed));
    for (std::size_t i = 0; i < kJwtErrorCount; ++i)
      out.counter("edgetraced_proxy_tokens_rejected_total", "Tokens refused, by reason code.",
                  {{"reason", reason_code(static_cast<JwtError>(i))}},
                  j.rejected_by_reason[i].load(std::memory_order_relaxed));
  }
  if (server_) {
    const net::HttpServerCounters& c = server_->counters();
    out.counter("edgetraced_proxy_cors_preflights_total", "CORS preflight requests answered.", {},
                c.cors_preflights.load(std::memory_order_relaxed));
    out.counter("edgetraced_proxy_body_too_large_total",
                "Requests refused with 413 (body or inflated body over the limit).", {},
                c.body_too_large.load(std::memory_order_relaxed) +
                    c.decompressed_too_large.load(std::memory_order_relaxed));
  }
}

}  // namespace edgetrace::daemon
