// The shared tree renderer, line by line (the daemon's console_tree_test covers it through
// the daemon's exporter too).
#include "edgetrace/sdk/trace_tree.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace edgetrace::sdk {
namespace {

TreeLine line(std::string_view id, std::string_view parent, std::uint64_t order,
              std::string_view text, bool top = false, std::string_view tail = {}) {
  TreeLine l;
  l.id = id;
  l.parent_id = parent;
  l.order = order;
  l.text = text;
  l.top = top;
  l.tail = tail;
  return l;
}

TEST(TraceTreeTest, SiblingsInOrderWithGlyphs) {
  const std::vector<TreeLine> lines = {line("c", "r", 3, "c"), line("r", "", 0, "root", true),
                                       line("a", "r", 1, "a"), line("b", "a", 2, "b"),
                                       line("", "a", 1, "event of a")};
  std::string out;
  render_tree(lines, TreeStyle{}, out);
  EXPECT_EQ(out,
            "root\n"
            "├── a\n"
            "│   ├── event of a\n"
            "│   └── b\n"
            "└── c\n");
}

TEST(TraceTreeTest, OrphansCyclesAndTheOrphanWord) {
  const std::vector<TreeLine> lines = {line("r", "", 0, "root", true),
                                       line("o", "\x01\x02\x03\x04zz", 1, "orphan"),
                                       line("x", "y", 2, "x"), line("y", "x", 3, "y")};
  std::string out;
  TreeStyle style;
  style.orphan_word = "open";
  render_tree(lines, style, out);
  EXPECT_EQ(out,
            "root\n"
            "orphan [parent 01020304 open]\n"
            "x [parent cycle]\n"
            "└── y\n");
}

TEST(TraceTreeTest, DepthIsCappedAndTailsShowWhenTheyChange) {
  const std::vector<TreeLine> lines = {
      line("1", "", 0, "one", true, "service=a"), line("2", "1", 1, "two", false, "service=a"),
      line("3", "2", 2, "three", false, "service=b"), line("4", "3", 3, "four", false, "")};
  std::string out;
  TreeStyle style;
  style.ascii = true;
  style.max_indent = 1;
  render_tree(lines, style, out);
  EXPECT_EQ(out,
            "one  service=a\n"
            "`-- two\n"
            "    `-- three [depth 2]  service=b\n"
            "    `-- four [depth 3]\n");
}

TEST(TraceTreeTest, DurationsAsTheConsolesShowThem) {
  std::string out;
  append_tree_duration(out, 198'000'000, false);
  out += ' ';
  append_tree_duration(out, 45'000'000, false);
  out += ' ';
  append_tree_duration(out, 850'000, false);
  out += ' ';
  append_tree_duration(out, 850'000, true);
  out += ' ';
  append_tree_duration(out, 0, false);
  EXPECT_EQ(out, "198ms 45.0ms 850\xC2\xB5s 850us 0s");
}

}  // namespace
}  // namespace edgetrace::sdk
