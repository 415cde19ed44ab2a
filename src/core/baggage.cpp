#include "edgetrace/core/baggage.hpp"

#include <algorithm>

#include "edgetrace/core/percent_encoding.hpp"
#include "internal/grammar.hpp"

namespace edgetrace::core {
namespace {

using internal::is_baggage_octet;
using internal::is_tchar;

bool is_token(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

bool is_value(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), is_baggage_octet);
}

Status baggage_error(const std::string& what, std::size_t offset) {
  return invalid_argument("baggage: " + what + " at offset " + std::to_string(offset));
}

// Validates `metadata` (";"-separated properties) and writes its normalized form (OWS
// removed). `base` is the offset of `metadata` in the header, for error messages.
Result<std::string> normalize_properties(std::string_view metadata, std::size_t base) {
  std::string out;
  std::size_t pos = 0;
  while (pos <= metadata.size()) {
    std::size_t semi = metadata.find(';', pos);
    if (semi == std::string_view::npos)
      semi = metadata.size();
    std::string_view raw = metadata.substr(pos, semi - pos);
    const std::size_t at = base + pos;
    pos = semi + 1;
    std::string_view prop = trim_ows(raw);
    if (prop.empty())
      return baggage_error("empty property", at);
    std::size_t eq = prop.find('=');
    std::string_view key = trim_ows(prop.substr(0, eq));
    if (!is_token(key))
      return baggage_error("invalid property key", at);
    if (!out.empty())
      out.push_back(';');
    out.append(key);
    if (eq != std::string_view::npos) {
      std::string_view value = trim_ows(prop.substr(eq + 1));
      if (!is_value(value))
        return baggage_error("invalid property value", at + eq + 1);
      out.push_back('=');
      out.append(value);
    }
  }
  return out;
}

std::size_t encoded_size(const Baggage::Entry& e) {
  return e.key.size() + 1 + percent_encode_baggage_value(e.value).size() +
         (e.metadata.empty() ? 0 : 1 + e.metadata.size());
}

}  // namespace

Result<Baggage> Baggage::parse(std::string_view header) {
  Baggage b;
  std::size_t total = 0;
  std::size_t pos = 0;
  while (pos <= header.size()) {
    std::size_t comma = header.find(',', pos);
    if (comma == std::string_view::npos)
      comma = header.size();
    const std::string_view raw = header.substr(pos, comma - pos);
    const std::size_t raw_at = pos;
    pos = comma + 1;
    std::string_view member = trim_ows(raw);
    if (member.empty())
      continue;  // tolerate "a=1, ,b=2" from combined headers
    const std::size_t at = raw_at + static_cast<std::size_t>(member.data() - raw.data());

    const std::size_t semi = member.find(';');
    std::string_view pair = member.substr(0, semi);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos)
      return baggage_error("member without '='", at);
    std::string_view key = trim_ows(pair.substr(0, eq));
    std::string_view raw_value = trim_ows(pair.substr(eq + 1));
    if (!is_token(key))
      return baggage_error("invalid key", at);
    if (!is_value(raw_value))
      return baggage_error("invalid character in value", at + eq + 1);
    Result<std::string> value = percent_decode(raw_value);
    if (!value)
      return baggage_error(value.status().message(), at + eq + 1);

    Entry entry{std::string(key), std::move(value).value(), {}};
    if (semi != std::string_view::npos) {
      Result<std::string> props = normalize_properties(member.substr(semi + 1), at + semi + 1);
      if (!props)
        return props.status();
      entry.metadata = std::move(props).value();
    }

    const std::size_t size = member.size();
    if (size > kMaxMemberBytes || b.entries_.size() >= kMaxMembers ||
        total + size + (b.entries_.empty() ? 0 : 1) > kMaxHeaderBytes) {
      ++b.dropped_;
      continue;
    }
    total += size + (b.entries_.empty() ? 0 : 1);
    auto it = std::find_if(b.entries_.begin(), b.entries_.end(),
                           [&](const Entry& e) { return e.key == entry.key; });
    if (it != b.entries_.end()) {
      *it = std::move(entry);  // the last occurrence of a key wins
    } else {
      b.entries_.push_back(std::move(entry));
    }
  }
  return b;
}

Status Baggage::set(std::string_view key, std::string_view value, std::string_view metadata) {
  if (!is_token(key))
    return invalid_argument("baggage: key '" + std::string(key) + "' is not a token");
  Entry entry{std::string(key), std::string(value), {}};
  if (!metadata.empty()) {
    Result<std::string> props = normalize_properties(metadata, 0);
    if (!props)
      return props.status();
    entry.metadata = std::move(props).value();
  }
  auto it =
      std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
  if (it != entries_.end()) {
    *it = std::move(entry);
  } else {
    entries_.push_back(std::move(entry));
  }
  return Status();
}

bool Baggage::erase(std::string_view key) {
  auto it =
      std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
  if (it == entries_.end())
    return false;
  entries_.erase(it);
  return true;
}

std::optional<std::string_view> Baggage::get(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key)
      return std::string_view(e.value);
  }
  return std::nullopt;
}

std::string Baggage::to_header(std::size_t* left_out) const {
  std::string out;
  std::size_t members = 0;
  std::size_t skipped = 0;
  for (const auto& e : entries_) {
    const std::size_t size = encoded_size(e);
    if (size > kMaxMemberBytes || members >= kMaxMembers ||
        out.size() + size + (out.empty() ? 0 : 1) > kMaxHeaderBytes) {
      ++skipped;
      continue;
    }
    if (!out.empty())
      out.push_back(',');
    out.append(e.key).push_back('=');
    out.append(percent_encode_baggage_value(e.value));
    if (!e.metadata.empty())
      out.append(";").append(e.metadata);
    ++members;
  }
  if (left_out != nullptr)
    *left_out = skipped;
  return out;
}

}  // namespace edgetrace::core
