#include "cmd/berth-runtime/commands.h"

namespace berth::cmd {

Action AddRun(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("run", "create and start a container, and wait for it");
  auto options = std::make_shared<runtime::CreateOptions>();
  AddCreateFlags(cmd, options.get());
  cmd->add_flag("-d,--detach", options->detach, "return once the container has started");
  return [&g, options]() { return runtime::Run(g.rt, *options); };
}

}  // namespace berth::cmd
