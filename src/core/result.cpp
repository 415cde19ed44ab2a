#include "edgetrace/core/result.hpp"

#include <cstdio>
#include <cstdlib>

namespace edgetrace::core {

std::string_view to_string(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kCancelled:
      return "cancelled";
    case StatusCode::kInvalidArgument:
      return "invalid_argument";
    case StatusCode::kDeadlineExceeded:
      return "deadline_exceeded";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kAlreadyExists:
      return "already_exists";
    case StatusCode::kPermissionDenied:
      return "permission_denied";
    case StatusCode::kResourceExhausted:
      return "resource_exhausted";
    case StatusCode::kFailedPrecondition:
      return "failed_precondition";
    case StatusCode::kAborted:
      return "aborted";
    case StatusCode::kOutOfRange:
      return "out_of_range";
    case StatusCode::kUnimplemented:
      return "unimplemented";
    case StatusCode::kInternal:
      return "internal";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kDataLoss:
      return "data_loss";
    case StatusCode::kUnauthenticated:
      return "unauthenticated";
  }
  return "unknown";
}

Status::Status(StatusCode code, std::string message)
    : code_(code == StatusCode::kOk && !message.empty() ? StatusCode::kInternal : code),
      message_(std::move(message)) {}

std::string Status::to_string() const {
  if (ok())
    return "ok";
  std::string out(core::to_string(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::with_context(std::string_view context) const {
  if (ok())
    return *this;
  return Status(code_, std::string(context) + ": " + message_);
}

namespace internal {
void die_on_bad_result_access(const Status& status) noexcept {
  std::fprintf(stderr, "edgetrace: value() called on an error Result: %s\n",
               status.to_string().c_str());
  std::abort();
}
}  // namespace internal

}  // namespace edgetrace::core
