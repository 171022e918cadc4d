#include "shim/container_runtime.h"

#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/child_process.h"
#include "base/file.h"
#include "base/strings.h"
#include "oci/runtime_spec_json.h"
#include "sys/process.h"
#include "sys/unix_socket.h"

namespace berth::shim {
namespace {

class LibraryRuntime final : public ContainerRuntime {
 public:
  explicit LibraryRuntime(const ShimOptions& o)
      : rt_{.root = o.runtime_root,
            .systemd_cgroup = o.systemd_cgroup,
            .seccomp_cache = o.seccomp_cache},
        id_(o.id),
        bundle_(o.bundle) {}
  Result<runtime::MonitoredProcess> Create() override {
    return runtime::CreateMonitored(rt_, {.id = id_, .bundle = bundle_});
  }
  Status Start(runtime::MonitoredProcess& init) override {
    return runtime::StartMonitored(id_, init);
  }
  Result<runtime::MonitoredProcess> Exec(const oci::Process& process) override {
    return runtime::ExecMonitored(rt_, id_, process);
  }
  Status Kill(int signal, bool all) override { return runtime::Kill(rt_, id_, signal, all); }
  Status Pause() override { return runtime::Pause(rt_, id_); }
  Status Resume() override { return runtime::Resume(rt_, id_); }
  Result<std::vector<pid_t>> Pids() override { return runtime::Pids(rt_, id_); }
  Result<bool> OomKilled() override { return runtime::OomKilled(rt_, id_); }
  Status Delete() override { return runtime::Delete(rt_, id_, true); }

 private:
  runtime::RuntimeOptions rt_;
  std::string id_;
  std::string bundle_;
};

// ReceiveFd reads one message carrying a descriptor (runc's console socket protocol).
Result<UniqueFd> ReceiveFd(int sock) {
  char data[256];
  UniqueFd fd;
  const ssize_t n = sys::RecvWithFd(sock, data, sizeof(data), &fd);
  if (n < 0) return Fail(Errno(static_cast<int>(-n), "receive the console"));
  if (!fd)
    return Fail(ErrorKind::kInternal, "receive the console: the message carried no descriptor");
  return fd;
}

// BinaryRuntime runs `COMMAND... --root ROOT --log STATE/runtime.log --log-format json VERB ...`
// in the state directory; a failure's message is the last error the runtime logged.
class BinaryRuntime final : public ContainerRuntime {
 public:
  explicit BinaryRuntime(const ShimOptions& o) : o_(o) {}

  Result<runtime::MonitoredProcess> Create() override {
    return Launch({"create", "--bundle", o_.bundle}, o_.tty);
  }
  Status Start(runtime::MonitoredProcess&) override { return Run({"start", o_.id}); }
  Result<runtime::MonitoredProcess> Exec(const oci::Process& process) override {
    const std::string path = o_.state_dir + "/exec-process.json";
    BERTH_TRY(WriteFileAtomic(path, oci::EncodeProcess(process), 0600, Lifetime::kUntilReboot));
    return Launch({"exec", "--process", path, "--detach"}, process.terminal);
  }
  Status Kill(int signal, bool all) override {
    std::vector<std::string> args = {"kill"};
    if (all) args.push_back("--all");
    args.insert(args.end(), {o_.id, std::to_string(signal)});
    return Run(args);
  }
  Status Pause() override { return Run({"pause", o_.id}); }
  Status Resume() override { return Run({"resume", o_.id}); }
  Result<std::vector<pid_t>> Pids() override {
    BERTH_ASSIGN_OR_RETURN(
        ProgramOutput output,
        RunForOutput({.argv = Argv({"ps", "--format", "json", o_.id}), .cwd = o_.state_dir}));
    if (!output.status.Success()) return Fail(Failure("ps", output.status));
    nlohmann::json pids = nlohmann::json::parse(output.out, nullptr, false);
    if (!pids.is_array()) {
      return Fail(ErrorKind::kInternal, Name() + " ps: not a JSON list: " + output.out);
    }
    std::vector<pid_t> out;
    for (const auto& pid : pids) {
      if (pid.is_number_integer()) out.push_back(pid.get<pid_t>());
    }
    return out;
  }
  Result<bool> OomKilled() override { return false; }
  Status Delete() override { return Run({"delete", "--force", o_.id}); }

 private:
  std::string Name() const { return o_.runtime_command.front(); }
  std::string LogPath() const { return o_.state_dir + "/runtime.log"; }

  std::vector<std::string> Argv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = o_.runtime_command;
    argv.insert(argv.end(),
                {"--root", o_.runtime_root, "--log", LogPath(), "--log-format", "json"});
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  // Failure names the command and the last error the runtime logged (else how it ended).
  Error Failure(const std::string& verb, const ExitStatus& status) const {
    std::string cause = fmt::format("exit status {}", status.ShellCode());
    for (const std::string& line : Split(ReadFile(LogPath()).value_or(""), '\n')) {
      nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
      if (entry.is_object() && entry.value("level", "") == "error" && entry.contains("msg") &&
          entry["msg"].is_string()) {
        cause = entry["msg"].get<std::string>();
      }
    }
    return Error(ErrorKind::kInternal, fmt::format("{} {}: {}", Name(), verb, cause));
  }

  // Run runs a command with the shim's 0, 1 and 2 and waits for it.
  Status Run(const std::vector<std::string>& args) {
    BERTH_ASSIGN_OR_RETURN(ChildProcess child,
                           ChildProcess::Spawn({.argv = Argv(args), .cwd = o_.state_dir}));
    BERTH_ASSIGN_OR_RETURN(ExitStatus status, child.Wait());
    if (!status.Success()) return Fail(Failure(args.front(), status));
    return Ok();
  }

  // Launch runs create or exec, which leave a process behind: its pid comes from --pid-file,
  // a terminal's master through --console-socket (a name relative to the state directory the
  // runtime runs in, as a socket's path must be short).
  Result<runtime::MonitoredProcess> Launch(std::vector<std::string> args, bool terminal) {
    const std::string pid_file = o_.state_dir + "/runtime.pid";
    unlink(pid_file.c_str());
    args.insert(args.end(), {"--pid-file", pid_file});
    const std::string console_path = o_.state_dir + "/console.sock";
    UniqueFd console_listener;
    if (terminal) {
      BERTH_ASSIGN_OR_RETURN(console_listener, sys::ListenUnix(console_path, 0600, true));
      args.insert(args.end(), {"--console-socket", "console.sock"});
    }
    args.push_back(o_.id);
    Status ran = Run(args);
    if (terminal) unlink(console_path.c_str());
    BERTH_TRY(std::move(ran));
    BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(pid_file));
    unlink(pid_file.c_str());
    Result<int64_t> pid = ParseInt64(TrimSpace(text));
    if (!pid || *pid <= 0) {
      return Fail(ErrorKind::kInternal,
                  fmt::format("{} {}: bad pid file: {}", Name(), args[0], text));
    }
    runtime::MonitoredProcess p;
    p.pid = static_cast<pid_t>(*pid);
    BERTH_ASSIGN_OR_RETURN(p.pidfd, sys::PidfdOpen(p.pid));
    if (terminal) {
      UniqueFd conn(accept4(console_listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!conn) return Fail(ErrnoNow(Name() + " " + args[0] + ": no console was sent"));
      BERTH_ASSIGN_OR_RETURN(p.console, ReceiveFd(conn.get()));
    }
    return p;
  }

  ShimOptions o_;
};

}  // namespace

std::unique_ptr<ContainerRuntime> MakeContainerRuntime(const ShimOptions& options) {
  if (options.runtime_command.empty()) return std::make_unique<LibraryRuntime>(options);
  return std::make_unique<BinaryRuntime>(options);
}

}  // namespace berth::shim
