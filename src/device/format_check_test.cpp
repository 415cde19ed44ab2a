// The compile-time format check. Mismatches are compile errors; the ctest
// device.compile_fail.* cases prove it by compiling compile_fail/*.cpp.
#include <gtest/gtest.h>

#include "edgetrace/device/device.hpp"

namespace edgetrace::device::test {
namespace {

using internal::count_placeholders;

static_assert(count_placeholders("none") == 0);
static_assert(count_placeholders("{} and {}") == 2);
static_assert(count_placeholders("{:x} {:X} {:b} {:#x} {:#X} {:#b}") == 6);
static_assert(count_placeholders("{{}} {{ }}") == 0);
static_assert(count_placeholders("{") == -1);
static_assert(count_placeholders("}") == -1);
static_assert(count_placeholders("{:d}") == -1);
static_assert(count_placeholders("{0}") == -1);

static_assert(internal::arg_sig<std::int8_t>() == (ETD_ARG_I32 | 1 << 4));
static_assert(internal::arg_sig<const std::uint16_t&>() == (ETD_ARG_U32 | 2 << 4));
static_assert(internal::arg_sig<long long>() == (ETD_ARG_I64 | 8 << 4));
static_assert(internal::arg_sig<bool>() == (ETD_ARG_BOOL | 1 << 4));
static_assert(internal::arg_sig<char>() == (ETD_ARG_CHAR | 1 << 4));
static_assert(internal::arg_sig<float>() == (ETD_ARG_F32 | 4 << 4));
static_assert(internal::arg_sig<const char (&)[4]>() == ETD_ARG_CSTR);
static_assert(internal::arg_class<int*>() == 0);

TEST(FormatCheckTest, CountsPlaceholdersAtCompileTime) {
  constexpr int n = count_placeholders("a={} b={:x}");
  EXPECT_EQ(n, 2);
}

}  // namespace
}  // namespace edgetrace::device::test
