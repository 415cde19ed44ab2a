// exception.stacktrace for the OTLP layer (internal/otlp_stacktrace.hpp says which source).
#include <cxxabi.h>
#include <execinfo.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <version>

#include "internal/otlp_stacktrace.hpp"

#if defined(EDGETRACE_USE_STD_STACKTRACE) && EDGETRACE_USE_STD_STACKTRACE && \
    defined(__cpp_lib_stacktrace)
#define ET_STD_STACKTRACE 1
#include <stacktrace>
#else
#define ET_STD_STACKTRACE 0
#endif

namespace edgetrace::sdk::internal {
namespace {

// "binary(_ZN4shop4cartEv+0x1f) [0x55]" -> "binary(shop::cart()+0x1f) [0x55]".
void append_demangled_frame(std::string_view line, std::string& out) {
  const std::size_t open = line.find('(');
  const std::size_t plus = line.find('+', open == std::string_view::npos ? 0 : open);
  if (open == std::string_view::npos || plus == std::string_view::npos || plus == open + 1) {
    out.append(line);
    return;
  }
  const std::string mangled(line.substr(open + 1, plus - open - 1));
  int status = 0;
  const std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status), std::free);
  if (status != 0 || !demangled) {
    out.append(line);
    return;
  }
  out.append(line.substr(0, open + 1));
  out.append(demangled.get());
  out.append(line.substr(plus));
}

}  // namespace

__attribute__((noinline)) void capture_stack(CapturedStack& out, int skip) {
  out.clear();
#if ET_STD_STACKTRACE
  out.text = std::to_string(std::stacktrace::current(static_cast<std::size_t>(skip) + 1));
#else
  if (out.frames.size() < CapturedStack::kMaxFrames)
    out.frames.resize(CapturedStack::kMaxFrames);
  const int n = ::backtrace(out.frames.data(), static_cast<int>(out.frames.size()));
  const int first = 1 + skip;  // this function, then the frames the caller leaves out
  if (n <= first)
    return;
  std::size_t kept = 0;
  for (int i = first; i < n; ++i)
    out.frames[kept++] = out.frames[static_cast<std::size_t>(i)];
  out.count = kept;
#endif
}

void append_stack_text(const CapturedStack& stack, std::string& out) {
  if (!stack.text.empty()) {
    out.append(stack.text);
    return;
  }
  if (stack.count == 0)
    return;
  char** symbols = ::backtrace_symbols(stack.frames.data(), static_cast<int>(stack.count));
  for (std::size_t i = 0; i < stack.count; ++i) {
    if (i > 0)
      out.push_back('\n');
    out.push_back('#');
    out.append(std::to_string(i));
    out.push_back(' ');
    if (symbols != nullptr) {
      append_demangled_frame(symbols[i], out);
    } else {
      char address[2 + 2 * sizeof(void*) + 1];
      std::snprintf(address, sizeof address, "%p", stack.frames[i]);
      out.append(address);
    }
  }
  std::free(symbols);
}

}  // namespace edgetrace::sdk::internal
