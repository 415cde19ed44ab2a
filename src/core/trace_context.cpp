#include "edgetrace/core/trace_context.hpp"

#include <algorithm>

#include "internal/grammar.hpp"

namespace edgetrace::core {
namespace {

Status traceparent_error(std::string what, std::size_t offset) {
  return invalid_argument("traceparent: " + std::move(what) + " at offset " +
                          std::to_string(offset));
}

bool is_lower_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool is_lcalpha(char c) noexcept {
  return c >= 'a' && c <= 'z';
}
bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
bool is_key_char(char c) noexcept {
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/' || c == '@';
}
// nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
bool is_nblk_chr(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return u >= 0x21 && u <= 0x7e && c != ',' && c != '=';
}

}  // namespace

Result<TraceParent> parse_traceparent(std::string_view h) {
  // version "-"
  if (h.size() < 3)
    return traceparent_error("header too short (" + std::to_string(h.size()) + " characters)", 0);
  for (std::size_t i = 0; i < 2; ++i) {
    if (!is_lower_hex(h[i]))
      return traceparent_error("version is not lowercase hex", i);
  }
  if (h[2] != '-')
    return traceparent_error("expected '-' after version", 2);
  TraceParent tp;
  std::uint8_t version_byte[1];
  (void)internal::decode_hex(h.substr(0, 2), version_byte, HexCase::kLowerOnly);
  tp.version = version_byte[0];
  if (tp.version == 0xff)
    return traceparent_error("version ff is forbidden", 0);

  if (h.size() < kTraceParentSize) {
    return traceparent_error(
        "header too short (" + std::to_string(h.size()) + " characters, need 55)", h.size());
  }
  if (tp.version == 0 && h.size() != kTraceParentSize) {
    return traceparent_error(
        "version 00 must be exactly 55 characters, got " + std::to_string(h.size()),
        kTraceParentSize);
  }
  if (h.size() > kTraceParentSize && h[kTraceParentSize] != '-') {
    return traceparent_error("expected '-' after trace-flags", kTraceParentSize);
  }

  std::uint8_t id_bytes[16];
  int bad = internal::decode_hex(h.substr(3, 32), std::span<std::uint8_t>(id_bytes, 16),
                                 HexCase::kLowerOnly);
  if (bad >= 0) {
    return traceparent_error("trace-id is not lowercase hex", 3 + static_cast<std::size_t>(bad));
  }
  tp.trace_id = TraceId(std::span<const std::uint8_t, 16>(id_bytes, 16));
  if (h[35] != '-')
    return traceparent_error("expected '-' after trace-id", 35);

  bad = internal::decode_hex(h.substr(36, 16), std::span<std::uint8_t>(id_bytes, 8),
                             HexCase::kLowerOnly);
  if (bad >= 0) {
    return traceparent_error("parent-id is not lowercase hex", 36 + static_cast<std::size_t>(bad));
  }
  tp.parent_id = SpanId(std::span<const std::uint8_t, 8>(id_bytes, 8));
  if (h[52] != '-')
    return traceparent_error("expected '-' after parent-id", 52);

  bad = internal::decode_hex(h.substr(53, 2), std::span<std::uint8_t>(id_bytes, 1),
                             HexCase::kLowerOnly);
  if (bad >= 0) {
    return traceparent_error("trace-flags is not lowercase hex",
                             53 + static_cast<std::size_t>(bad));
  }
  tp.flags.bits = id_bytes[0];

  if (!tp.trace_id.valid())
    return traceparent_error("trace-id is all zeros", 3);
  if (!tp.parent_id.valid())
    return traceparent_error("parent-id is all zeros", 36);
  return tp;
}

void format_traceparent(const TraceParent& tp, std::span<char, kTraceParentSize> out) noexcept {
  out[0] = '0';
  out[1] = '0';
  out[2] = '-';
  tp.trace_id.write_hex(&out[3]);
  out[35] = '-';
  tp.parent_id.write_hex(&out[36]);
  out[52] = '-';
  const std::uint8_t flags = tp.flags.bits & TraceFlags::kKnown;
  internal::encode_hex(std::span<const std::uint8_t>(&flags, 1), &out[53]);
}

std::string format_traceparent(const TraceParent& tp) {
  std::string s(kTraceParentSize, '\0');
  format_traceparent(tp, std::span<char, kTraceParentSize>(s.data(), kTraceParentSize));
  return s;
}

bool TraceState::valid_key(std::string_view key) noexcept {
  // W3C Trace Context Level 2, "Key":
  //   key     = ( lcalpha / DIGIT ) 0*255 ( keychar )
  //   keychar = lcalpha / DIGIT / "_" / "-"/ "*" / "/" / "@"
  // "@" is an ordinary key character: the Level 1 split into tenant-id (241) "@" system-id
  // (14) is gone, so "tenant@system" is still valid and so are "foo@", "a@b@c" and a
  // 250-character tenant before "@".
  if (key.empty() || key.size() > kMaxKeySize)
    return false;
  if (!(is_lcalpha(key[0]) || is_digit(key[0])))
    return false;
  return std::all_of(key.begin() + 1, key.end(), is_key_char);
}

bool TraceState::valid_value(std::string_view value) noexcept {
  // value = 0*255(chr) nblk-chr ; chr = %x20 / nblk-chr
  if (value.empty() || value.size() > kMaxValueSize)
    return false;
  if (!is_nblk_chr(value.back()))
    return false;
  return std::all_of(value.begin(), value.end(), [](char c) { return c == ' ' || is_nblk_chr(c); });
}

Result<TraceState> TraceState::parse(std::string_view header, InvalidMembers invalid) {
  const bool skip = invalid == InvalidMembers::kSkip;
  TraceState ts;
  std::size_t members = 0;  // list-members seen, duplicates included (the grammar's 32)
  std::size_t pos = 0;
  while (pos <= header.size()) {
    std::size_t comma = header.find(',', pos);
    if (comma == std::string_view::npos)
      comma = header.size();
    const std::string_view raw = header.substr(pos, comma - pos);
    const std::size_t member_offset = pos;
    pos = comma + 1;
    // Leading OWS belongs to the separator; trailing OWS too (a value cannot end in a space).
    std::string_view member = raw;
    while (!member.empty() && is_ows(member.front()))
      member.remove_prefix(1);
    while (!member.empty() && is_ows(member.back()))
      member.remove_suffix(1);
    if (member.empty())
      continue;  // empty and whitespace-only members are allowed
    const std::size_t at = member_offset + static_cast<std::size_t>(member.data() - raw.data());
    if (++members > kMaxMembers) {
      if (skip)
        break;  // best effort: the first 32 list-members
      return invalid_argument("tracestate: more than 32 list-members (at offset " +
                              std::to_string(at) + ")");
    }
    const std::size_t eq = member.find('=');
    if (eq == std::string_view::npos) {
      if (skip)
        continue;
      return invalid_argument("tracestate: member without '=' at offset " + std::to_string(at));
    }
    std::string_view key = member.substr(0, eq);
    std::string_view value = member.substr(eq + 1);
    if (!valid_key(key)) {
      if (skip)
        continue;
      return invalid_argument("tracestate: invalid key '" + std::string(key.substr(0, 64)) +
                              "' at offset " + std::to_string(at));
    }
    if (!valid_value(value)) {
      if (skip)
        continue;
      return invalid_argument("tracestate: invalid value for key '" + std::string(key) +
                              "' at offset " + std::to_string(at + eq + 1));
    }
    // A duplicated key keeps its left-most member: the list is ordered most recent first,
    // and a receiver is not responsible for other participants' duplicates (the test suite
    // accepts either keeping one member or forwarding both).
    const bool duplicate = std::any_of(ts.members_.begin(), ts.members_.end(),
                                       [&](const Member& m) { return m.first == key; });
    if (duplicate) {
      ++ts.duplicates_dropped_;
      continue;
    }
    ts.members_.emplace_back(std::string(key), std::string(value));
  }
  return ts;
}

Status TraceState::set(std::string_view key, std::string_view value) {
  if (!valid_key(key))
    return invalid_argument("tracestate: invalid key '" + std::string(key) + "'");
  if (!valid_value(value)) {
    return invalid_argument("tracestate: invalid value for key '" + std::string(key) + "'");
  }
  erase(key);
  members_.emplace(members_.begin(), std::string(key), std::string(value));
  if (members_.size() > kMaxMembers)
    members_.pop_back();
  return Status();
}

bool TraceState::erase(std::string_view key) {
  auto it = std::find_if(members_.begin(), members_.end(),
                         [&](const Member& m) { return m.first == key; });
  if (it == members_.end())
    return false;
  members_.erase(it);
  return true;
}

std::optional<std::string_view> TraceState::get(std::string_view key) const {
  for (const auto& m : members_) {
    if (m.first == key)
      return std::string_view(m.second);
  }
  return std::nullopt;
}

std::string TraceState::to_header() const {
  auto member_size = [](const Member& m) { return m.first.size() + 1 + m.second.size(); };
  std::vector<bool> keep(members_.size(), true);
  auto header_size = [&] {
    std::size_t size = 0;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < members_.size(); ++i) {
      if (!keep[i])
        continue;
      size += member_size(members_[i]);
      ++kept;
    }
    return kept == 0 ? 0 : size + kept - 1;  // plus the commas
  };
  // Entries larger than 128 characters go first, right-most first; then entries from the end.
  for (std::size_t i = members_.size(); i-- > 0 && header_size() > kMaxHeaderSize;) {
    if (member_size(members_[i]) > kLargeMemberSize)
      keep[i] = false;
  }
  for (std::size_t i = members_.size(); i-- > 0 && header_size() > kMaxHeaderSize;) {
    keep[i] = false;
  }

  std::string out;
  out.reserve(header_size());
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (!keep[i])
      continue;
    if (!out.empty())
      out.push_back(',');
    out.append(members_[i].first).push_back('=');
    out.append(members_[i].second);
  }
  return out;
}

Result<SpanContext> extract_trace_context(std::string_view traceparent,
                                          std::string_view tracestate) {
  Result<TraceParent> tp = parse_traceparent(trim_ows(traceparent));
  if (!tp)
    return tp.status();
  SpanContext ctx;
  ctx.trace_id = tp->trace_id;
  ctx.span_id = tp->parent_id;
  ctx.flags.bits = tp->flags.bits & TraceFlags::kKnown;
  ctx.remote = true;
  // Version 00: an invalid member makes the whole tracestate invalid (the test suite's strict
  // level). A higher version may carry members this version cannot read: keep the valid
  // ones ("to the best of its ability", Versioning of tracestate).
  Result<TraceState> ts =
      TraceState::parse(tracestate, tp->version == 0 ? TraceState::InvalidMembers::kDiscardHeader
                                                     : TraceState::InvalidMembers::kSkip);
  if (ts)
    ctx.state = std::move(ts).value();
  return ctx;
}

}  // namespace edgetrace::core
