#include "cmd/berth-runtime/commands.h"

namespace berth::cmd {

Action AddPause(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("pause", "freeze every process of a container");
  auto id = std::make_shared<std::string>();
  cmd->add_option("id", *id, "container id")->required();
  return [&g, id]() -> Result<int> {
    BERTH_TRY(runtime::Pause(g.rt, *id));
    return 0;
  };
}

Action AddResume(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("resume", "thaw a paused container");
  auto id = std::make_shared<std::string>();
  cmd->add_option("id", *id, "container id")->required();
  return [&g, id]() -> Result<int> {
    BERTH_TRY(runtime::Resume(g.rt, *id));
    return 0;
  };
}

}  // namespace berth::cmd
