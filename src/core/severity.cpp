#include "edgetrace/core/severity.hpp"

namespace edgetrace::core {
namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z')
      x = static_cast<char>(x - 'A' + 'a');
    if (x != b[i])
      return false;
  }
  return true;
}

}  // namespace

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
    if (iequals(text, n.name))
      return n.level;
  }
  return std::nullopt;
}

}  // namespace edgetrace::core
