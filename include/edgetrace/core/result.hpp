// Status and Result<T>: the error type every edgetrace component returns.
//
// Host code never throws across the public API. A function that can fail returns
// `Status` (no value) or `Result<T>` (a value or an error), both [[nodiscard]].
//
//   edgetrace::core::Result<TraceParent> r = parse_traceparent(header);
//   if (!r) {
//     log(r.status().to_string());   // "invalid_argument: traceparent: ... at offset 3"
//     return;
//   }
//   use(r.value());
//
// Thread-safety: values, like std::string; distinct objects may be used from distinct
// threads. Allocation: an error allocates its message; an OK Status allocates nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace edgetrace::core {

// The error categories. They follow the gRPC status codes so that an exporter can map a
// transport result onto them without losing meaning.
enum class StatusCode : std::uint8_t {
  kOk = 0,
  kCancelled,
  kInvalidArgument,
  kDeadlineExceeded,
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kResourceExhausted,
  kFailedPrecondition,
  kAborted,
  kOutOfRange,
  kUnimplemented,
  kInternal,
  kUnavailable,
  kDataLoss,
  kUnauthenticated,
};

// Lowercase snake_case name of a code, e.g. "invalid_argument".
std::string_view to_string(StatusCode code) noexcept;

class [[nodiscard]] Status {
 public:
  // An OK status.
  Status() noexcept = default;
  // An error; `code` must not be kOk (an OK code with a message is stored as kInternal).
  Status(StatusCode code, std::string message);

  bool ok() const noexcept { return code_ == StatusCode::kOk; }
  explicit operator bool() const noexcept { return ok(); }
  StatusCode code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  // "ok" or "<code>: <message>".
  std::string to_string() const;

  // Returns a copy whose message is prefixed by `context: `; OK stays OK.
  Status with_context(std::string_view context) const;

  // Explicitly discards a status the caller has decided not to act on.
  void ignore() const noexcept {}

  friend bool operator==(const Status& a, const Status& b) noexcept {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Shorthands for the codes parsers use most.
inline Status invalid_argument(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}
inline Status out_of_range(std::string message) {
  return Status(StatusCode::kOutOfRange, std::move(message));
}
inline Status not_found(std::string message) {
  return Status(StatusCode::kNotFound, std::move(message));
}
inline Status internal_error(std::string message) {
  return Status(StatusCode::kInternal, std::move(message));
}

namespace internal {
[[noreturn]] void die_on_bad_result_access(const Status& status) noexcept;
}  // namespace internal

// A value of type T or an error Status. Accessing value() of an error Result is a
// programming error and aborts with the error printed (exceptions never cross the API).
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Status>, "Result<Status> is meaningless");
  static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");

 public:
  // Implicit from a value, so `return value;` works.
  template <typename U = T, typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                        !std::is_same_v<std::decay_t<U>, Status> &&
                                                        !std::is_same_v<std::decay_t<U>, Result>>>
  Result(U&& value) : state_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT

  // Implicit from an error, so `return invalid_argument("...");` works.
  Result(Status status) : state_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    if (std::get<1>(state_).ok()) {
      state_.template emplace<1>(StatusCode::kInternal, "Result constructed from an OK Status");
    }
  }

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // The error, or an OK Status when a value is held.
  Status status() const {
    if (ok())
      return Status();
    return std::get<1>(state_);
  }

  T& value() & {
    check();
    return std::get<0>(state_);
  }
  const T& value() const& {
    check();
    return std::get<0>(state_);
  }
  T&& value() && {
    check();
    return std::get<0>(std::move(state_));
  }

  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void check() const noexcept {
    if (!ok())
      internal::die_on_bad_result_access(std::get<1>(state_));
  }

  std::variant<T, Status> state_;
};

}  // namespace edgetrace::core
