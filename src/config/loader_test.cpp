#include "edgetrace/config/loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "edgetrace/config/otel_environment.hpp"

namespace edgetrace::config {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::Not;

enum class Overflow { kDropOldest, kDropNewest, kBlock };
constexpr std::array<EnumName<Overflow>, 3> kOverflow = {{{"drop_oldest", Overflow::kDropOldest},
                                                          {"drop_newest", Overflow::kDropNewest},
                                                          {"block", Overflow::kBlock}}};

// A daemon-like options struct: defaults in the struct, one reader per table.
struct QueueOptions {
  std::string dir = "/var/lib/edgetraced";
  std::uint64_t max_bytes = 1024;
  milliseconds flush_interval{1000};
  Overflow overflow = Overflow::kDropOldest;
  bool fsync = false;
  std::size_t segments = 4;
  double ratio = 1.0;
  std::vector<std::string> tags;
  std::string endpoint;
  struct {
    bool enabled = false;
    std::int64_t level = 1;
  } compression;
};

core::Status read_queue(const Document& doc, std::string_view path, QueueOptions& q) {
  core::Result<std::optional<Table>> t = doc.table(path);
  if (!t)
    return t.status();
  if (!*t)
    return {};
  TableReader r(**t);
  r.string("dir", q.dir)
      .byte_size("max_bytes", q.max_bytes)
      .duration("flush_interval", q.flush_interval)
      .choice("overflow", q.overflow, kOverflow, "overflow policy")
      .boolean("fsync", q.fsync)
      .size("segments", q.segments, 1, 64)
      .number("ratio", q.ratio, 0.0, 1.0)
      .string_list("tags", q.tags)
      .endpoint("endpoint", q.endpoint)
      .table("compression", [&q](TableReader& c) {
        c.boolean("enabled", q.compression.enabled).integer("level", q.compression.level, 1, 9);
        return core::Status();
      });
  return r.finish();
}

std::string error_of(std::string_view text, std::string_view path = "queue") {
  core::Result<Document> doc = Document::parse(text, "edgetraced.toml");
  if (!doc)
    return doc.status().message();
  QueueOptions q;
  core::Status s = read_queue(*doc, path, q);
  EXPECT_FALSE(s.ok()) << text;
  return s.message();
}

TEST(LoaderTest, ReadsEveryValueType) {
  core::Result<Document> doc = Document::parse(R"(
[queue]
dir = "/data/q"
max_bytes = "64KiB"
flush_interval = "250ms"
overflow = "Drop_Newest"
fsync = true
segments = 8
ratio = 0.5
tags = ["a", "b"]
endpoint = "https://collector:4318"
compression = { enabled = true, level = 6 }
)",
                                               "edgetraced.toml");
  ASSERT_TRUE(doc.ok()) << doc.status().to_string();
  QueueOptions q;
  ASSERT_TRUE(read_queue(*doc, "queue", q).ok());
  EXPECT_EQ(q.dir, "/data/q");
  EXPECT_EQ(q.max_bytes, 65536u);
  EXPECT_EQ(q.flush_interval, milliseconds(250));
  EXPECT_EQ(q.overflow, Overflow::kDropNewest);
  EXPECT_TRUE(q.fsync);
  EXPECT_EQ(q.segments, 8u);
  EXPECT_DOUBLE_EQ(q.ratio, 0.5);
  EXPECT_THAT(q.tags, ::testing::ElementsAre("a", "b"));
  EXPECT_EQ(q.endpoint, "https://collector:4318");
  EXPECT_TRUE(q.compression.enabled);
  EXPECT_EQ(q.compression.level, 6);
}

TEST(LoaderTest, IntegersAndStringsBothWorkForSizesAndDurations) {
  core::Result<Document> doc =
      Document::parse("[queue]\nmax_bytes = 1073741824\nflush_interval = 5\ntags = \"x, y\"\n");
  ASSERT_TRUE(doc.ok());
  QueueOptions q;
  ASSERT_TRUE(read_queue(*doc, "queue", q).ok());
  EXPECT_EQ(q.max_bytes, 1073741824u);
  EXPECT_EQ(q.flush_interval, milliseconds(5));
  EXPECT_THAT(q.tags, ::testing::ElementsAre("x", "y"));
}

TEST(LoaderTest, AbsentTableAndKeysKeepTheDefaults) {
  core::Result<Document> doc = Document::parse("[other]\nx = 1\n[queue]\nfsync = true\n");
  ASSERT_TRUE(doc.ok());
  QueueOptions q;
  ASSERT_TRUE(read_queue(*doc, "queue", q).ok());
  EXPECT_TRUE(q.fsync);
  EXPECT_EQ(q.dir, "/var/lib/edgetraced");
  EXPECT_EQ(q.max_bytes, 1024u);
  QueueOptions untouched;
  ASSERT_TRUE(read_queue(*doc, "nowhere.queue", untouched).ok());
  EXPECT_EQ(untouched.max_bytes, 1024u);
}

TEST(LoaderTest, SubTableReadThatFinishesItselfIsReadOnceAndMayConvertAfterwards) {
  core::Result<Document> doc = Document::parse("[outer.inner]\ncount = 3\n");
  ASSERT_TRUE(doc.ok());
  int reads = 0;
  std::int64_t doubled = 0;
  TableReader root(doc->root());
  root.table("outer", [&](TableReader& outer) {
    outer.table("inner", [&](TableReader& r) {
      std::int64_t local = 0;  // gone once this function returns
      r.custom("count", [&](const Value& v) {
        ++reads;
        local = v.integer().value_or(0);
        return core::Status{};
      });
      if (core::Status s = r.finish(); !s.ok())
        return s;
      doubled = local * 2;  // converted after the read, as the daemon's config does
      return core::Status{};
    });
    return outer.finish();
  });
  ASSERT_TRUE(root.finish().ok());
  EXPECT_EQ(reads, 1);  // table() does not walk the sub-table a second time
  EXPECT_EQ(doubled, 6);
  EXPECT_TRUE(root.finish().ok());  // the first result, nothing read again
  EXPECT_EQ(reads, 1);
}

TEST(LoaderTest, TablesAreFoundAtAnyPath) {
  core::Result<Document> doc = Document::parse(
      "[worker.queue]\nsegments = 2\n[coordinator.queue]\nsegments = 3\n[queue]\nsegments = 1\n");
  ASSERT_TRUE(doc.ok());
  QueueOptions w;
  ASSERT_TRUE(read_queue(*doc, "worker.queue", w).ok());
  EXPECT_EQ(w.segments, 2u);
  EXPECT_THAT(doc->find_tables("queue"),
              ::testing::UnorderedElementsAre("queue", "worker.queue", "coordinator.queue"));
  // Errors name the full path.
  EXPECT_THAT(error_of("[worker.queue]\nsegment = 2\n", "worker.queue"),
              HasSubstr("edgetraced.toml:2:1: [worker.queue] unknown key 'segment'"));
}

TEST(LoaderTest, UnknownKeyErrorListsTheValidKeysWithItsPosition) {
  EXPECT_EQ(error_of("[queue]\ndir = \"/q\"\n  max_byte = 3\n"),
            "edgetraced.toml:3:3: [queue] unknown key 'max_byte' (valid keys: dir, max_bytes, "
            "flush_interval, overflow, fsync, segments, ratio, tags, endpoint, compression)");
  EXPECT_EQ(error_of("[queue.compression]\nlvl = 3\n"),
            "edgetraced.toml:2:1: [queue.compression] unknown key 'lvl' (valid keys: enabled, "
            "level)");
}

TEST(LoaderTest, ErrorsCarryFileLineAndColumnOfTheValue) {
  EXPECT_EQ(error_of("[queue]\nfsync = \"yes\"\n"),
            "edgetraced.toml:2:9: [queue] key 'fsync': expected a boolean (true or false), got "
            "a string");
  EXPECT_EQ(error_of("[queue]\n\nmax_bytes = \"10 parsecs\"\n"),
            "edgetraced.toml:3:13: [queue] key 'max_bytes': byte size '10 parsecs': unknown unit "
            "'parsecs' (B, kB, MB, GB, TB, KiB, MiB, GiB or TiB)");
  EXPECT_EQ(error_of("[queue]\nflush_interval = 1.5\n"),
            "edgetraced.toml:2:18: [queue] key 'flush_interval': expected milliseconds (an "
            "integer) or a string such as \"10s\", got a float");
  EXPECT_EQ(error_of("[queue]\noverflow = \"spill\"\n"),
            "edgetraced.toml:2:12: [queue] key 'overflow': overflow policy 'spill' is not one of "
            "drop_oldest, drop_newest or block");
  EXPECT_EQ(error_of("[queue]\nsegments = 0\n"),
            "edgetraced.toml:2:12: [queue] key 'segments': must be between 1 and 64, got 0");
  EXPECT_EQ(error_of("[queue]\nratio = 2\n"),
            "edgetraced.toml:2:9: [queue] key 'ratio': must be between 0 and 1");
  EXPECT_EQ(error_of("[queue]\ntags = [1]\n"),
            "edgetraced.toml:2:8: [queue] key 'tags': array item: expected a string, got an "
            "integer");
  EXPECT_EQ(error_of("[queue]\nendpoint = \"collector:4318\"\n"),
            "edgetraced.toml:2:12: [queue] key 'endpoint': 'collector:4318' must start with "
            "http:// or https://");
  EXPECT_EQ(error_of("[queue]\ncompression = 3\n"),
            "edgetraced.toml:2:15: [queue] key 'compression': expected a table "
            "([queue.compression]), got an integer");
  EXPECT_EQ(error_of("[queue.compression]\nlevel = 10\n"),
            "edgetraced.toml:2:9: [queue.compression] key 'level': must be between 1 and 9, got "
            "10");
  EXPECT_EQ(error_of("queue = 3\n"),
            "edgetraced.toml:1:9: 'queue' must be a table ([queue]), got an integer");
  EXPECT_EQ(error_of("[a]\nqueue = 3\n", "a.queue"),
            "edgetraced.toml:2:9: 'a.queue' must be a table ([a.queue]), got an integer");
}

TEST(LoaderTest, SyntaxErrorsCarryThePosition) {
  EXPECT_THAT(error_of("[queue]\nfsync = tru\n"), HasSubstr("edgetraced.toml:2:"));
  EXPECT_THAT(error_of("[queue]\nx = \"a\x01\"\n"),
              HasSubstr("edgetraced.toml:2:7: control character U+0001 is not allowed in TOML"));
}

TEST(LoaderTest, SetOverridesTheFileWithTomlValuesOrBareStrings) {
  core::Result<Document> doc =
      Document::parse("[queue]\ndir = \"/from/file\"\nsegments = 2\n", "edgetraced.toml");
  ASSERT_TRUE(doc.ok());
  ASSERT_TRUE(doc->set("queue.segments", "5").ok());
  ASSERT_TRUE(doc->set("queue.dir", "/from/command-line").ok());  // not TOML: a string
  ASSERT_TRUE(doc->set("queue.compression.level", "3").ok());     // tables are created
  ASSERT_TRUE(doc->set("queue.endpoint", "\"http://c:4318\"").ok());
  QueueOptions q;
  ASSERT_TRUE(read_queue(*doc, "queue", q).ok());
  EXPECT_EQ(q.segments, 5u);
  EXPECT_EQ(q.dir, "/from/command-line");
  EXPECT_EQ(q.compression.level, 3);
  EXPECT_EQ(q.endpoint, "http://c:4318");

  // Errors in a set value point at the --set argument.
  ASSERT_TRUE(doc->set("queue.fsync", "\"yes\"").ok());
  QueueOptions bad;
  EXPECT_EQ(read_queue(*doc, "queue", bad).message(),
            "--set queue.fsync:1:5: [queue] key 'fsync': expected a boolean (true or false), got "
            "a string");
  EXPECT_THAT(doc->set("queue.dir.x", "1").message(), HasSubstr("'queue.dir' is a string"));
  EXPECT_THAT(doc->set("queue..x", "1").message(), HasSubstr("empty part"));
}

// The layering every program follows: struct defaults < file < environment < code.
TEST(LoaderTest, PrecedenceIsFileThenEnvironmentThenCode) {
  struct Options {
    std::string endpoint = "http://default:4318";
    milliseconds timeout{10000};
    std::uint64_t max_bytes = 1;
  } o;
  core::Result<Document> doc = Document::parse(
      "[exporter]\nendpoint = \"http://file:4318\"\ntimeout = \"2s\"\nmax_bytes = \"1KiB\"\n");
  ASSERT_TRUE(doc.ok());
  TableReader r(*doc->table("exporter").value());
  r.endpoint("endpoint", o.endpoint)
      .duration("timeout", o.timeout)
      .byte_size("max_bytes", o.max_bytes);
  ASSERT_TRUE(r.finish().ok());
  EXPECT_EQ(o.endpoint, "http://file:4318");

  const OtelEnvironment env = read_otel_environment(core::map_environment(
      {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4318"}, {"OTEL_EXPORTER_OTLP_TIMEOUT", "500"}}));
  if (env.otlp.generic.endpoint)
    o.endpoint = *env.otlp.generic.endpoint;
  if (env.otlp.generic.timeout)
    o.timeout = *env.otlp.generic.timeout;
  o.timeout = milliseconds(42);  // code

  EXPECT_EQ(o.endpoint, "http://env:4318");  // env over file
  EXPECT_EQ(o.timeout, milliseconds(42));    // code over env over file
  EXPECT_EQ(o.max_bytes, 1024u);             // file over default
}

TEST(LoaderTest, LoadsFilesAndReportsMissingAndHugeOnes) {
  const std::string path =
      ::testing::TempDir() + "edgetrace_loader_test_" + std::to_string(::getpid()) + ".toml";
  {
    std::ofstream out(path);
    out << "[queue]\nsegments = \"two\"\n";
  }
  core::Result<Document> doc = Document::load_file(path);
  ASSERT_TRUE(doc.ok());
  QueueOptions q;
  EXPECT_THAT(read_queue(*doc, "queue", q).message(),
              HasSubstr(path + ":2:12: [queue] key 'segments': expected an integer, got a string"));
  EXPECT_THAT(Document::load_file(path, 8).status().message(), HasSubstr("larger than 8 bytes"));
  std::filesystem::remove(path);
  core::Result<Document> missing = Document::load_file(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), core::StatusCode::kNotFound);
}

TEST(LoaderTest, ReadsOneLineTokenFilesAndRefusesOthersWithoutQuotingThem) {
  const std::string path =
      ::testing::TempDir() + "edgetrace_token_test_" + std::to_string(::getpid());
  auto write = [&](const std::string& text) { std::ofstream(path) << text; };
  write("  s3cret-token \n");
  core::Result<std::string> ok = read_token_file(path);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(*ok, "s3cret-token");
  write("first-line\nsecond-line\n");
  core::Result<std::string> two = read_token_file(path);
  ASSERT_FALSE(two.ok());
  EXPECT_THAT(two.status().message(), HasSubstr("more than one line"));
  EXPECT_THAT(two.status().message(), Not(HasSubstr("first-line")));
  write(" \n");
  EXPECT_THAT(read_token_file(path).status().message(), HasSubstr("is empty"));
  std::filesystem::remove(path);
  core::Result<std::string> missing = read_token_file(path);
  EXPECT_EQ(missing.status().code(), core::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("cannot read the token file " + path));
}

}  // namespace
}  // namespace edgetrace::config
