// edgetrace device library, C++17 front end: tokenized logs with compile-time checked
// format strings, and spans as scope guards.
//
//   #include "edgetrace/device/device.hpp"
//
//   void sample() {
//     ETD_SPAN("sample");                     // enter record now, exit record at '}'
//     ETD_INFO("temp={} hum={:x}", 21, 40u);  // placeholder count checked at compile time
//     read_sensor();                          // its spans become children of "sample"
//   }
//
// Same wire format, state and transports as the C API in edgetrace.h (this header
// includes it). Freestanding: uses only <stddef.h> and <stdint.h>; no heap,
// exceptions or RTTI, and no C++ standard library at all (Debian's arm-none-eabi
// toolchain ships none): the few type traits it needs are in namespace internal. The
// macros may be used in interrupt handlers once the device's
// critical-section hooks are set.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "edgetrace/device/edgetrace.h"
#include "edgetrace/device/internal/encoding.hpp"

namespace edgetrace::device {

// A string of known length; any type with data() and size() (std::string_view) converts.
using Str = et_str;
using Bytes = et_bytes;

// Scope guard for a span: enter record on construction, exit record on destruction.
// Not copyable or movable (the device keeps a pointer to it while it is active).
class Span {
 public:
  explicit Span(const char* site) noexcept { et_span_begin(&span_, site, nullptr); }
  Span(const char* site, const et_remote_parent& remote) noexcept {
    et_span_begin(&span_, site, &remote);
  }
  ~Span() { et_span_end(&span_); }
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;

  uint32_t id() const noexcept { return span_.id; }

 private:
  et_span span_;
};

namespace internal {

// The type traits of <type_traits> this header needs, from compiler builtins.
template <typename T, T v>
struct Constant {
  static constexpr T value = v;
};
using TrueType = Constant<bool, true>;
using FalseType = Constant<bool, false>;
template <typename A, typename B>
struct IsSame : FalseType {};
template <typename A>
struct IsSame<A, A> : TrueType {};
template <typename T>
struct RemoveCvRef {
  using type = T;
};
template <typename T>
struct RemoveCvRef<T&> : RemoveCvRef<T> {};
template <typename T>
struct RemoveCvRef<T&&> : RemoveCvRef<T> {};
template <typename T>
struct RemoveCvRef<const T> : RemoveCvRef<T> {};
template <typename T>
struct RemoveCvRef<volatile T> : RemoveCvRef<T> {};
template <typename T>
struct RemoveCvRef<const volatile T> : RemoveCvRef<T> {};
// Arrays decay to pointers (string literals and char buffers are C strings).
template <typename T>
struct Decay {
  using type = T;
};
template <typename T, size_t N>
struct Decay<T[N]> {
  using type = T*;
};
template <typename T>
struct Decay<T[]> {
  using type = T*;
};
template <typename T>
using Bare = typename Decay<typename RemoveCvRef<T>::type>::type;
template <typename...>
using VoidT = void;

template <typename T>
constexpr bool is_integer() noexcept {
  return IsSame<T, signed char>::value || IsSame<T, unsigned char>::value ||
         IsSame<T, short>::value || IsSame<T, unsigned short>::value || IsSame<T, int>::value ||
         IsSame<T, unsigned>::value || IsSame<T, long>::value || IsSame<T, unsigned long>::value ||
         IsSame<T, long long>::value || IsSame<T, unsigned long long>::value;
}
template <typename T>
constexpr bool is_signed_integer() noexcept {
  return IsSame<T, signed char>::value || IsSame<T, short>::value || IsSame<T, int>::value ||
         IsSame<T, long>::value || IsSame<T, long long>::value;
}

template <typename T>
T declval_() noexcept;  // std::declval, without <utility>

template <typename T, typename = void>
struct HasDataSize : FalseType {};
template <typename T>
struct HasDataSize<
    T, VoidT<decltype(declval_<const T&>().data()), decltype(declval_<const T&>().size())>>
    : TrueType {};

// The wire class of an argument type; 0 for unsupported types (rejected by static_assert).
template <typename T>
constexpr uint8_t arg_class() noexcept {
  using U = Bare<T>;
  if constexpr (IsSame<U, bool>::value) {
    return ETD_ARG_BOOL;
  } else if constexpr (IsSame<U, char>::value) {
    return ETD_ARG_CHAR;
  } else if constexpr (__is_enum(U)) {
    return arg_class<__underlying_type(U)>();
  } else if constexpr (is_integer<U>()) {
    if constexpr (sizeof(U) > 4) {
      return is_signed_integer<U>() ? ETD_ARG_I64 : ETD_ARG_U64;
    } else {
      return is_signed_integer<U>() ? ETD_ARG_I32 : ETD_ARG_U32;
    }
  } else if constexpr (IsSame<U, float>::value) {
    return ETD_ARG_F32;
  } else if constexpr (IsSame<U, double>::value) {
    return ETD_ARG_F64;
  } else if constexpr (IsSame<U, const char*>::value || IsSame<U, char*>::value) {
    return ETD_ARG_CSTR;
  } else if constexpr (IsSame<U, et_bytes>::value) {
    return ETD_ARG_BYTES;
  } else if constexpr (IsSame<U, et_str>::value || HasDataSize<U>::value) {
    return ETD_ARG_STR;
  } else {
    return 0;
  }
}

template <typename T>
constexpr uint8_t arg_sig() noexcept {
  using U = Bare<T>;
  constexpr uint8_t cls = arg_class<T>();
  static_assert(cls != 0,
                "edgetrace: unsupported log argument type (integers, bool, char, float, "
                "double, C strings, et_str/string views, et_bytes)");
  if constexpr (cls == ETD_ARG_CSTR || cls == ETD_ARG_STR || cls == ETD_ARG_BYTES) {
    return cls;
  } else {
    return static_cast<uint8_t>(cls | sizeof(U) << 4);
  }
}

// Converts an argument to the canonical type of its wire class, so that log<...>() is
// instantiated once per list of classes, not once per list of C++ types.
template <typename T>
constexpr auto pass(const T& v) noexcept {
  constexpr uint8_t cls = arg_class<T>();
  if constexpr (cls == ETD_ARG_BOOL) {
    return static_cast<bool>(v);
  } else if constexpr (cls == ETD_ARG_CHAR) {
    return static_cast<char>(v);
  } else if constexpr (cls == ETD_ARG_I32) {
    return static_cast<int32_t>(v);
  } else if constexpr (cls == ETD_ARG_U32) {
    return static_cast<uint32_t>(v);
  } else if constexpr (cls == ETD_ARG_I64) {
    return static_cast<long long>(v);
  } else if constexpr (cls == ETD_ARG_U64) {
    return static_cast<unsigned long long>(v);
  } else if constexpr (cls == ETD_ARG_F32) {
    return static_cast<float>(v);
  } else if constexpr (cls == ETD_ARG_F64) {
    return static_cast<double>(v);
  } else if constexpr (cls == ETD_ARG_CSTR) {
    return static_cast<const char*>(v);
  } else if constexpr (IsSame<Bare<T>, et_bytes>::value || IsSame<Bare<T>, et_str>::value) {
    return v;
  } else {
    return et_make_str(v.data(), static_cast<size_t>(v.size()));
  }
}

// Encodes arguments into a record body (docs/wire-format.md, "Log record").
struct ArgWriter {
  uint8_t* p;
  uint8_t* end;
  uint32_t truncated;
};

// `after`: arguments still to come, whose worst case (10 bytes each) stays reserved.
inline void put_sized(ArgWriter& w, size_t after, const void* data, size_t size) noexcept {
  const size_t room = static_cast<size_t>(w.end - w.p) - 2 - 10 * after;
  const size_t cap = ETD_MAX_STRING < room ? ETD_MAX_STRING : room;
  const bool cut = data != nullptr && size > cap;
  if (data == nullptr) {
    size = 0;
  } else if (cut) {
    size = cap;
    ++w.truncated;
  }
  w.p = put_varint32(w.p, static_cast<uint32_t>(size << 1 | (cut ? 1u : 0u)));
  copy_bytes(w.p, data, size);
  w.p += size;
}
inline void put_arg(ArgWriter& w, size_t, bool v) noexcept {
  *w.p++ = v ? 1 : 0;
}
inline void put_arg(ArgWriter& w, size_t, char v) noexcept {
  *w.p++ = static_cast<uint8_t>(v);
}
inline void put_arg(ArgWriter& w, size_t, int32_t v) noexcept {
  w.p = put_varint32(w.p, zigzag32(v));
}
inline void put_arg(ArgWriter& w, size_t, uint32_t v) noexcept {
  w.p = put_varint32(w.p, v);
}
inline void put_arg(ArgWriter& w, size_t, long long v) noexcept {
  w.p = put_varint64(w.p, zigzag64(v));
}
inline void put_arg(ArgWriter& w, size_t, unsigned long long v) noexcept {
  w.p = put_varint64(w.p, v);
}
inline void put_arg(ArgWriter& w, size_t, float v) noexcept {
  copy_bytes(w.p, &v, 4);
  w.p += 4;
}
inline void put_arg(ArgWriter& w, size_t, double v) noexcept {
  copy_bytes(w.p, &v, 8);
  w.p += 8;
}
inline void put_arg(ArgWriter& w, size_t after, const char* v) noexcept {
  size_t n = 0;
  if (v != nullptr) {
    while (n <= ETD_MAX_STRING && v[n] != '\0') {
      ++n;
    }
  }
  put_sized(w, after, v, n);
}
inline void put_arg(ArgWriter& w, size_t after, et_str v) noexcept {
  put_sized(w, after, v.data, v.size);
}
inline void put_arg(ArgWriter& w, size_t after, et_bytes v) noexcept {
  put_sized(w, after, v.data, v.size);
}

// One out-of-line function per list of argument classes: the call site only loads its
// anchor and arguments and calls it.
template <typename... A>
__attribute__((noinline)) void log(const char* site, A... args) noexcept {
  if constexpr (sizeof...(A) == 0) {
    et_device_emit_log(site, nullptr, 0, 0);
    return;
  }
  // Largest log header: tag (5) + time delta (10).
  uint8_t body[ETD_MAX_RECORD - 15];
  ArgWriter w{body, body + sizeof body, 0};
  size_t after = sizeof...(A);
  (put_arg(w, --after, args), ...);
  (void)after;
  et_device_emit_log(site, body, static_cast<size_t>(w.p - body), w.truncated);
}

// Number of {} placeholders in a format string, or -1 if a brace is unbalanced or a
// placeholder's spec is not one of "", ":x", ":X", ":b", ":#x", ":#X", ":#b".
// "{{" and "}}" are literal braces.
template <size_t N>
constexpr int count_placeholders(const char (&fmt)[N]) noexcept {
  int count = 0;
  for (size_t i = 0; i + 1 < N; ++i) {
    if (fmt[i] == '{') {
      if (i + 2 < N && fmt[i + 1] == '{') {
        ++i;
        continue;
      }
      size_t j = i + 1;
      while (j + 1 < N && fmt[j] != '}') {
        ++j;
      }
      if (j + 1 >= N) {
        return -1;
      }
      const size_t len = j - i - 1;
      const char* s = fmt + i + 1;
      const bool ok =
          len == 0 || (len == 2 && s[0] == ':' && (s[1] == 'x' || s[1] == 'X' || s[1] == 'b')) ||
          (len == 3 && s[0] == ':' && s[1] == '#' && (s[2] == 'x' || s[2] == 'X' || s[2] == 'b'));
      if (!ok) {
        return -1;
      }
      ++count;
      i = j;
    } else if (fmt[i] == '}') {
      if (i + 2 < N && fmt[i + 1] == '}') {
        ++i;
        continue;
      }
      return -1;
    }
  }
  return count;
}

}  // namespace internal
}  // namespace edgetrace::device

#define ETD_CXX_SIG(x) ::edgetrace::device::internal::arg_sig<decltype(x)>()
#define ETD_CXX_PASS(x) ::edgetrace::device::internal::pass(x)
#define ETD_CXX_EMIT_(anchor, n, ...) \
  ::edgetrace::device::internal::log(anchor ETD_CAT(ETD_PASS_, n)(ETD_CXX_PASS, __VA_ARGS__))
#define ETD_CXX_CHECK_(n, fmt)                                                      \
  static_assert(::edgetrace::device::internal::count_placeholders(fmt) >= 0,        \
                "edgetrace: malformed format string (braces or placeholder spec)"); \
  static_assert(::edgetrace::device::internal::count_placeholders(fmt) == (n)-1,    \
                "edgetrace: the number of {} placeholders differs from the arguments")

#define ETD_LOG_AT_CXX_(level, n, ...)                \
  ETD_LOG_SITE_(level, n, ETD_CXX_SIG, ETD_CXX_EMIT_, \
                ETD_CXX_CHECK_(n, ETD_FIRST_(__VA_ARGS__, 0)), __VA_ARGS__)
// ETD_LOG(level, "format {}", args...): level must be a constant; at most 8 arguments.
#define ETD_LOG(level, ...) ETD_LOG_AT_CXX_(level, ETD_NARGS_(__VA_ARGS__), __VA_ARGS__)

// A span site; evaluates to its anchor.
#define ETD_SPAN_SITE(name)                                  \
  ([]() noexcept -> const char* {                            \
    ETD_SPAN_SITE_DECL_(et_span_anchor, et_span_meta, name); \
    return &et_span_anchor;                                  \
  }())

// ETD_SPAN("name"): a span from here to the end of the enclosing scope.
#define ETD_SPAN(name) \
  ::edgetrace::device::Span ETD_CAT(et_span_guard_, __LINE__)(ETD_SPAN_SITE(name))
// ETD_SPAN_REMOTE("name", remote): the same, child of a remote (W3C) parent.
#define ETD_SPAN_REMOTE(name, remote) \
  ::edgetrace::device::Span ETD_CAT(et_span_guard_, __LINE__)(ETD_SPAN_SITE(name), remote)

#define ETD_STR(data, size) et_make_str((data), (size))
#define ETD_BYTES(data, size) et_make_bytes((data), (size))
