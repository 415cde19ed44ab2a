// The console layer's tree format (see internal/console_tree.hpp for the model).
#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/core/severity.hpp"
#include "edgetrace/sdk/trace_tree.hpp"
#include "internal/console_tree.hpp"
#include "internal/line_text.hpp"

namespace edgetrace::sdk::internal {
namespace {

std::uint64_t id_of(const SpanRecord& span) noexcept {
  std::uint64_t id = 0;
  for (std::uint8_t b : span.context.span_id.bytes())
    id = id << 8 | b;
  return id;
}

// The raw 8 bytes of an id, big-endian (as the span id's bytes), for the renderer.
std::array<char, 8> id_bytes(std::uint64_t id) noexcept {
  std::array<char, 8> out{};
  for (std::size_t i = 0; i < 8; ++i)
    out[i] = static_cast<char>(id >> (56 - 8 * i));
  return out;
}

std::uint64_t duration_of(const SpanRecord& span) noexcept {
  return span.end_unix_nano > span.start_unix_nano ? span.end_unix_nano - span.start_unix_nano : 0;
}

}  // namespace

ConsoleTree::ConsoleTree(TreeOptions options, ConsoleLayerCounters& counters)
    : options_(options), counters_(counters) {}

std::uint64_t ConsoleTree::tree_parent_of(const SpanRecord& span) const {
  for (const SpanRecord* p = span.parent; p != nullptr; p = p->parent) {
    const std::uint64_t id = id_of(*p);
    if (nodes_.contains(id))
      return id;
  }
  return 0;
}

void ConsoleTree::on_new_span(const SpanRecord& span) {
  std::lock_guard lock(mu_);
  const std::uint64_t id = id_of(span);
  if (nodes_.contains(id))
    return;  // a span id seen twice (2^-64): keep the first
  const std::uint64_t parent = tree_parent_of(span);
  Node node;
  if (parent != 0) {
    Node& p = nodes_.at(parent);
    ++p.open_children;
    node.group = p.group;
    node.parent = parent;
    ++groups_.at(p.group).open;
  } else {
    node.group = id;
    Group group;
    group.root_name = std::string(span.name());
    group.trace_short =
        core::to_hex(std::span<const std::uint8_t>(span.context.trace_id.bytes().data(), 4));
    group.open = 1;
    groups_.insert_or_assign(id, std::move(group));
  }
  nodes_.emplace(id, std::move(node));
}

std::string ConsoleTree::event_text(const Event& event) const {
  std::string text(core::severity_text(event.metadata.level));
  text += ' ';
  append_escaped(text, event.message, Escape::kPlain);
  for (const Field& f : event.fields) {
    text += ' ';
    append_escaped(text, f.name, Escape::kPlain);
    text += '=';
    append_value_text(text, f.value);
  }
  return text;
}

bool ConsoleTree::on_event(const Event& event) {
  if (!options_.events || event.span == nullptr)
    return false;
  std::lock_guard lock(mu_);
  const auto it = nodes_.find(id_of(*event.span));
  if (it == nodes_.end() || it->second.state != State::kOpen)
    return false;
  Node& node = it->second;
  if (node.events.size() >= options_.max_events_per_span) {
    ++node.events_dropped;
    counters_.events_not_shown.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  node.events.push_back(EventLine{event.time_unix_nano, event_text(event)});
  return true;
}

std::vector<std::uint64_t> ConsoleTree::waiting_descendants(std::uint64_t head,
                                                            const Group& group) const {
  std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> children;
  for (std::uint64_t id : group.waiting_ids)
    children[nodes_.at(id).parent].push_back(id);
  std::vector<std::uint64_t> out;
  std::vector<std::uint64_t> stack{head};
  while (!stack.empty()) {
    const std::uint64_t id = stack.back();
    stack.pop_back();
    const auto it = children.find(id);
    if (it == children.end())
      continue;
    for (std::uint64_t child : it->second) {
      out.push_back(child);
      stack.push_back(child);
    }
  }
  return out;
}

void ConsoleTree::append_summary(std::string& out, const Group& group, bool standalone) {
  if (standalone) {
    append_escaped(out, group.root_name, Escape::kPlain);
    out += ": ";
  }
  out += "... ";
  out += std::to_string(group.dropped);
  out += group.dropped == 1 ? " more span not shown" : " more spans not shown";
  out += " (limits: " + std::to_string(options_.max_spans_per_trace) + " per trace, " +
         std::to_string(options_.max_buffered_spans) + " in all)";
}

void ConsoleTree::print_subtree(std::uint64_t head, Group& group, bool late, std::string& out) {
  std::vector<std::uint64_t> ids{head};
  const std::vector<std::uint64_t> below = waiting_descendants(head, group);
  ids.insert(ids.end(), below.begin(), below.end());

  std::vector<std::array<char, 8>> raw;  // ids as bytes, stable for the renderer
  raw.reserve(ids.size() * 2);
  std::vector<std::string> texts;
  std::vector<TreeLine> lines;
  struct Pending {
    std::size_t text;                              // index into texts
    std::size_t id = SIZE_MAX, parent = SIZE_MAX;  // indexes into raw
    std::uint64_t order = 0;
    bool top = false;
  };
  std::vector<Pending> pending;
  const auto add = [&](std::string text, std::uint64_t order, std::uint64_t id,
                       std::uint64_t parent, bool top) {
    Pending p;
    p.text = texts.size();
    texts.push_back(std::move(text));
    p.order = order;
    p.top = top;
    if (id != 0) {
      p.id = raw.size();
      raw.push_back(id_bytes(id));
    }
    if (parent != 0) {
      p.parent = raw.size();
      raw.push_back(id_bytes(parent));
    }
    pending.push_back(p);
  };

  for (std::uint64_t id : ids) {
    Node& node = nodes_.at(id);
    const SpanRecord& span = *node.record;
    std::string text;
    if (id == head && late)
      text += "late: ";
    append_escaped(text, span.name(), Escape::kPlain);
    text += id == head && !late ? " (total: " : " (";
    append_tree_duration(text, duration_of(span), options_.ascii);
    text += ')';
    if (span.status == SpanStatusCode::kError)
      text += " ERROR";
    if (id == head && late) {
      text += "  root=";
      append_escaped(text, group.root_name, Escape::kPlain);
      text += " trace=";
      text += group.trace_short;
    }
    add(std::move(text), span.start_unix_nano, id, id == head ? 0 : node.parent, id == head);
    for (EventLine& e : node.events)
      add(std::move(e.text), e.time, 0, id, false);
    if (node.events_dropped > 0) {
      add("... " + std::to_string(node.events_dropped) + " more events", span.end_unix_nano, 0, id,
          false);
    }
  }
  if (!late && group.dropped > 0) {
    std::string summary;
    append_summary(summary, group, false);
    add(std::move(summary), std::numeric_limits<std::uint64_t>::max(), 0, head, false);
    group.dropped = 0;
  }

  lines.resize(pending.size());
  for (std::size_t i = 0; i < pending.size(); ++i) {
    const Pending& p = pending[i];
    lines[i].text = texts[p.text];
    lines[i].order = p.order;
    lines[i].top = p.top;
    if (p.id != SIZE_MAX)
      lines[i].id = std::string_view(raw[p.id].data(), 8);
    if (p.parent != SIZE_MAX)
      lines[i].parent_id = std::string_view(raw[p.parent].data(), 8);
  }
  TreeStyle style;
  style.ascii = options_.ascii;
  render_tree(lines, style, out);

  settle(head, ids, below, group, State::kPrinted);
}

void ConsoleTree::drop_subtree(std::uint64_t head, Group& group) {
  std::vector<std::uint64_t> ids{head};
  const std::vector<std::uint64_t> below = waiting_descendants(head, group);
  ids.insert(ids.end(), below.begin(), below.end());
  group.dropped += ids.size();
  counters_.spans_not_shown.fetch_add(ids.size(), std::memory_order_relaxed);
  settle(head, ids, below, group, State::kDropped);
}

void ConsoleTree::settle(std::uint64_t head, const std::vector<std::uint64_t>& ids,
                         const std::vector<std::uint64_t>& below, Group& group, State state) {
  for (std::uint64_t id : ids) {
    Node& node = nodes_.at(id);
    if (node.state == State::kWaiting) {
      --group.waiting;
      --waiting_total_;
    }
    node.state = state;
    node.record = SpanRef();
    node.events.clear();
    node.events.shrink_to_fit();
    if (state == State::kPrinted)
      node.events_dropped = 0;
  }
  if (!below.empty()) {
    std::erase_if(group.waiting_ids, [&](std::uint64_t id) {
      return std::find(below.begin(), below.end(), id) != below.end();
    });
  }
  for (std::uint64_t id : ids)
    if (id != head)
      forget_if_done(id);
}

void ConsoleTree::forget_if_done(std::uint64_t id) {
  const auto it = nodes_.find(id);
  if (it == nodes_.end())
    return;
  const Node& node = it->second;
  if ((node.state == State::kPrinted || node.state == State::kDropped) && node.open_children == 0)
    nodes_.erase(it);
}

void ConsoleTree::finish_group(std::uint64_t group_id, std::string& out) {
  const auto it = groups_.find(group_id);
  Group& group = it->second;
  for (std::uint64_t id : group.waiting_ids) {  // none expected: every span closed
    nodes_.erase(id);
    ++group.dropped;
    --waiting_total_;
  }
  if (group.dropped > 0) {
    append_summary(out, group, true);
    out += '\n';
  }
  groups_.erase(it);
}

void ConsoleTree::on_close(const SpanRecord& span, std::string& out) {
  std::lock_guard lock(mu_);
  const std::uint64_t id = id_of(span);
  const auto it = nodes_.find(id);
  if (it == nodes_.end() || it->second.state != State::kOpen)
    return;
  Node& node = it->second;
  const std::uint64_t group_id = node.group;
  Group& group = groups_.at(group_id);
  --group.open;
  const std::uint64_t parent = node.parent;
  if (parent == 0) {
    node.record = SpanRef(const_cast<SpanRecord*>(&span));
    group.root_name = std::string(span.name());
    print_subtree(id, group, false, out);
    group.root_printed = true;
    counters_.trees_printed.fetch_add(1, std::memory_order_relaxed);
  } else {
    Node& p = nodes_.at(parent);
    --p.open_children;
    const State parent_state = p.state;
    if (parent_state == State::kPrinted) {
      node.record = SpanRef(const_cast<SpanRecord*>(&span));
      print_subtree(id, group, true, out);
      counters_.late_spans.fetch_add(1, std::memory_order_relaxed);
    } else if (parent_state == State::kDropped || group.waiting >= options_.max_spans_per_trace ||
               waiting_total_ >= options_.max_buffered_spans) {
      drop_subtree(id, group);
    } else {
      node.state = State::kWaiting;
      node.record = SpanRef(const_cast<SpanRecord*>(&span));
      group.waiting_ids.push_back(id);
      ++group.waiting;
      ++waiting_total_;
    }
    forget_if_done(parent);
  }
  forget_if_done(id);
  if (group.root_printed && group.open == 0)
    finish_group(group_id, out);
}

void ConsoleTree::flush_unfinished(std::string& out) {
  std::lock_guard lock(mu_);
  for (auto& [group_id, group] : groups_) {
    if (group.waiting_ids.empty())
      continue;
    out += "unfinished: ";
    append_escaped(out, group.root_name, Escape::kPlain);
    out += " trace=";
    out += group.trace_short;
    out += '\n';
    std::vector<std::array<char, 8>> raw(group.waiting_ids.size() * 2);
    std::vector<std::string> texts(group.waiting_ids.size());
    std::vector<TreeLine> lines(group.waiting_ids.size());
    for (std::size_t i = 0; i < group.waiting_ids.size(); ++i) {
      const Node& node = nodes_.at(group.waiting_ids[i]);
      const SpanRecord& span = *node.record;
      append_escaped(texts[i], span.name(), Escape::kPlain);
      texts[i] += " (";
      append_tree_duration(texts[i], duration_of(span), options_.ascii);
      texts[i] += ')';
      raw[2 * i] = id_bytes(group.waiting_ids[i]);
      raw[2 * i + 1] = id_bytes(node.parent);
      lines[i].id = std::string_view(raw[2 * i].data(), 8);
      lines[i].parent_id = std::string_view(raw[2 * i + 1].data(), 8);
      lines[i].order = span.start_unix_nano;
      lines[i].text = texts[i];
    }
    TreeStyle style;
    style.ascii = options_.ascii;
    style.orphan_word = "open";
    render_tree(lines, style, out);
    for (std::uint64_t id : group.waiting_ids)
      nodes_.at(id).record = SpanRef();
  }
  nodes_.clear();
  groups_.clear();
  waiting_total_ = 0;
}

}  // namespace edgetrace::sdk::internal
