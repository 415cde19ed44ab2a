#include "edgetrace/core/baggage.hpp"

#include <gtest/gtest.h>

#include "edgetrace/core/percent_encoding.hpp"

namespace edgetrace::core {
namespace {

TEST(BaggageTest, ParsesMembersPropertiesAndOws) {
  Result<Baggage> b = Baggage::parse(
      "key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue");
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  ASSERT_EQ(b->size(), 3u);
  EXPECT_EQ(b->entries()[0].key, "key1");
  EXPECT_EQ(b->entries()[0].value, "value1");
  EXPECT_EQ(b->entries()[0].metadata, "property1;property2");
  EXPECT_EQ(b->get("key2"), "value2");
  EXPECT_EQ(b->entries()[2].metadata, "propertyKey=propertyValue");
  EXPECT_EQ(b->to_header(),
            "key1=value1;property1;property2,key2=value2,key3=value3;propertyKey=propertyValue");
}

TEST(BaggageTest, PercentDecodesValuesAndEncodesOnOutput) {
  Result<Baggage> b = Baggage::parse("serverNode=DF%2028,userId=Am%C3%A9lie,list=a%2Cb%3Bc");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->get("serverNode"), "DF 28");
  EXPECT_EQ(b->get("userId"), "Am\xc3\xa9lie");
  EXPECT_EQ(b->get("list"), "a,b;c");
  EXPECT_EQ(b->to_header(), "serverNode=DF%2028,userId=Am%C3%A9lie,list=a%2Cb%3Bc");
}

TEST(BaggageTest, EmptyValueIsAllowed) {
  Result<Baggage> b = Baggage::parse("k=");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->get("k"), "");
}

TEST(BaggageTest, RejectsMalformedMembersWithOffset) {
  Result<Baggage> no_eq = Baggage::parse("a=1,novalue");
  ASSERT_FALSE(no_eq.ok());
  EXPECT_NE(no_eq.status().message().find("offset 4"), std::string::npos)
      << no_eq.status().message();
  EXPECT_FALSE(Baggage::parse("bad key=1").ok());
  EXPECT_FALSE(Baggage::parse("k=a b").ok());
  EXPECT_FALSE(Baggage::parse("k=\"quoted\"").ok());
  EXPECT_FALSE(Baggage::parse("k=a\\b").ok());
  EXPECT_FALSE(Baggage::parse("k=%zz").ok());
  EXPECT_FALSE(Baggage::parse("k=%4").ok());
  EXPECT_FALSE(Baggage::parse("k=v;").ok());
  EXPECT_FALSE(Baggage::parse("k=v;bad prop").ok());
  EXPECT_FALSE(Baggage::parse("=v").ok());
}

TEST(BaggageTest, DropsMembersBeyond180) {
  std::string h;
  for (int i = 0; i < 200; ++i)
    h += (i ? "," : "") + ("k" + std::to_string(i)) + "=v";
  Result<Baggage> b = Baggage::parse(h);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->size(), 180u);
  EXPECT_EQ(b->dropped(), 20u);
  EXPECT_TRUE(b->get("k179").has_value());
  EXPECT_FALSE(b->get("k180").has_value());
}

TEST(BaggageTest, DropsWholeMembersBeyond8192Bytes) {
  std::string h;
  for (int i = 0; i < 5; ++i)
    h += (i ? "," : "") + ("k" + std::to_string(i)) + "=" + std::string(2000, 'v');
  Result<Baggage> b = Baggage::parse(h);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->size(), 4u);
  EXPECT_EQ(b->dropped(), 1u);
  EXPECT_LE(b->to_header().size(), Baggage::kMaxHeaderBytes);

  Result<Baggage> huge = Baggage::parse("big=" + std::string(5000, 'x') + ",small=1");
  ASSERT_TRUE(huge.ok());
  EXPECT_FALSE(huge->get("big").has_value());
  EXPECT_EQ(huge->get("small"), "1");
}

TEST(BaggageTest, ToHeaderLeavesOutWhatDoesNotFitAndSaysSo) {
  Baggage b;
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(b.set("k" + std::to_string(i), std::string(2000, 'v')).ok());
  std::size_t left_out = 0;
  std::string h = b.to_header(&left_out);
  EXPECT_LE(h.size(), Baggage::kMaxHeaderBytes);
  EXPECT_EQ(left_out, 1u);
}

TEST(BaggageTest, SetReplacesAndValidates) {
  Baggage b;
  ASSERT_TRUE(b.set("user", "alice").ok());
  ASSERT_TRUE(b.set("user", "bob", "ttl=30").ok());
  EXPECT_EQ(b.size(), 1u);
  EXPECT_EQ(b.to_header(), "user=bob;ttl=30");
  EXPECT_FALSE(b.set("bad key", "x").ok());
  EXPECT_FALSE(b.set("k", "x", "bad prop").ok());
  EXPECT_TRUE(b.erase("user"));
  EXPECT_TRUE(b.empty());
}

TEST(BaggageTest, LastDuplicateWins) {
  Result<Baggage> b = Baggage::parse("a=1,a=2");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->size(), 1u);
  EXPECT_EQ(b->get("a"), "2");
}

TEST(PercentEncodingTest, DecodeErrorsNameTheOffset) {
  Result<std::string> r = percent_decode("abc%G1");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("offset 3"), std::string::npos);
  EXPECT_FALSE(percent_decode("abc%").ok());
  EXPECT_EQ(percent_decode("%41%62c").value(), "Abc");
}

}  // namespace
}  // namespace edgetrace::core
