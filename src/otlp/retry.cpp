#include "edgetrace/otlp/retry.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>

#include "edgetrace/core/ids.hpp"

namespace edgetrace::otlp {
namespace {

using std::chrono::milliseconds;

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

int month_index(std::string_view m) noexcept {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (m == kMonths[i])
      return i + 1;
  }
  return 0;
}

bool parse_int(std::string_view s, int& out) noexcept {
  if (s.empty())
    return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Parses "HH:MM:SS".
bool parse_time(std::string_view s, int& h, int& m, int& sec) noexcept {
  return s.size() == 8 && s[2] == ':' && s[5] == ':' && parse_int(s.substr(0, 2), h) &&
         parse_int(s.substr(3, 2), m) && parse_int(s.substr(6, 2), sec) && h < 24 && m < 60 &&
         sec <= 60;
}

std::optional<std::int64_t> parse_http_date(std::string_view v) noexcept {
  // Split on spaces (collapsing runs: asctime pads the day with a space).
  std::string_view parts[6];
  int n = 0;
  std::size_t pos = 0;
  while (pos < v.size() && n < 6) {
    while (pos < v.size() && v[pos] == ' ')
      ++pos;
    if (pos >= v.size())
      break;
    std::size_t end = v.find(' ', pos);
    if (end == std::string_view::npos)
      end = v.size();
    parts[n++] = v.substr(pos, end - pos);
    pos = end;
  }
  while (pos < v.size() && v[pos] == ' ')
    ++pos;
  if (pos != v.size())
    return std::nullopt;
  int day = 0, month = 0, year = 0, h = 0, m = 0, s = 0;
  if (n == 6 && parts[5] == "GMT") {
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    month = month_index(parts[2]);
    if (!parse_int(parts[1], day) || !parse_int(parts[3], year) || !parse_time(parts[4], h, m, s)) {
      return std::nullopt;
    }
  } else if (n == 4 && parts[3] == "GMT") {
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
    std::string_view date = parts[1];
    if (date.size() != 9 || date[2] != '-' || date[6] != '-')
      return std::nullopt;
    month = month_index(date.substr(3, 3));
    if (!parse_int(date.substr(0, 2), day) || !parse_int(date.substr(7, 2), year) ||
        !parse_time(parts[2], h, m, s)) {
      return std::nullopt;
    }
    year += year < 70 ? 2000 : 1900;
  } else if (n == 5) {
    // asctime: "Sun Nov  6 08:49:37 1994"
    month = month_index(parts[1]);
    if (!parse_int(parts[2], day) || !parse_time(parts[3], h, m, s) || !parse_int(parts[4], year)) {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  if (month == 0 || day < 1 || day > 31 || year < 1970 || year > 9999)
    return std::nullopt;
  return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
         h * 3600 + m * 60 + s;
}

double uniform01() noexcept {
  return static_cast<double>(core::internal::random_u64() >> 11) * 0x1.0p-53;
}

}  // namespace

std::string_view to_string(Action action) noexcept {
  switch (action) {
    case Action::kSuccess:
      return "success";
    case Action::kRetry:
      return "retry";
    case Action::kSplit:
      return "split";
    case Action::kDrop:
      return "drop";
    case Action::kFatal:
      return "fatal";
  }
  return "unknown";
}

std::optional<milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  if (value.empty())
    return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t seconds = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || p != value.data() + value.size())
      return std::nullopt;
    // Cap absurd values (a day) so the multiplication cannot overflow.
    return milliseconds(std::min<std::int64_t>(seconds, 86400) * 1000);
  }
  std::optional<std::int64_t> when = parse_http_date(value);
  if (!when)
    return std::nullopt;
  const auto now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  return milliseconds(std::clamp<std::int64_t>(*when - now_s, 0, 86400) * 1000);
}

Verdict classify_http(int status, std::optional<std::string_view> retry_after,
                      std::chrono::system_clock::time_point now) {
  if (status >= 200 && status < 300)
    return {Action::kSuccess, std::nullopt};
  switch (status) {
    case 429:
    case 502:
    case 503:
    case 504: {
      Verdict v{Action::kRetry, std::nullopt};
      if (retry_after)
        v.retry_after = parse_retry_after(*retry_after, now);
      return v;
    }
    case 413:
      return {Action::kSplit, std::nullopt};
    case 401:
    case 403:
      return {Action::kFatal, std::nullopt};
    default:
      return {Action::kDrop, std::nullopt};
  }
}

Verdict classify_connection_failure() {
  return {Action::kRetry, std::nullopt};
}

Verdict classify_grpc(GrpcCode code, std::optional<milliseconds> retry_info_delay) {
  switch (code) {
    case GrpcCode::kOk:
      return {Action::kSuccess, std::nullopt};
    case GrpcCode::kCancelled:
    case GrpcCode::kDeadlineExceeded:
    case GrpcCode::kAborted:
    case GrpcCode::kOutOfRange:
    case GrpcCode::kUnavailable:
    case GrpcCode::kDataLoss:
      return {Action::kRetry, retry_info_delay};
    case GrpcCode::kResourceExhausted:
      if (retry_info_delay)
        return {Action::kRetry, retry_info_delay};
      return {Action::kSplit, std::nullopt};
    case GrpcCode::kUnauthenticated:
    case GrpcCode::kPermissionDenied:
      return {Action::kFatal, std::nullopt};
    default:
      return {Action::kDrop, std::nullopt};
  }
}

milliseconds Backoff::next() noexcept {
  const double cap = static_cast<double>(policy_.max_backoff.count());
  current_ms_ = attempts_ == 0 ? static_cast<double>(policy_.initial_backoff.count())
                               : std::min(current_ms_ * policy_.multiplier, cap);
  ++attempts_;
  const double j = std::clamp(policy_.jitter, 0.0, 1.0);
  const double delay = current_ms_ * (1.0 - j + 2.0 * j * uniform01());
  return milliseconds(static_cast<std::int64_t>(std::min(delay, cap)));
}

bool CircuitBreaker::record(Action action) noexcept {
  if (action == Action::kFatal) {
    const int n = fatal_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n >= threshold_ && !open_.exchange(true, std::memory_order_acq_rel))
      return true;
    return false;
  }
  fatal_.store(0, std::memory_order_relaxed);  // the streak of fatal results is broken
  return false;
}

void CircuitBreaker::reset() noexcept {
  fatal_.store(0, std::memory_order_relaxed);
  open_.store(false, std::memory_order_release);
}

}  // namespace edgetrace::otlp
