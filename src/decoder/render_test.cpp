#include "edgetrace/decoder/render.hpp"

#include <gtest/gtest.h>

namespace edgetrace::decoder {
namespace {

Record log_record() {
  Record r;
  r.kind = RecordKind::kLog;
  r.device_ticks = 4101;
  r.has_ticks = true;
  r.tick_hz = 1000;
  r.level = core::Level::kWarn;
  r.callsite_id = 8;
  r.format = "temp={} id={:#x}";
  r.message = "temp=21 id=0x2a";
  r.args = {{.name = "arg0", .type = "i32", .value = 21, .truncated = false, .hint = ""},
            {.name = "arg1", .type = "u8", .value = 42, .truncated = false, .hint = "#x"}};
  r.location = {.file = "main.c", .line = 42, .module = ""};
  return r;
}

TEST(RenderTest, TextLineWithEachTimeStyle) {
  const Record r = log_record();
  using Time = TextOptions::Time;
  EXPECT_EQ(render_text(r, {.time = Time::kNone}), "[WARN] temp=21 id=0x2a");
  EXPECT_EQ(render_text(r, {.time = Time::kTicks}), "@4101 [WARN] temp=21 id=0x2a");
  EXPECT_EQ(render_text(r, {.time = Time::kSeconds}), "4.101000 [WARN] temp=21 id=0x2a");
  EXPECT_EQ(render_text(r), "4.101000 [WARN] temp=21 id=0x2a");
  EXPECT_EQ(render_text(r, {.time = Time::kNone, .location = true}),
            "[WARN] temp=21 id=0x2a (main.c:42)");
  EXPECT_EQ(render_text(r, {.time = Time::kNone, .color = true}),
            "\x1b[33m[WARN]\x1b[0m temp=21 id=0x2a");
}

TEST(RenderTest, TextOfUnrenderedRecordFallsBackToTheFormat) {
  Record r = log_record();
  r.message.clear();
  EXPECT_EQ(render_text(r, {.time = TextOptions::Time::kNone}), "[WARN] temp={} id={:#x}");
}

TEST(RenderTest, JsonOfALogRecord) {
  EXPECT_EQ(render_json(log_record()),
            R"({"kind":"log","ticks":4101,"tick_hz":1000,"level":"WARN","callsite":8,)"
            R"("format":"temp={} id={:#x}","message":"temp=21 id=0x2a","args":[)"
            R"({"name":"arg0","type":"i32","value":21},)"
            R"({"name":"arg1","type":"u8","value":42,"hint":"#x"}],"file":"main.c","line":42})");
}

TEST(RenderTest, JsonOfASpanExitWithRemoteParent) {
  Record r;
  r.kind = RecordKind::kSpanExit;
  r.callsite_id = 13;
  r.span_name = "command";
  r.span_id = 2;
  r.root_span_id = 2;
  r.start_ticks = 4314;
  r.end_ticks = 4317;
  r.trace_id = core::TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").value();
  core::SpanContext parent;
  parent.trace_id = *r.trace_id;
  parent.span_id = core::SpanId::from_hex("00f067aa0ba902b7").value();
  parent.flags.bits = 1;
  parent.remote = true;
  r.remote_parent = parent;
  EXPECT_EQ(render_json(r),
            R"({"kind":"span_exit","callsite":13,"span_name":"command","span_id":2,)"
            R"("parent_span_id":0,"start_ticks":4314,"root_span_id":2,"end_ticks":4317,)"
            R"("duration_ticks":3,"in_interrupt":false,)"
            R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","remote_parent":{)"
            R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7",)"
            R"("sampled":true}})");
}

TEST(RenderTest, JsonOfHandshakeAndDropReport) {
  Record h;
  h.kind = RecordKind::kHandshake;
  h.handshake.version = 1;
  h.handshake.boot_counter = 3;
  h.handshake.device_id = {1, 2};
  h.handshake.build_id = {0xaa, 0xbb};
  EXPECT_EQ(render_json(h), R"({"kind":"handshake","version":1,"boot_counter":3,"dropped_total":0,)"
                            R"("device_id":"0102","build_id":"aabb","build_id_matches":true})");
  Record d;
  d.kind = RecordKind::kDropped;
  d.dropped = 7;
  d.time_uncertain = true;
  EXPECT_EQ(render_json(d), R"({"kind":"dropped","time_uncertain":true,"dropped":7})");
}

TEST(RenderTest, JsonValuesOfEveryType) {
  Record r;
  r.args = {{.name = "s", .type = "str", .value = "a\"b\\c\n", .truncated = true, .hint = ""},
            {.name = "b", .type = "bool", .value = true, .truncated = false, .hint = ""},
            {.name = "f", .type = "f64", .value = 0.5, .truncated = false, .hint = ""},
            {.name = "x",
             .type = "bytes",
             .value = core::Bytes{0x00, 0xff},
             .truncated = false,
             .hint = ""},
            {.name = "u",
             .type = "u64",
             .value = 18446744073709551615ull,
             .truncated = false,
             .hint = ""}};
  const std::string json = render_json(r);
  EXPECT_NE(json.find(R"("value":"a\"b\\c\n","truncated":true)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("value":true)"), std::string::npos);
  EXPECT_NE(json.find(R"("value":0.5)"), std::string::npos);
  EXPECT_NE(json.find(R"("value":"00ff")"), std::string::npos);
  EXPECT_NE(json.find(R"("value":"18446744073709551615")"), std::string::npos);
}

TEST(RenderTest, JsonStringsAreAlwaysValidUtf8) {
  std::string out;
  core::append_json_string(out, "ok \xc3\xa9 bad \xff\xc3 ctl \x01", kJsonEscape);
  EXPECT_EQ(out, "\"ok \xc3\xa9 bad \xef\xbf\xbd\xef\xbf\xbd ctl \\u0001\"");
  out.clear();
  core::append_json_string(out, "\xed\xa0\x80",
                           kJsonEscape);  // a UTF-16 surrogate, not valid UTF-8
  EXPECT_EQ(out, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}

TEST(RenderTest, RecordKindNames) {
  EXPECT_EQ(to_string(RecordKind::kSpanEnter), "span_enter");
  EXPECT_EQ(to_string(RecordKind::kPrintln), "println");
}

}  // namespace
}  // namespace edgetrace::decoder
