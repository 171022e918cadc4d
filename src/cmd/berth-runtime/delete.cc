#include "cmd/berth-runtime/commands.h"

namespace berth::cmd {

Action AddDelete(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("delete", "delete a stopped container and its resources");
  auto id = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  cmd->add_option("id", *id, "container id")->required();
  cmd->add_flag("-f,--force", *force, "kill the container first if it still runs");
  return [&g, id, force]() -> Result<int> {
    BERTH_TRY(runtime::Delete(g.rt, *id, *force));
    return 0;
  };
}

}  // namespace berth::cmd
