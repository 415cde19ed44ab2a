// SymbolHttpClient: the symbols API from the CLI's side (libcurl easy interface).
#include <curl/curl.h>
#include <simdjson.h>

#include <mutex>

#include "symbol_http.hpp"

namespace edgetrace::decoder {
namespace {

using core::Result;
using core::Status;
using core::StatusCode;

struct Sink {
  std::string* body;
  std::size_t limit;
  bool over = false;
};

std::size_t write_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t bytes = size * n;
  if (sink->body->size() + bytes > sink->limit) {
    sink->over = true;
    return 0;  // aborts the transfer
  }
  sink->body->append(data, bytes);
  return bytes;
}

// The server's {"error": "..."} message, or the start of the body.
std::string server_message(const std::string& body) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(body);
  auto doc = parser.iterate(padded);
  std::string_view message;
  if (!doc.error() && doc["error"].get_string().get(message) == simdjson::SUCCESS)
    return std::string(message);
  std::string shown = body.substr(0, 200);
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
      c = '?';
  }
  return shown;
}

Status status_from_http(long status, const std::string& body) {
  const std::string message =
      "server answered " + std::to_string(status) + ": " + server_message(body);
  switch (status) {
    case 400:
      return Status(StatusCode::kInvalidArgument, message);
    case 401:
      return Status(StatusCode::kUnauthenticated,
                    message + " (give the store's token with --token-file)");
    case 403:
      return Status(StatusCode::kPermissionDenied, message);
    case 404:
      return Status(StatusCode::kNotFound, message);
    case 409:
      return Status(StatusCode::kAlreadyExists, message);
    case 413:
      return Status(StatusCode::kResourceExhausted, message);
    default:
      return Status(status >= 500 ? StatusCode::kUnavailable : StatusCode::kInternal, message);
  }
}

bool parse_kind(std::string_view text, SymbolKind* kind) {
  if (text == "edgetrace")
    *kind = SymbolKind::kEdgetrace;
  else if (text == "defmt")
    *kind = SymbolKind::kDefmt;
  else if (text == "edgetrace+defmt")
    *kind = SymbolKind::kBoth;
  else
    return false;
  return true;
}

template <typename Object>
Result<SymbolInfo> parse_info(Object&& obj, bool* already_present) {
  SymbolInfo info;
  std::string_view id;
  std::string_view kind;
  std::uint64_t size = 0;
  std::int64_t uploaded = 0;
  std::uint64_t sites = 0;
  if (obj["build_id"].get_string().get(id) != simdjson::SUCCESS ||
      obj["size"].get_uint64().get(size) != simdjson::SUCCESS ||
      obj["uploaded"].get_int64().get(uploaded) != simdjson::SUCCESS ||
      obj["kind"].get_string().get(kind) != simdjson::SUCCESS ||
      obj["call_sites"].get_uint64().get(sites) != simdjson::SUCCESS ||
      !parse_kind(kind, &info.kind)) {
    return core::invalid_argument("the server's symbol entry is not understood");
  }
  if (already_present != nullptr) {
    bool present = false;
    if (obj["already_present"].get_bool().get(present) == simdjson::SUCCESS)
      *already_present = present;
  }
  info.build_id = std::string(id);
  info.size = size;
  info.uploaded_unix_seconds = uploaded;
  info.call_sites = static_cast<std::size_t>(sites);
  std::string_view name;
  if (obj["name"].get_string().get(name) == simdjson::SUCCESS)
    info.name = sanitize_elf_name(name);
  return info;
}

}  // namespace

SymbolHttpClient::SymbolHttpClient(std::string base_url, std::string token,
                                   SymbolHttpClientOptions options)
    : base_url_(std::move(base_url)), token_(std::move(token)), options_(options) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  while (!base_url_.empty() && base_url_.back() == '/')
    base_url_.pop_back();
  curl_ = curl_easy_init();
}

SymbolHttpClient::~SymbolHttpClient() {
  if (curl_ != nullptr)
    curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Result<SymbolHttpClient::Reply> SymbolHttpClient::request(const std::string& method,
                                                          const std::string& path,
                                                          std::span<const std::uint8_t> body,
                                                          bool with_token,
                                                          std::string_view elf_name) {
  auto* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr)
    return core::internal_error("libcurl could not be initialised");
  curl_easy_reset(curl);
  const std::string url = base_url_ + std::string(kSymbolsApiPath) + path;
  Reply reply;
  Sink sink{&reply.body, options_.max_elf_bytes + 64 * 1024};
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_slist* headers = nullptr;
  if (with_token && !token_.empty()) {
    // The header lives only in this list and is freed below; it is never printed.
    const std::string auth = "Authorization: Bearer " + token_;
    headers = curl_slist_append(headers, auth.c_str());
  }
  if (method == "PUT") {
    headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
    if (const std::string name = sanitize_elf_name(elf_name); !name.empty())
      headers = curl_slist_append(headers, ("X-Edgetrace-Elf-Name: " + name).c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
  } else if (method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  if (headers != nullptr)
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  const CURLcode rc = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  if (sink.over) {
    return Status(StatusCode::kResourceExhausted,
                  "the server's answer is over " + std::to_string(sink.limit) + " bytes");
  }
  if (rc != CURLE_OK) {
    return Status(StatusCode::kUnavailable,
                  method + " " + url + ": " +
                      (error[0] != '\0' ? std::string(error) : curl_easy_strerror(rc)));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

Result<std::vector<std::uint8_t>> SymbolHttpClient::fetch(std::string_view build_id_hex) {
  auto id = normalize_build_id(build_id_hex);
  if (!id)
    return id.status();
  auto reply = request("GET", "/" + *id, {}, false);
  if (!reply)
    return reply.status();
  if (reply->status != 200)
    return status_from_http(reply->status, reply->body);
  return std::vector<std::uint8_t>(reply->body.begin(), reply->body.end());
}

Result<PutResult> SymbolHttpClient::upload(std::span<const std::uint8_t> elf,
                                           std::string_view name) {
  auto checked = check_elf(elf, options_.max_elf_bytes);
  if (!checked)
    return checked.status();
  auto reply = request("PUT", "/" + checked->entry->build_id, elf, true, name);
  if (!reply)
    return reply.status();
  if (reply->status != 200 && reply->status != 201)
    return status_from_http(reply->status, reply->body);
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(reply->body);
  auto doc = parser.iterate(padded);
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS)
    return core::invalid_argument("the server's answer to an upload is not a JSON object");
  PutResult out;
  auto info = parse_info(obj, &out.already_present);
  if (!info)
    return info.status();
  out.info = std::move(*info);
  return out;
}

Result<std::vector<SymbolInfo>> SymbolHttpClient::list() {
  auto reply = request("GET", "", {}, false);
  if (!reply)
    return reply.status();
  if (reply->status != 200)
    return status_from_http(reply->status, reply->body);
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(reply->body);
  auto doc = parser.iterate(padded);
  simdjson::ondemand::array symbols;
  if (doc["symbols"].get_array().get(symbols) != simdjson::SUCCESS)
    return core::invalid_argument("the server's symbol list is not understood");
  std::vector<SymbolInfo> out;
  for (auto element : symbols) {
    simdjson::ondemand::object obj;
    if (element.get_object().get(obj) != simdjson::SUCCESS)
      return core::invalid_argument("the server's symbol list is not understood");
    auto info = parse_info(obj, nullptr);
    if (!info)
      return info.status();
    out.push_back(std::move(*info));
  }
  return out;
}

Result<SymbolInfo> SymbolHttpClient::show(std::string_view build_id_hex) {
  auto id = normalize_build_id(build_id_hex);
  if (!id)
    return id.status();
  auto reply = request("GET", "/" + *id + "/info", {}, false);
  if (!reply)
    return reply.status();
  if (reply->status != 200)
    return status_from_http(reply->status, reply->body);
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(reply->body);
  auto doc = parser.iterate(padded);
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS)
    return core::invalid_argument("the server's symbol entry is not understood");
  return parse_info(obj, nullptr);
}

Status SymbolHttpClient::remove(std::string_view build_id_hex) {
  auto id = normalize_build_id(build_id_hex);
  if (!id)
    return id.status();
  auto reply = request("DELETE", "/" + *id, {}, true);
  if (!reply)
    return reply.status();
  if (reply->status != 204 && reply->status != 200)
    return status_from_http(reply->status, reply->body);
  return Status();
}

}  // namespace edgetrace::decoder
