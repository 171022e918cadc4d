#include "cmd/berth-runtime/commands.h"

namespace berth::cmd {

Action AddStart(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("start", "start the process of a created container");
  auto id = std::make_shared<std::string>();
  cmd->add_option("id", *id, "container id")->required();
  return [&g, id]() -> Result<int> {
    BERTH_TRY(runtime::Start(g.rt, *id));
    return 0;
  };
}

}  // namespace berth::cmd
