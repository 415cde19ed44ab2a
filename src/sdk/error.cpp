// Errors as event fields (error.hpp).
#include "edgetrace/sdk/error.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace edgetrace::sdk {

std::string demangled_type_name(const std::type_info& type) {
  const char* mangled = type.name();
  int status = 0;
  const std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  return status == 0 && demangled ? std::string(demangled.get()) : std::string(mangled);
}

ErrorFields error(const std::exception& e) {
  return ErrorFields(demangled_type_name(typeid(e)), e.what());
}

ErrorFields error(const std::error_code& ec) {
  std::string type = ec.category().name();
  type += ':';
  type += std::to_string(ec.value());
  return ErrorFields(std::move(type), ec.message());
}

ErrorFields error(std::string_view type, std::string_view message) {
  return ErrorFields(std::string(type), std::string(message));
}

}  // namespace edgetrace::sdk
