// The C11 API (edgetrace.h with _Generic macros), exercised from c_api_sites.c.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/device_fixture.hpp"

extern "C" {
void et_c_log_every_type(void);
void et_c_nested_spans(void);
void et_c_remote_span(const et_remote_parent* remote);
void et_c_mismatched_placeholders(void);
}

namespace edgetrace::device::test {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

class CApiTest : public edgetrace::testing::DeviceFixture {};

TEST_F(CApiTest, GenericMacrosEncodeEveryArgumentType) {
  init();
  et_c_log_every_type();
  EXPECT_THAT(lines(),
              ElementsAre(StartsWith("handshake"),
                          "[INFO] -5 -300 -70000 -5000000000 200 60000 4000000000 "
                          "18000000000000000000",
                          "[WARN] true q 0.5 1e+10", "[ERROR] c-string siz [01 02 fa]",
                          "[DEBUG] hex=0xc8 bin=110", "[TRACE] plain", "[FATAL] size_t=3"));
}

TEST_F(CApiTest, CTableRecordsExactTypes) {
  init();
  et_c_log_every_type();
  const auto recs = records();
  ASSERT_EQ(recs.size(), 7u);
  auto sig = [this](const decoder::Record& r, std::size_t i) {
    const decoder::CallSite* site = table_->find(r.callsite_id);
    return site == nullptr ? 0 : site->signature[i];
  };
  // int8_t is stored as class I32 with width 1, so "{:x}" of -5 would print "fb".
  EXPECT_EQ(sig(recs[1], 0), ETD_ARG_I32 | 1 << 4);
  EXPECT_EQ(sig(recs[1], 3), ETD_ARG_I64 | 8 << 4);
  EXPECT_EQ(sig(recs[2], 0), ETD_ARG_BOOL | 1 << 4);
  EXPECT_EQ(sig(recs[2], 1), ETD_ARG_CHAR | 1 << 4);
  EXPECT_EQ(sig(recs[3], 1), ETD_ARG_STR);
  EXPECT_EQ(sig(recs[3], 2), ETD_ARG_BYTES);
  EXPECT_EQ(recs[1].args[0].type, "i8");
  EXPECT_EQ(recs[1].args[0].value, core::AttributeValue(-5));
  EXPECT_EQ(recs[1].args[3].type, "i64");
  EXPECT_EQ(recs[2].args[0].type, "bool");
  EXPECT_EQ(recs[3].args[1].type, "str");
  EXPECT_EQ(recs[3].args[2].type, "bytes");
  EXPECT_EQ(recs[3].args[2].value, core::AttributeValue(core::Bytes{1, 2, 250}));
}

TEST_F(CApiTest, SpansNestAcrossCFunctions) {
  init();
  et_c_nested_spans();
  EXPECT_THAT(lines(), ElementsAre(StartsWith("handshake"), "span enter c-parent id=1 parent=0",
                                   "span enter c-child id=2 parent=1", "[INFO] inside child",
                                   "span exit c-child id=2 parent=1 root=1",
                                   "span exit c-parent id=1 parent=0 root=1"));
}

TEST_F(CApiTest, RemoteParentFromC) {
  init();
  et_remote_parent remote{};
  const char kTp[] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  ASSERT_EQ(et_remote_parent_parse(&remote, kTp, sizeof kTp - 1), 1);
  et_c_remote_span(&remote);
  auto l = lines();
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[2],
            "span exit c-remote id=1 parent=0 root=1 trace=0af7651916cd43dd8448eb211c80319c "
            "remote-parent=b7ad6b7169203331");
}

TEST_F(CApiTest, TableCheckFlagsACPlaceholderCountMismatch) {
  // C cannot count placeholders at compile time; the post-link table check does, and this
  // binary's table holds exactly one such site (c_api_sites.c).
  const auto problems = edgetrace::testing::own_device_table()->check();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], ::testing::HasSubstr("c_api_sites.c"));
  EXPECT_THAT(problems[0], ::testing::HasSubstr("2 placeholders but 1 arguments"));
  // The record is still decodable: one argument on the wire, as the table says.
  init();
  et_c_mismatched_placeholders();
  EXPECT_THAT(lines(), ElementsAre(StartsWith("handshake"),
                                   "[WARN] two placeholders 1 {?} but one argument"));
}

}  // namespace
}  // namespace edgetrace::device::test
