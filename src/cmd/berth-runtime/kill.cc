#include "cmd/berth-runtime/commands.h"

namespace berth::cmd {

Action AddKill(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("kill", "send a signal (default SIGTERM) to a container");
  auto id = std::make_shared<std::string>();
  auto signal = std::make_shared<std::string>("SIGTERM");
  auto all = std::make_shared<bool>(false);
  cmd->add_option("id", *id, "container id")->required();
  cmd->add_option("signal", *signal, "signal name (KILL, SIGKILL) or number");
  cmd->add_flag("-a,--all", *all, "send the signal to every process of the container");
  return [&g, id, signal, all]() -> Result<int> {
    BERTH_ASSIGN_OR_RETURN(int sig, runtime::ParseSignal(*signal));
    BERTH_TRY(runtime::Kill(g.rt, *id, sig, *all));
    return 0;
  };
}

}  // namespace berth::cmd
