// The console layer's tree format: which spans wait for their local root, and their trees.
//
// Model. Every span this layer sees is a node keyed by its span id; its tree parent is the
// nearest ancestor this layer saw (spans another layer's filter kept are skipped), and its
// group is the local root it descends from. A closing span:
//   - is the group's root: it prints with every finished descendant reachable through
//     finished spans (a descendant below a still-open span waits for that span);
//   - has a printed parent (its root printed while it was open): it prints at once as a
//     "late" subtree with its finished descendants;
//   - has a parent whose spans were dropped by a limit: dropped too (counted);
//   - otherwise waits (holds a SpanRef) unless a limit is reached (then dropped, counted).
// Node entries live while a span is open, waiting, or printed with open children; a group
// lives until its root printed and none of its spans is open.
//
// Thread-safety: one mutex. Allocation: nodes, groups and the text of trees.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "edgetrace/sdk/console_layer.hpp"
#include "edgetrace/sdk/span.hpp"

namespace edgetrace::sdk::internal {

class ConsoleTree {
 public:
  ConsoleTree(TreeOptions options, ConsoleLayerCounters& counters);

  void on_new_span(const SpanRecord& span);
  // Appends to `out` what the span's end makes printable (a tree, a late subtree, a summary).
  void on_close(const SpanRecord& span, std::string& out);
  // Keeps the event under its span; false when it is to be printed as a line now.
  bool on_event(const Event& event);
  // At shutdown: every waiting span, under "unfinished:" headers.
  void flush_unfinished(std::string& out);

 private:
  enum class State : std::uint8_t { kOpen, kWaiting, kPrinted, kDropped };
  struct EventLine {
    std::uint64_t time = 0;
    std::string text;
  };
  struct Node {
    std::uint64_t group = 0;
    std::uint64_t parent = 0;  // 0: none (a group root)
    State state = State::kOpen;
    std::uint32_t open_children = 0;
    SpanRef record;  // while waiting
    std::vector<EventLine> events;
    std::size_t events_dropped = 0;
  };
  struct Group {
    std::string root_name;
    std::uint64_t trace_prefix = 0;  // the first 4 bytes of the trace id, for late lines
    std::string trace_short;
    std::size_t open = 0;
    std::size_t waiting = 0;
    std::size_t dropped = 0;  // not yet reported
    bool root_printed = false;
    std::vector<std::uint64_t> waiting_ids;
  };

  std::uint64_t tree_parent_of(const SpanRecord& span) const;
  void print_subtree(std::uint64_t head, Group& group, bool late, std::string& out);
  void drop_subtree(std::uint64_t head, Group& group);
  // After printing or dropping `ids` (`head` and the waiting spans `below` it): their
  // records and events released, waiting counts and lists updated, finished nodes forgotten.
  void settle(std::uint64_t head, const std::vector<std::uint64_t>& ids,
              const std::vector<std::uint64_t>& below, Group& group, State state);
  std::vector<std::uint64_t> waiting_descendants(std::uint64_t head, const Group& group) const;
  void forget_if_done(std::uint64_t id);
  void finish_group(std::uint64_t group_id, std::string& out);
  void append_summary(std::string& out, const Group& group, bool standalone);
  std::string event_text(const Event& event) const;

  const TreeOptions options_;
  ConsoleLayerCounters& counters_;
  std::mutex mu_;
  std::unordered_map<std::uint64_t, Node> nodes_;
  std::unordered_map<std::uint64_t, Group> groups_;
  std::size_t waiting_total_ = 0;
};

}  // namespace edgetrace::sdk::internal
