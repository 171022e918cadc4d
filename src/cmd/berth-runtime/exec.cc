#include "base/strings.h"
#include "cmd/berth-runtime/commands.h"

namespace berth::cmd {
namespace {

// "uid[:gid]" as runc's --user takes it.
Result<oci::User> ParseUser(const std::string& spec, const std::vector<uint32_t>& extra_gids) {
  oci::User user;
  std::vector<std::string> parts = Split(spec, ':');
  if (parts.size() > 2) return Fail(ErrorKind::kInvalidArgument, "invalid --user \"" + spec + "\"");
  auto uid = ParseUint64(parts[0]);
  if (!uid) return Fail(ErrorKind::kInvalidArgument, "invalid --user \"" + spec + "\": uid");
  user.uid = static_cast<uint32_t>(*uid);
  if (parts.size() == 2) {
    auto gid = ParseUint64(parts[1]);
    if (!gid) return Fail(ErrorKind::kInvalidArgument, "invalid --user \"" + spec + "\": gid");
    user.gid = static_cast<uint32_t>(*gid);
  }
  user.additional_gids = extra_gids;
  return user;
}

}  // namespace

Action AddExec(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("exec", "run a new process in a running container");
  auto o = std::make_shared<runtime::ExecOptions>();
  auto user = std::make_shared<std::string>();
  auto gids = std::make_shared<std::vector<uint32_t>>();
  auto label = std::make_shared<std::string>();
  auto apparmor = std::make_shared<std::string>();
  cmd->add_option("-p,--process", o->process_file, "process.json describing the process");
  cmd->add_flag("-t,--tty", o->tty, "allocate a pseudo-terminal");
  cmd->add_option("--cwd", o->cwd, "working directory in the container");
  cmd->add_option("-e,--env", o->env, "set an environment variable (KEY=VALUE)");
  cmd->add_option("-u,--user", *user, "uid[:gid]");
  cmd->add_option("-g,--additional-gids", *gids, "additional group ids");
  cmd->add_option("-c,--cap", o->caps, "add a capability");
  cmd->add_flag("--no-new-privs", o->no_new_privileges, "set no_new_privs for the process");
  cmd->add_flag("-d,--detach", o->detach, "do not wait for the process");
  cmd->add_option("--pid-file", o->pid_file, "write the process id to this file");
  cmd->add_option("--console-socket", o->console_socket, "receives the pty master");
  cmd->add_option("--preserve-fds", o->preserve_fds, "pass this many fds beyond stdio");
  cmd->add_option("--process-label", *label, "SELinux label (not supported)");
  cmd->add_option("--apparmor", *apparmor, "AppArmor profile for the process");
  cmd->prefix_command();
  return [&g, cmd, o, user, gids, label, apparmor]() -> Result<int> {
    std::vector<std::string> rest = cmd->remaining();
    if (rest.empty()) return Fail(ErrorKind::kInvalidArgument, "exec: container id required");
    std::string id = rest[0];
    o->args.assign(rest.begin() + 1, rest.end());
    if (!label->empty()) {
      return Fail(ErrorKind::kNotImplemented, "exec: --process-label: SELinux is not supported");
    }
    if (!user->empty()) {
      BERTH_ASSIGN_OR_RETURN(o->user, ParseUser(*user, *gids));
    }
    return runtime::Exec(g.rt, id, *o);
  };
}

}  // namespace berth::cmd
