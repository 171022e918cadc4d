#include "cmd/berth-runtime/commands.h"

namespace berth::cmd {

void AddCreateFlags(CLI::App* cmd, runtime::CreateOptions* o) {
  cmd->add_option("id", o->id, "container id")->required();
  cmd->add_option("-b,--bundle", o->bundle, "path to the bundle (default: current directory)");
  cmd->add_option("--pid-file", o->pid_file, "write the container process id to this file");
  cmd->add_option("--console-socket", o->console_socket,
                  "unix socket that receives the pty master of a terminal process");
  cmd->add_flag("--no-pivot", o->no_pivot, "do not use pivot_root (for a rootfs on a ramdisk)");
  cmd->add_option("--preserve-fds", o->preserve_fds, "pass this many fds beyond stdio (from 3)");
  // Accepted for runc compatibility: berth-runtime creates no session keyring anyway.
  static bool no_new_keyring = false;
  cmd->add_flag("--no-new-keyring", no_new_keyring, "do not create a new session keyring");
}

Action AddCreate(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("create", "create a container from a bundle");
  auto options = std::make_shared<runtime::CreateOptions>();
  AddCreateFlags(cmd, options.get());
  return [&g, options]() -> Result<int> {
    BERTH_TRY(runtime::Create(g.rt, *options));
    return 0;
  };
}

}  // namespace berth::cmd
