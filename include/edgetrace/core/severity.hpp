// Log levels and their OpenTelemetry SeverityNumber / SeverityText.
//
//   severity_number(Level::kWarn)          == 13
//   severity_text(Level::kWarn)            == "WARN"
//   level_from_severity_number(14)         == Level::kWarn   (13..16 are WARN..WARN4)
//   parse_level("warn")                    == Level::kWarn   (case-insensitive)
//
// Thread-safety: constexpr pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace edgetrace::core {

enum class Level : std::uint8_t { kTrace = 0, kDebug, kInfo, kWarn, kError, kFatal };

inline constexpr int kLevelCount = 6;

// 1, 5, 9, 13, 17, 21.
constexpr int severity_number(Level level) noexcept {
  return 1 + 4 * static_cast<int>(level);
}

constexpr std::string_view severity_text(Level level) noexcept {
  constexpr std::string_view kText[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};
  return kText[static_cast<int>(level)];
}

// Any SeverityNumber in 1..24 maps to its level; 0 (unspecified) and others to nullopt.
constexpr std::optional<Level> level_from_severity_number(int number) noexcept {
  if (number < 1 || number > 24)
    return std::nullopt;
  return static_cast<Level>((number - 1) / 4);
}

// Accepts the level names in any case, plus "warning" and "critical" (= fatal), as
// found in other logging systems' output.
std::optional<Level> parse_level(std::string_view text) noexcept;

}  // namespace edgetrace::core
