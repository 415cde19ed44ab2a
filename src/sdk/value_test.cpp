#include "edgetrace/sdk/value.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace edgetrace::sdk {
namespace {

std::string display(const FieldStore& store, std::string_view name) {
  const std::optional<Value> v = store.find(name);
  return v ? v->to_display_string() : "<missing>";
}

TEST(ValueTest, OfTakesEveryIntegerTypeWithoutAmbiguity) {
  EXPECT_EQ(Value::of(42).kind(), Value::Kind::kInt);
  EXPECT_EQ(Value::of(42).as_int(), 42);
  EXPECT_EQ(Value::of(-7L).as_int(), -7);
  EXPECT_EQ(Value::of(-7LL).as_int(), -7);
  EXPECT_EQ(Value::of(short{-3}).as_int(), -3);
  EXPECT_EQ(Value::of(std::int64_t{-9}).as_int(), -9);
  EXPECT_EQ(Value::of(std::int8_t{-1}).as_int(), -1);  // signed char is a number
  EXPECT_EQ(Value::of(std::uint8_t{200}).as_uint(), 200u);
  EXPECT_EQ(Value::of(42u).kind(), Value::Kind::kUint);
  EXPECT_EQ(Value::of(42u).as_uint(), 42u);
  EXPECT_EQ(Value::of(std::size_t{1} << 40).as_uint(), std::uint64_t{1} << 40);
  EXPECT_EQ(Value::of(std::uint16_t{65535}).as_uint(), 65535u);
  EXPECT_EQ(Value::of(~std::uint64_t{0}).as_uint(), ~std::uint64_t{0});
  EXPECT_EQ(Value::of(true).kind(), Value::Kind::kBool);
  EXPECT_EQ(Value::of(2.5).kind(), Value::Kind::kDouble);
  EXPECT_EQ(Value::of(2.5f).as_double(), 2.5);
  EXPECT_EQ(Value::of(2.5L).as_double(), 2.5);
  // A string literal is text, not the bool its pointer would convert to.
  EXPECT_EQ(Value::of("GET").kind(), Value::Kind::kString);
  EXPECT_EQ(Value::of("GET").as_string(), "GET");
  const char* null = nullptr;
  EXPECT_EQ(Value::of(null).as_string(), "(null)");
  static_assert(Value::of(5).as_int() == 5);
  static_assert(Value::of(5u).as_uint() == 5u);
}

TEST(FieldStoreTest, KeepsEveryKindInInsertionOrder) {
  FieldStore store;
  const core::AttributeValue array(std::vector<std::int64_t>{1, 2});
  store.set("b", Value::of(true));
  store.set("i", Value::of_int(-7));
  store.set("u", Value::of_uint(18446744073709551615ull));
  store.set("d", Value::of(2.5));
  store.set("s", Value::of(std::string_view("text")));
  store.set("a", Value::of(array));
  ASSERT_EQ(store.size(), 6u);
  EXPECT_EQ(store[0].name, "b");
  EXPECT_EQ(store[5].name, "a");
  EXPECT_EQ(display(store, "b"), "true");
  EXPECT_EQ(display(store, "i"), "-7");
  EXPECT_EQ(display(store, "u"), "18446744073709551615");
  EXPECT_EQ(display(store, "d"), "2.5");
  EXPECT_EQ(display(store, "s"), "text");
  EXPECT_EQ(display(store, "a"), "[1, 2]");
  EXPECT_EQ(display(store, "nope"), "<missing>");
}

TEST(FieldStoreTest, AppendFieldsKeepsShortStringsOfEveryLength) {
  // Up to 8 bytes are packed into the slot itself (two overlapping loads from 4 bytes on,
  // three byte loads below): every length from 0 to 9, with no two bytes alike.
  static constexpr std::string_view kNames[] = {"s0", "s1", "s2", "s3", "s4",
                                                "s5", "s6", "s7", "s8", "s9"};
  const std::string_view text = "abcdefghij";
  std::vector<Field> fields;
  for (std::size_t n = 0; n < 10; ++n)
    fields.push_back(Field{kNames[n], Value::of(text.substr(0, n))});
  FieldStore store;
  store.append_fields(fields, kNames);
  ASSERT_EQ(store.size(), 10u);
  for (std::size_t n = 0; n < 10; ++n) {
    EXPECT_EQ(store[n].name, kNames[n]);
    ASSERT_EQ(store[n].value.kind(), Value::Kind::kString) << n;
    EXPECT_EQ(store[n].value.as_string(), text.substr(0, n)) << n;
  }
}

TEST(FieldStoreTest, ReplacingKeepsThePositionAndTheOtherValues) {
  FieldStore store;
  store.set("first", Value::of(std::string_view("a long original value")));
  store.set("second", Value::of(std::string_view("kept")));
  store.set("first", Value::of(std::string_view("short")));  // in place
  store.set("first", Value::of(std::string_view("now much longer than it was")));
  store.set("second", Value::of_int(3));  // kind change
  ASSERT_EQ(store.size(), 2u);
  EXPECT_EQ(store[0].name, "first");
  EXPECT_EQ(display(store, "first"), "now much longer than it was");
  EXPECT_EQ(display(store, "second"), "3");
}

TEST(FieldStoreTest, RepeatedReplacementsDoNotGrowWithoutBound) {
  FieldStore store;
  store.set("other", Value::of(std::string_view("stays")));
  std::string value;
  for (int i = 0; i < 20000; ++i) {
    value.assign(static_cast<std::size_t>(i % 300), 'x');
    value += std::to_string(i);
    store.set("counter", Value::of(std::string_view(value)));
  }
  EXPECT_EQ(display(store, "counter"), value);
  EXPECT_EQ(display(store, "other"), "stays");
  // 20000 replacements of up to 305 bytes: without reclaiming, megabytes.
  EXPECT_LT(store.text_bytes(), 2u * 4096u + 1024u);
}

TEST(FieldStoreTest, ClearForgetsFieldsAndLimitDrops) {
  FieldStore store;
  store.set_limit(2);
  EXPECT_TRUE(store.append("a", Value::of_int(1)));
  EXPECT_TRUE(store.append("b", Value::of_int(2)));
  EXPECT_FALSE(store.append("c", Value::of_int(3)));
  EXPECT_EQ(store.dropped(), 1u);
  store.clear();
  EXPECT_TRUE(store.empty());
  EXPECT_EQ(store.dropped(), 0u);
  store.set("z", Value::of(std::string_view("again")));
  EXPECT_EQ(display(store, "z"), "again");
  EXPECT_EQ(display(store, "a"), "<missing>");
}

}  // namespace
}  // namespace edgetrace::sdk
