// Redactor: the compiled redaction patterns, applied to one string at a time. Processors
// uses it on log bodies and string attributes; tests, the fuzz target and the benchmark use
// it directly.
//
//   core::Result<std::unique_ptr<processors::Redactor>> r =
//       processors::Redactor::create(options);          // RedactionOptions
//   std::string s = "mail bob@example.com from 10.1.2.3";
//   if ((*r)->redact(s)) ...                              // "mail [REDACTED] from [REDACTED]"
//
// Matching: all patterns are one RE2 alternation, searched for the bounds of the next match
// only (RE2's DFAs, no submatches), so a string without a match costs one DFA scan. At a
// match, the patterns alone are tried in order, anchored at its start, to learn which one
// it was (the first that matches there is the one the alternation chose). Strings shorter than the
// shortest possible match are skipped. Some built-in patterns check a candidate beyond the regular
// expression (a card number must pass the Luhn check; an IPv4 address must not be part of a longer
// dotted number; an IPv6 candidate must not be glued to a word); a rejected candidate is left as it
// is and the scan goes on after it. For "bearer_token" and "api_key" key=value forms, the scheme or
// key name is kept and only the secret is replaced ("Authorization: Bearer [REDACTED]",
// "api_key=[REDACTED]").
//
// Thread-safety: immutable after create(); redact() may be called from many threads.
// Allocation: none for a string without a match; a rewritten string is built in a
// thread-local buffer and assigned.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/core/result.hpp"
#include "edgetrace/processors/processors.hpp"

namespace re2 {
class RE2;
}  // namespace re2

namespace edgetrace::processors {

// The built-in patterns' names, in the order they are tried at one position.
inline constexpr std::string_view kDefaultPatternNames[] = {"email", "bearer_token", "api_key",
                                                            "card",  "ipv4",         "ipv6"};

class Redactor {
 public:
  // Compiles the built-in patterns (per options.default_patterns / only_default_patterns) and
  // options.patterns; trimming options are also taken from `options`. A Redactor with no
  // pattern is valid (it only masks or trims). Errors: kInvalidArgument naming the pattern.
  static core::Result<std::unique_ptr<Redactor>> create(const RedactionOptions& options);
  ~Redactor();
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;

  // Replaces every match in `text`; returns whether it changed.
  bool redact(std::string& text) const;
  // Whether any pattern matches somewhere in `text` (the match-only scan).
  bool matches(std::string_view text) const;
  // Trims absolute paths in a stack trace or path value; returns whether it changed.
  bool trim_paths(std::string& text) const;

  const RedactionOptions& options() const noexcept { return options_; }

 private:
  enum class Kind : unsigned char;
  struct Pattern {
    std::unique_ptr<re2::RE2> re;  // this pattern alone
    Kind kind;
    int secret_group;  // the group of `re` holding the part replaced (0: the whole match)
    std::array<bool, 256> first;  // the bytes a match can start with
    std::uint32_t clue;           // what a text needs for it to match (0: unknown)
  };
  static constexpr std::uint32_t kEveryClue = ~std::uint32_t{0};
  Redactor() = default;
  // Whether the candidate [begin, end) of `text` (a pattern of `kind` matched) is replaced.
  bool accept(Kind kind, std::string_view text, std::size_t begin, std::size_t end) const;
  // Which patterns' clues `text` holds (a cheap scan; kEveryClue with a user's pattern).
  std::uint32_t possible(std::string_view text) const noexcept;

  RedactionOptions options_;
  std::unique_ptr<re2::RE2> combined_;  // null without patterns
  std::vector<Pattern> patterns_;
  int max_groups_ = 0;  // most capture groups of one pattern
  std::size_t min_length_ = 0;
  std::uint32_t clues_ = 0;  // the union of the patterns' clues
};

}  // namespace edgetrace::processors
