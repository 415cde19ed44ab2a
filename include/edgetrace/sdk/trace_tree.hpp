// The trace-tree renderer shared by the SDK's console layer (format = "tree") and the
// daemon's console exporter: lines with parents in, an indented tree out.
//
//   std::vector<TreeLine> lines = {
//       {.id = root_id, .order = 0, .top = true, .text = "score_address_handler (total: 198ms)"},
//       {.id = a_id, .parent_id = root_id, .order = 1, .text = "validate_api_key (45.0ms)"},
//       {.id = b_id, .parent_id = a_id, .order = 2, .text = "verify_pbkdf2_hash (43.0ms)"},
//       {.id = c_id, .parent_id = root_id, .order = 3, .text = "calculate_score (12.0ms)"}};
//   std::string out;
//   render_tree(lines, TreeStyle{}, out);
//   // score_address_handler (total: 198ms)
//   // ├── validate_api_key (45.0ms)
//   // │   └── verify_pbkdf2_hash (43.0ms)
//   // └── calculate_score (12.0ms)
//
// Rules:
// - Siblings print in ascending `order` (a start time, say); equal orders keep input order.
// - A line whose parent is not among the lines (and that is not `top`) prints at the top
//   level, after the `top` lines, marked " [parent 1a2b3c4d <orphan_word>]" (the first 4
//   bytes of the parent id in hex). Lines whose parents form a cycle print last, marked
//   " [parent cycle]". Two lines with one id: the first (in `order`) is the parent.
// - Beyond `max_indent` levels the indentation stops growing and lines are marked
//   " [depth N]", so a hostile chain of parents cannot make each line as long as the chain.
// - `tail` (e.g. the daemon's resource label) follows two spaces on top-level lines, and on
//   other lines when it is not empty and differs from the parent's.
// - Text is written as given: callers escape control characters (one line per entry).
//
// Thread-safety: a pure function. Allocation: a few vectors per call, and `out` grows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace edgetrace::sdk {

struct TreeLine {
  std::string_view id;         // raw bytes (a span id); empty: never a parent (an event line)
  std::string_view parent_id;  // empty: no parent
  std::uint64_t order = 0;     // siblings in ascending order
  bool top = false;            // a top-level line even when parent_id is set (a local root)
  std::string_view text;       // the line after the tree glyphs, without the newline
  std::string_view tail;       // see above
};

struct TreeStyle {
  bool ascii = false;  // `|--`, "`--" and "|   " instead of box-drawing characters
  std::size_t max_indent = 32;
  std::string_view orphan_word = "missing";  // " [parent 1a2b3c4d missing]"
};

// Appends the tree of `lines`, one '\n'-terminated line each.
void render_tree(std::span<const TreeLine> lines, const TreeStyle& style, std::string& out);

// A span duration as the trees show it: three significant digits (append_duration in
// line_format.hpp: "198ms", "45.0ms", "850µs"), "0s" for zero (a clock too coarse to
// tell), "us" instead of "µs" when `ascii`.
void append_tree_duration(std::string& out, std::uint64_t nanos, bool ascii);

}  // namespace edgetrace::sdk
