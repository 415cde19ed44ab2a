#include "edgetrace/sdk/trace_tree.hpp"

#include <algorithm>
#include <numeric>
#include <unordered_map>
#include <utility>
#include <vector>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/sdk/line_format.hpp"

namespace edgetrace::sdk {
namespace {

struct Glyphs {
  std::string_view branch;  // a child with siblings after it
  std::string_view last;    // the last child
  std::string_view pipe;    // continuation below a child with siblings after it
  std::string_view space;   // continuation below the last child
};
constexpr Glyphs kBoxGlyphs{"\xE2\x94\x9C\xE2\x94\x80\xE2\x94\x80 ",
                            "\xE2\x94\x94\xE2\x94\x80\xE2\x94\x80 ", "\xE2\x94\x82   ", "    "};
constexpr Glyphs kAsciiGlyphs{"|-- ", "`-- ", "|   ", "    "};

// The first 4 bytes of an id in hex: enough to tell spans of one screen apart.
std::string short_id(std::string_view id) {
  if (id.empty())
    return "-";
  return core::to_hex(id.substr(0, 4));
}

}  // namespace

void append_tree_duration(std::string& out, std::uint64_t nanos, bool ascii) {
  const std::size_t at = out.size();
  if (nanos == 0)
    out += "0s";  // not "0.00ns"
  else
    append_duration(out, nanos);
  if (ascii) {
    const std::size_t micro = out.find("\xC2\xB5", at);
    if (micro != std::string::npos)
      out.replace(micro, 2, "u");
  }
}

void render_tree(std::span<const TreeLine> lines, const TreeStyle& style, std::string& out) {
  const std::size_t n = lines.size();
  // Sorted once, so every list of children below comes out in order.
  std::vector<std::size_t> sorted(n);
  std::iota(sorted.begin(), sorted.end(), std::size_t{0});
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](std::size_t a, std::size_t b) { return lines[a].order < lines[b].order; });
  std::unordered_map<std::string_view, std::size_t> index;
  index.reserve(n);
  for (std::size_t i : sorted)
    if (!lines[i].id.empty())
      index.emplace(lines[i].id, i);  // a duplicate id: the first one is the parent

  std::vector<std::vector<std::size_t>> children(n);
  std::vector<std::size_t> parent_of(n, n);
  std::vector<std::size_t> top;
  for (std::size_t i : sorted) {
    if (!lines[i].top && !lines[i].parent_id.empty()) {
      const auto parent = index.find(lines[i].parent_id);
      if (parent != index.end() && parent->second != i) {
        children[parent->second].push_back(i);
        parent_of[i] = parent->second;
        continue;
      }
    }
    top.push_back(i);
  }
  // `top` lines first, then lines whose parent is missing; each group in order.
  std::stable_partition(top.begin(), top.end(), [&](std::size_t i) { return lines[i].top; });

  const Glyphs& glyphs = style.ascii ? kAsciiGlyphs : kBoxGlyphs;
  std::vector<bool> printed(n, false);
  struct Frame {
    std::size_t line;
    std::string prefix;  // drawn before this line's text
    std::string indent;  // the prefix of its children
    std::size_t depth;
  };
  const auto print_from = [&](std::size_t first, std::string_view top_mark) {
    const TreeLine& head = lines[first];
    printed[first] = true;
    out += head.text;
    out += top_mark;
    if (!head.tail.empty()) {
      out += "  ";
      out += head.tail;
    }
    out += '\n';
    std::vector<Frame> stack;
    const auto push_children = [&](std::size_t parent, const std::string& indent,
                                   std::size_t depth) {
      const std::vector<std::size_t>& list = children[parent];
      for (std::size_t k = list.size(); k-- > 0;) {
        if (printed[list[k]])
          continue;
        const bool last = k + 1 == list.size();
        Frame frame{list[k], indent + std::string(last ? glyphs.last : glyphs.branch), indent,
                    depth};
        if (depth <= style.max_indent)
          frame.indent += last ? glyphs.space : glyphs.pipe;
        stack.push_back(std::move(frame));
      }
    };
    push_children(first, "", 1);
    while (!stack.empty()) {
      Frame frame = std::move(stack.back());
      stack.pop_back();
      if (printed[frame.line])
        continue;
      printed[frame.line] = true;
      const TreeLine& line = lines[frame.line];
      out += frame.prefix;
      out += line.text;
      if (frame.depth > style.max_indent)
        out += " [depth " + std::to_string(frame.depth) + "]";
      const TreeLine& parent = lines[parent_of[frame.line]];
      if (line.tail != parent.tail && !line.tail.empty()) {
        out += "  ";
        out += line.tail;
      }
      out += '\n';
      push_children(frame.line, frame.indent, frame.depth + 1);
    }
  };
  for (std::size_t i : top) {
    std::string mark;
    if (!lines[i].top && !lines[i].parent_id.empty()) {
      mark = " [parent " + short_id(lines[i].parent_id) + " ";
      mark += style.orphan_word;
      mark += ']';
    }
    print_from(i, mark);
  }
  // Lines whose parents form a cycle are reachable from no top-level line.
  for (std::size_t i : sorted)
    if (!printed[i])
      print_from(i, " [parent cycle]");
}

}  // namespace edgetrace::sdk
