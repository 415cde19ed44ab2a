// edgetrace version
#include <cstdio>

#include "commands.hpp"
#include "edgetrace/decoder/defmt.hpp"

namespace edgetrace::cli {

void add_version_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("version", "Print the version and the wire formats decoded");
  cmd->callback([&action] {
    action = [] {
      std::printf("edgetrace %s\n", EDGETRACE_VERSION);
      // The handshake's version byte (docs/wire-format.md) and defmt's `_defmt_version_`.
      std::printf("wire formats: edgetrace wire v1, defmt v%s\n",
                  std::string(decoder::DefmtTable::kSupportedVersion).c_str());
      return kExitOk;
    };
  });
}

}  // namespace edgetrace::cli
