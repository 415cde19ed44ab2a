// The OTLP layer's exception.stacktrace: return addresses captured on the application's
// thread when an error event is emitted, turned into text on the export thread.
//
// Where it comes from: glibc's backtrace() (execinfo.h) captures, backtrace_symbols() names
// each frame ("binary(function+0x1f) [0x5581...]", the function demangled here). g++ 12 has
// no <stacktrace> in C++20 mode, and in C++23 mode it needs libstdc++_libbacktrace linked in;
// building with -DEDGETRACE_USE_STD_STACKTRACE=1 under C++23 (and that library) uses
// std::stacktrace instead, which names functions and source lines from debug information.
// With backtrace_symbols, functions of the executable itself are named only when it is linked
// with -rdynamic (CMake: ENABLE_EXPORTS); otherwise the frame shows the binary and an offset
// that `addr2line -e <binary> <offset>` resolves.
//
// Thread-safety: capture() touches only its argument; to_text() is pure.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace edgetrace::sdk::internal {

struct CapturedStack {
  static constexpr std::size_t kMaxFrames = 64;
  std::vector<void*> frames;  // grown to kMaxFrames on first use, then reused
  std::size_t count = 0;      // frames[0, count) are live; 0: nothing captured
  std::string text;           // std::stacktrace only: the rendered trace

  bool empty() const noexcept { return count == 0 && text.empty(); }
  void clear() noexcept {
    count = 0;
    text.clear();
  }
};

// Captures the calling thread's stack, leaving out `skip` frames above the caller of
// capture() (capture itself is never included).
void capture_stack(CapturedStack& out, int skip);

// Appends one line per frame ("#0 binary(function+0x1f) [0x5581...]") to `out`.
void append_stack_text(const CapturedStack& stack, std::string& out);

}  // namespace edgetrace::sdk::internal
