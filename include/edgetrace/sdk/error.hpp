// Errors as event fields: an exception or error code passed to an ET_* event becomes the
// OpenTelemetry fields exception.type and exception.message.
//
//   #include <edgetrace/sdk/error.hpp>
//
//   try {
//     charge(order);
//   } catch (const std::exception& e) {
//     ET_ERROR("payment failed", edgetrace::sdk::error(e), field<"order.id">(order.id));
//   }
//   if (ec) ET_WARN("connect failed", edgetrace::sdk::error(ec));   // std::error_code
//
// exception.type is the dynamic type's demangled name ("std::runtime_error",
// "shop::CardDeclined"); for an error code it is "<category>:<value>" ("system:111") and the
// message is the category's text ("Connection refused"). Every layer sees the two fields like
// any other: the console prints them, the OTLP layer exports them as log record attributes
// and, when OtlpLayerOptions::exception_stacktrace is set, adds exception.stacktrace (the
// stack of the thread that emitted the event).
//
// Cost: error() copies the type name and message (it allocates); use it on error paths. The
// argument is evaluated only when the call site is enabled, like every field.
//
// Lifetime: the ErrorFields returned lives until the end of the ET_* statement, which is
// what the event borrows from it.
//
// Thread-safety: plain values.
#pragma once

#include <cstddef>
#include <exception>
#include <string>
#include <string_view>
#include <system_error>
#include <typeinfo>
#include <utility>

#include "edgetrace/sdk/semconv.hpp"
#include "edgetrace/sdk/value.hpp"

namespace edgetrace::sdk {

// A field group (event.hpp): the exception.type and exception.message of one error.
class ErrorFields {
 public:
  static constexpr std::string_view kFieldNames[] = {semconv::exception::kType,
                                                     semconv::exception::kMessage};

  ErrorFields(std::string type, std::string message)
      : type_(std::move(type)), message_(std::move(message)) {}

  // The value of kFieldNames[i]; borrows from this object.
  Value field_value(std::size_t i) const noexcept {
    return Value::of(std::string_view(i == 0 ? type_ : message_));
  }
  const std::string& type() const noexcept { return type_; }
  const std::string& message() const noexcept { return message_; }

 private:
  std::string type_;
  std::string message_;
};

// The demangled name of a type ("std::runtime_error"); the raw name when demangling fails.
std::string demangled_type_name(const std::type_info& type);

// An exception: its dynamic type and what().
ErrorFields error(const std::exception& e);
// An error code: "<category>:<value>" and the category's message.
ErrorFields error(const std::error_code& ec);
// Any other error, named by the caller.
ErrorFields error(std::string_view type, std::string_view message);

}  // namespace edgetrace::sdk
