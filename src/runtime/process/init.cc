#include "runtime/process/init.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "oci/runtime_spec_json.h"
#include "runtime/hook/hooks.h"
#include "runtime/process/sync.h"
#include "runtime/terminal/console.h"

namespace berth::runtime {
namespace {

[[noreturn]] void FailWith(int fd, const Error& error) noexcept {
  ChildFail(fd, 0, error.message().c_str());
}

void CheckStatus(int fd, const Status& status) noexcept {
  if (!status) FailWith(fd, status.error());
}

void ResetSignals() noexcept {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

std::string EnvValue(const std::vector<std::string>& env, std::string_view key) {
  for (const auto& kv : env) {
    if (kv.size() > key.size() && kv.compare(0, key.size(), key) == 0 && kv[key.size()] == '=') {
      return kv.substr(key.size() + 1);
    }
  }
  return {};
}

// FindExecutable resolves args[0] as execvp would, in the container's root and PATH, so that a
// missing program is reported by create with docker's wording instead of failing after start.
std::string FindExecutable(int fd, const oci::Process& p) noexcept {
  const std::string& name = p.args[0];
  if (name.find('/') != std::string::npos) {
    if (access(name.c_str(), X_OK) < 0) {
      std::string what = "exec: \"" + name + "\"";
      ChildFail(fd, errno, what.c_str());
    }
    return name;
  }
  std::string path = EnvValue(p.env, "PATH");
  if (path.empty()) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  std::string what = "exec: \"" + name + "\": executable file not found in $PATH";
  errno = ENOENT;
  SyncMessage message;
  message.type = SyncType::kError;
  message.err = ENOENT;
  snprintf(message.text, sizeof(message.text), "%s", what.c_str());
  (void)SendSyncMessage(fd, message);
  _exit(127);
}

void WriteProcFile(int fd, const std::string& path, const std::string& value) noexcept {
  int f = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (f < 0 || write(f, value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
    ChildFail(fd, errno, ("write " + path).c_str());
  }
  close(f);
}

void ApplySysctls(int fd, const oci::Spec& spec) noexcept {
  if (!spec.linux) return;
  for (const auto& [key, value] : spec.linux->sysctl) {
    std::string path = "/proc/sys/" + key;
    for (size_t i = 10; i < path.size(); ++i) {
      if (path[i] == '.') path[i] = '/';
    }
    WriteProcFile(fd, path, value);
  }
}

void SetNames(int fd, const InitConfig& c) noexcept {
  if (!c.namespaces.Creates(CLONE_NEWUTS)) return;
  const std::string& host = c.spec->hostname;
  if (!host.empty() && sethostname(host.data(), host.size()) < 0) {
    ChildFail(fd, errno, ("sethostname " + host).c_str());
  }
  const std::string& domain = c.spec->domainname;
  if (!domain.empty() && setdomainname(domain.data(), domain.size()) < 0) {
    ChildFail(fd, errno, ("setdomainname " + domain).c_str());
  }
}

std::string HookState(const InitConfig& c, pid_t host_pid, oci::Status status) {
  oci::State state;
  state.id = c.id;
  state.bundle = c.bundle;
  state.pid = host_pid;
  state.status = status;
  state.annotations = c.spec->annotations;
  return oci::EncodeState(state);
}

void RunContainerHooks(int fd, const InitConfig& c, bool start, pid_t host_pid) noexcept {
  if (!c.spec->hooks) return;
  const auto& hooks = start ? c.spec->hooks->start_container : c.spec->hooks->create_container;
  if (hooks.empty()) return;
  std::string state =
      HookState(c, host_pid, start ? oci::Status::kCreated : oci::Status::kCreating);
  CheckStatus(fd, RunHooks(hooks, start ? "startContainer" : "createContainer", state));
}

// MakeDirs creates a directory and its parents after the pivot, where "/" and ".." cannot lead
// out of the container's root.
void MakeDirs(int fd, const std::string& path) noexcept {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (mkdir(prefix.c_str(), 0755) < 0 && errno != EEXIST) {
      ChildFail(fd, errno, ("create cwd " + path).c_str());
    }
  }
}

void SetupConsole(int fd, bool as_dev_console, const oci::Process& p) noexcept {
  int master = -1, slave = -1;
  char slave_path[64];
  int r = OpenPty(&master, &slave, slave_path, sizeof(slave_path));
  if (r < 0) ChildFail(fd, -r, "open pty /dev/ptmx");
  if (as_dev_console) CheckStatus(fd, mount::MountConsole(slave_path));
  if (SendSync(fd, SyncType::kConsole, master) < 0) ChildFail(fd, errno, "send console");
  close(master);
  r = MakeControllingTerminal(slave, p.console_size ? &*p.console_size : nullptr);
  if (r < 0) ChildFail(fd, -r, "set controlling terminal");
  if (slave > 2) close(slave);
}

void WaitForStart(int fd, int fifo_fd) noexcept {
  if (fifo_fd >= 0) {
    char byte;
    ssize_t n;
    do {
      n = read(fifo_fd, &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) ChildFail(fd, errno, "wait for start on exec.fifo");
    // The descriptor stays open until the exec closes it: that is how `start` learns the
    // container's process runs.
    return;
  }
  auto message = RecvSync(fd);
  if (!message || message->type != SyncType::kStart) _exit(126);
}

void SwitchCredentials(int fd, const ProcessConfig& c) noexcept {
  const oci::User& user = c.process->user;
  int r = DropBounding(c.caps);
  if (r < 0) ChildFail(fd, -r, "drop bounding capabilities");
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) ChildFail(fd, errno, "prctl PR_SET_KEEPCAPS");
  std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
  // setgroups is refused in a user namespace whose setgroups file says "deny"; nothing to drop
  // then.
  if (setgroups(groups.size(), groups.data()) < 0 && !(errno == EPERM && groups.empty())) {
    ChildFail(fd, errno, "setgroups");
  }
  if (setresgid(user.gid, user.gid, user.gid) < 0) {
    ChildFail(fd, errno, ("setresgid " + std::to_string(user.gid)).c_str());
  }
  if (setresuid(user.uid, user.uid, user.uid) < 0) {
    ChildFail(fd, errno, ("setresuid " + std::to_string(user.uid)).c_str());
  }
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) ChildFail(fd, errno, "prctl PR_SET_KEEPCAPS");
  r = ApplySets(c.caps);
  if (r < 0) ChildFail(fd, -r, "capset");
}

void LoadSeccomp(int fd, const ProcessConfig& c) noexcept {
  if (!c.seccomp) return;
  int r = seccomp::Load(*c.seccomp);
  if (r < 0) ChildFail(fd, -r, "load seccomp filter");
}

void SetApparmor(int fd, const oci::Process& p) noexcept {
  if (p.apparmor_profile.empty()) return;
  int f = open("/proc/self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
  if (f < 0) f = open("/proc/self/attr/exec", O_WRONLY | O_CLOEXEC);
  std::string value = "exec " + p.apparmor_profile;
  if (f < 0 || write(f, value.data(), value.size()) < 0) {
    ChildFail(fd, errno, ("set apparmor profile " + p.apparmor_profile).c_str());
  }
  close(f);
}

// Marks every descriptor past stdio and the preserved ones close-on-exec, so no runtime or host fd
// reaches the container (CVE-2024-21626); the preserved ones are made inheritable.
void SealDescriptors(int fd, int preserve_fds) noexcept {
  for (int i = 3; i < 3 + preserve_fds; ++i) {
    int flags = fcntl(i, F_GETFD);
    if (flags >= 0) fcntl(i, F_SETFD, flags & ~FD_CLOEXEC);
  }
  unsigned first = 3u + static_cast<unsigned>(preserve_fds);
  if (syscall(SYS_close_range, first, ~0u, CLOSE_RANGE_CLOEXEC) < 0) {
    ChildFail(fd, errno, "close_range");
  }
}

// CloseInherited closes every descriptor the clone copied from the runtime except stdio, the
// preserved ones and those the init process uses itself. Close-on-exec is not enough here: the
// init process lives on without exec until `start`, and a copied lock or pidfd would keep the
// runtime's resources busy (the state directory's lock above all).
void CloseInherited(int preserve_fds, int a, int b) noexcept {
  unsigned keep[2] = {static_cast<unsigned>(a < 0 ? 0 : a), static_cast<unsigned>(b < 0 ? 0 : b)};
  if (keep[0] > keep[1]) std::swap(keep[0], keep[1]);
  unsigned next = 3u + static_cast<unsigned>(preserve_fds);
  for (unsigned k : keep) {
    if (k >= next) {
      if (k > next) syscall(SYS_close_range, next, k - 1, 0);
      next = k + 1;
    }
  }
  syscall(SYS_close_range, next, ~0u, 0);
}

}  // namespace

[[noreturn]] void ExecProcess(const ProcessConfig& c) noexcept {
  const int fd = c.sync_fd;
  const oci::Process& p = *c.process;
  if (p.terminal) SetupConsole(fd, false, p);
  if (chdir(p.cwd.c_str()) < 0) ChildFail(fd, errno, ("chdir to cwd " + p.cwd).c_str());
  std::string exe = FindExecutable(fd, p);
  SetApparmor(fd, p);
  // Before any filter: a container's seccomp profile need not allow close_range.
  SealDescriptors(fd, c.preserve_fds);
  // Without no_new_privs the filter can only be loaded while CAP_SYS_ADMIN is still held, so it
  // goes in before the switch of credentials and must allow what follows.
  if (!p.no_new_privileges) LoadSeccomp(fd, c);
  SwitchCredentials(fd, c);
  if (p.user.umask) umask(*p.user.umask);
  if (p.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    ChildFail(fd, errno, "prctl PR_SET_NO_NEW_PRIVS");
  }
  if (p.no_new_privileges) LoadSeccomp(fd, c);

  std::vector<char*> argv;
  for (const auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : p.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  execve(exe.c_str(), argv.data(), envp.data());
  ChildFail(fd, errno, ("exec " + exe).c_str());
}

[[noreturn]] void RunInit(const InitConfig& c) noexcept {
  const int fd = c.proc.sync_fd;
  ResetSignals();
  // Until create has finished, the init process must not outlive the runtime that is creating it.
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  auto go = RecvSync(fd);
  if (!go || go->type != SyncType::kGo) _exit(126);
  const pid_t host_pid = go->pid;
  // Before the cgroup namespace is made, so that its root is the container's cgroup.
  if (c.cgroup != nullptr) {
    if (const char* failed = cgroup::Cgroup::JoinSelf(*c.cgroup)) {
      ChildFail(fd, errno, (std::string("join cgroup: write ") + failed).c_str());
    }
  }
  CloseInherited(c.proc.preserve_fds, fd, c.fifo_fd);

  if (c.namespaces.Creates(CLONE_NEWUSER) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
    ChildFail(fd, errno, "become root in the new user namespace");
  }
  if (c.namespaces.Creates(CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0) {
    ChildFail(fd, errno, "unshare cgroup namespace");
  }
  ApplySysctls(fd, *c.spec);
  SetNames(fd, c);
  CheckStatus(fd, mount::PrepareRootfs(c.rootfs));

  // The runtime runs the prestart and createRuntime hooks here, between the mounts and the pivot;
  // without any there is nothing to wait for.
  const auto& hooks = c.spec->hooks;
  if (hooks && (!hooks->prestart.empty() || !hooks->create_runtime.empty())) {
    if (SendSync(fd, SyncType::kCreateHooks) < 0) ChildFail(fd, errno, "report rootfs ready");
    auto hooks_done = RecvSync(fd);
    if (!hooks_done || hooks_done->type != SyncType::kGo) _exit(126);
  }
  RunContainerHooks(fd, c, false, host_pid);

  CheckStatus(fd, mount::PivotRoot(c.rootfs));
  const oci::Process& p = *c.proc.process;
  if (p.terminal) SetupConsole(fd, true, p);
  CheckStatus(fd, mount::FinishRootfs(c.rootfs));
  MakeDirs(fd, p.cwd);
  (void)FindExecutable(fd, p);
  // The profile applies at the next exec; setting it now makes create fail, as runc's does, when
  // it cannot be applied, instead of the process dying unseen after start.
  SetApparmor(fd, p);

  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (SendSync(fd, SyncType::kCreated) < 0) ChildFail(fd, errno, "report created");
  WaitForStart(fd, c.fifo_fd);
  RunContainerHooks(fd, c, true, host_pid);

  ProcessConfig proc = c.proc;
  // The console and the AppArmor profile were set up before the start: the exec part must not do
  // them again.
  oci::Process rest = p;
  rest.terminal = false;
  rest.apparmor_profile.clear();
  proc.process = &rest;
  ExecProcess(proc);
}

}  // namespace berth::runtime
