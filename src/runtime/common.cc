// Helpers shared by create, lifecycle and exec (container_internal.h).
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"
#include "oci/runtime_spec_json.h"
#include "runtime/container_internal.h"
#include "runtime/hook/hooks.h"
#include "runtime/seccomp/cache.h"
#include "runtime/terminal/console.h"
#include "sys/process.h"

namespace berth::runtime {
namespace {

// "machine.slice" -> "/machine.slice"; "a-b.slice" -> "/a.slice/a-b.slice" (systemd's nesting).
std::string ExpandSlice(const std::string& slice) {
  if (slice.empty() || slice == "-.slice") return "";
  std::string base = slice.substr(0, slice.size() - (slice.ends_with(".slice") ? 6 : 0));
  std::string path;
  std::string prefix;
  for (const auto& part : Split(base, '-')) {
    prefix += (prefix.empty() ? "" : "-") + part;
    path += "/" + prefix + ".slice";
  }
  return path;
}

}  // namespace

Result<std::string> ResolveCgroupsPath(const RuntimeOptions& rt, const std::string& cgroups_path,
                                       const std::string& id) {
  if (!rt.systemd_cgroup) return cgroups_path.empty() ? id : cgroups_path;
  if (cgroups_path.empty()) return "/system.slice/berth-" + id + ".scope";
  std::vector<std::string> parts = Split(cgroups_path, ':');
  if (parts.size() != 3) {
    return Fail(ErrorKind::kInvalidArgument,
                "config.json: linux.cgroupsPath: expected \"slice:prefix:name\" with "
                "--systemd-cgroup, got \"" +
                    cgroups_path + "\"");
  }
  std::string slice = parts[0].empty() ? "system.slice" : parts[0];
  std::string unit = parts[1].empty() ? parts[2] : parts[1] + "-" + parts[2];
  if (!unit.ends_with(".slice")) unit += ".scope";
  return ExpandSlice(slice) + "/" + unit;
}

std::string OwnerName() {
  // /etc/passwd is read directly rather than through NSS (getpwuid): berth-runtime is linked
  // statically, and a static program cannot load NSS modules safely.
  const std::string uid = std::to_string(geteuid());
  if (Result<std::string> passwd = ReadFile("/etc/passwd")) {
    for (const std::string& line : Split(*passwd, '\n')) {
      std::vector<std::string> fields = Split(line, ':');
      if (fields.size() > 2 && fields[2] == uid && !fields[0].empty()) return fields[0];
    }
  }
  return uid;
}

std::string HookStateJson(const ContainerRecord& record, pid_t pid, oci::Status status) {
  oci::State state;
  state.id = record.id;
  state.status = status;
  state.pid = pid;
  state.bundle = record.bundle;
  state.annotations = record.annotations;
  return oci::EncodeState(state);
}

Result<CapabilitySets> PlanProcessCapabilities(const oci::Process& process) {
  BERTH_ASSIGN_OR_RETURN(int last_cap, KernelLastCap());
  BERTH_ASSIGN_OR_RETURN(CapabilitySets sets, PlanCapabilities(process.capabilities, last_cap,
                                                               CurrentBoundingSet(last_cap)));
  if (!sets.ungranted.empty()) {
    log::Warn(
        "process.capabilities: {} cannot be granted (unknown to this kernel or outside the "
        "runtime's bounding set); the process runs without them",
        Join(sets.ungranted, ", "));
  }
  return sets;
}

Result<seccomp::Program> BuildSeccomp(const RuntimeOptions& rt, const oci::Seccomp& seccomp) {
  if (rt.seccomp_cache.empty()) return seccomp::Build(seccomp);
  return seccomp::BuildCached(seccomp, rt.seccomp_cache);
}

void RunPoststartHooks(const oci::Spec& spec, const ContainerRecord& record, pid_t pid) {
  if (!spec.hooks || spec.hooks->poststart.empty()) return;
  RunPoststartHooks(spec.hooks->poststart, HookStateJson(record, pid, oci::Status::kRunning));
}

void RunPoststartHooks(const std::vector<oci::Hook>& hooks, const std::string& state) {
  if (hooks.empty()) return;
  Status s = RunHooks(hooks, "poststart", state);
  if (!s) log::Warn("{}", s.error().message());
}

Result<oci::Spec> LoadSpec(const StateStore& store, const std::string& id) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(store.ConfigPath(id)));
  return oci::DecodeSpec(text);
}

sigset_t ForwardedSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGCONT,
                  SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH}) {
    sigaddset(&set, sig);
  }
  return set;
}

Result<ExitStatus> WaitForeground(pid_t pid, int pidfd, int console, const sigset_t& forwarded) {
  if (console >= 0) {
    BERTH_TRY(ProxyTerminal(console, pidfd));
  } else {
    UniqueFd sfd(signalfd(-1, &forwarded, SFD_CLOEXEC));
    if (!sfd) return Fail(ErrnoNow("signalfd"));
    while (true) {
      pollfd fds[2] = {{pidfd, POLLIN, 0}, {sfd.get(), POLLIN, 0}};
      if (poll(fds, 2, -1) < 0 && errno != EINTR) return Fail(ErrnoNow("poll"));
      if (fds[0].revents) break;
      if (fds[1].revents) {
        signalfd_siginfo info;
        if (read(sfd.get(), &info, sizeof(info)) == sizeof(info) && info.ssi_signo != SIGCHLD) {
          (void)sys::PidfdSendSignal(pidfd, static_cast<int>(info.ssi_signo));
        }
      }
    }
  }
  int wait_status = 0;
  pid_t r;
  do {
    r = waitpid(pid, &wait_status, 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return Fail(ErrnoNow("wait for container process"));
  return ExitStatusFromWaitStatus(wait_status);
}

}  // namespace berth::runtime
