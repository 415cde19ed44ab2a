// Fuzzes the HTTP helpers (edgetrace/sdk/http.hpp) with what a peer controls: the request
// line, the Host header, traceparent/tracestate/baggage/x-request-id on the server side, and
// a URL on the client side. Checks memory safety and the helpers' promises: the request id
// answered is the one recorded and is 1-128 printable characters; url.full never carries the
// user information; a parsed http(s) URL always has a port.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "edgetrace/sdk/filter.hpp"
#include "edgetrace/sdk/http.hpp"
#include "edgetrace/sdk/layer.hpp"

using namespace edgetrace;

namespace {

void check(bool condition) {
  if (!condition)
    std::abort();
}

// Every span recorded (so that every attribute path runs), nothing kept.
class NullLayer final : public sdk::Layer {
 public:
  void on_close(const sdk::SpanRecord&) override {}
};

bool install_once() {
  auto tracing = std::make_shared<sdk::Tracing>(sdk::Tracing::Options{});
  tracing->add_layer(std::make_unique<NullLayer>(), sdk::Filter::parse("trace").value());
  sdk::set_global_subscriber(tracing);
  return true;
}

// The input cut at '\n' into successive fields (missing ones are empty).
struct Fields {
  std::string_view rest;
  std::string_view next() {
    const std::size_t nl = rest.find('\n');
    const std::string_view field = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    return field;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool installed = install_once();
  (void)installed;
  Fields f{std::string_view(reinterpret_cast<const char*>(data), size)};

  sdk::HeaderMap in;
  sdk::http::ServerRequest request;
  request.method = f.next();
  request.target = f.next();
  request.host = f.next();
  request.route = f.next();
  in.set("traceparent", f.next());
  in.set("tracestate", f.next());
  in.set("baggage", f.next());
  const std::string_view sent_id = f.next();
  if (!sent_id.empty())
    in.set("x-request-id", sent_id);
  request.headers = &in;
  const std::string_view url = f.next();

  sdk::HeaderMap out;
  {
    sdk::http::ServerSpan server(request);
    const std::string& id = server.request_id();
    check(!id.empty() && id.size() <= 128);
    for (char c : id)
      check(c > 0x20 && c < 0x7f);
    sdk::HeaderMap downstream;
    {
      sdk::http::ClientRequest call;
      call.method = request.method;
      call.url = url;
      sdk::http::ClientOptions options;
      options.baggage = &server.baggage();
      sdk::http::ClientSpan client(call, options);
      client.inject(downstream);
      client.set_response_status(static_cast<int>(size % 700));
    }
    server.finish(static_cast<int>(size % 600), out);
    check(out.get("x-request-id") == id);
  }

  if (auto parts = sdk::http::parse_url(url)) {
    const std::size_t authority_start = url.find("://") + 3;
    const std::string_view authority =
        url.substr(authority_start, url.find_first_of("/?#", authority_start) - authority_start);
    // User information, whatever it was, is replaced as a whole.
    if (authority.find('@') != std::string_view::npos)
      check(std::string_view(parts->redacted)
                .substr(authority_start)
                .starts_with("REDACTED:REDACTED@"));
    if (parts->scheme == "http" || parts->scheme == "https")
      check(parts->port != 0);
  }
  return 0;
}
