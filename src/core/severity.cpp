#include "edgetrace/core/severity.hpp"

#include "edgetrace/core/text.hpp"

namespace edgetrace::core {
std::optional<Level> parse_level(std::string_view text) noexcept {
  struct Name {
    std::string_view name;
    Level level;
  };
  static constexpr Name kNames[] = {
      {"trace", Level::kTrace}, {"debug", Level::kDebug},    {"info", Level::kInfo},
      {"warn", Level::kWarn},   {"warning", Level::kWarn},   {"error", Level::kError},
      {"fatal", Level::kFatal}, {"critical", Level::kFatal},
  };
  for (const auto& n : kNames) {
    if (iequals_ascii(text, n.name))
      return n.level;
  }
  return std::nullopt;
}

}  // namespace edgetrace::core
