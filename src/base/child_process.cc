#include "base/child_process.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace berth {
namespace {

// glibc 2.36 declares the pidfd functions without C linkage in C++; the raw calls avoid that.
int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }
int PidfdSendSignal(int pidfd, int sig) {
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Runs in the child between clone and exec: async-signal-safe calls only.
[[noreturn]] void ExecChild(const SpawnOptions& o, char* const* argv, char* const* envp) {
  if (o.stdin_fd >= 0 && dup2(o.stdin_fd, 0) < 0) _exit(127);
  if (o.stdout_fd >= 0 && dup2(o.stdout_fd, 1) < 0) _exit(127);
  if (o.stderr_fd >= 0 && dup2(o.stderr_fd, 2) < 0) _exit(127);
  if (!o.cwd.empty() && chdir(o.cwd.c_str()) < 0) _exit(127);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  const char* file = o.path.empty() ? argv[0] : o.path.c_str();
  if (envp != nullptr) {
    execvpe(file, argv, envp);
  } else {
    execvp(file, argv);
  }
  _exit(errno == ENOENT ? 127 : 126);
}

}  // namespace

ExitStatus ExitStatusFromWaitStatus(int wait_status) {
  ExitStatus status;
  if (WIFSIGNALED(wait_status)) {
    status.signal = WTERMSIG(wait_status);
  } else {
    status.exit_code = WEXITSTATUS(wait_status);
  }
  return status;
}

Result<ChildProcess> ChildProcess::Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return Fail(ErrorKind::kInvalidArgument, "spawn: empty argv");
  std::vector<char*> argv = CStrings(options.argv);
  std::vector<char*> envp;
  if (options.env) envp = CStrings(*options.env);

  int pidfd = -1;
  clone_args args{};
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid < 0) return Fail(ErrnoNow("spawn " + options.argv[0] + ": clone3"));
  if (pid == 0) ExecChild(options, argv.data(), options.env ? envp.data() : nullptr);
  return ChildProcess(static_cast<pid_t>(pid), UniqueFd(pidfd));
}

Result<ChildProcess> ChildProcess::Adopt(pid_t pid) {
  int fd = PidfdOpen(pid);
  if (fd < 0) return Fail(ErrnoNow("pidfd_open " + std::to_string(pid)));
  return ChildProcess(pid, UniqueFd(fd));
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), pidfd_(std::move(other.pidfd_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    this->~ChildProcess();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (pid_ <= 0) return;
  (void)Signal(SIGKILL);
  (void)Wait();
}

Result<ExitStatus> ChildProcess::Wait(std::optional<int> timeout_ms) {
  if (pid_ <= 0) return Fail(ErrorKind::kFailedPrecondition, "wait: no child");
  if (timeout_ms) {
    pollfd pfd{pidfd_.get(), POLLIN, 0};
    int n;
    do {
      n = poll(&pfd, 1, *timeout_ms);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return Fail(ErrnoNow("wait " + std::to_string(pid_) + ": poll"));
    if (n == 0) {
      return Fail(ErrorKind::kDeadlineExceeded, "wait " + std::to_string(pid_) +
                                                    ": timed out after " +
                                                    std::to_string(*timeout_ms) + " ms");
    }
  }
  int wait_status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &wait_status, 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return Fail(ErrnoNow("wait " + std::to_string(pid_)));
  pid_ = -1;
  pidfd_.Reset();
  return ExitStatusFromWaitStatus(wait_status);
}

Status ChildProcess::Signal(int sig) {
  if (pid_ <= 0) return Fail(ErrorKind::kFailedPrecondition, "signal: no child");
  if (PidfdSendSignal(pidfd_.get(), sig) < 0 && errno != ESRCH) {
    return Fail(ErrnoNow("signal " + std::to_string(pid_)));
  }
  return Ok();
}

pid_t ChildProcess::Release() {
  pidfd_.Reset();
  return std::exchange(pid_, -1);
}

Result<ProgramOutput> RunForOutput(SpawnOptions options) {
  const std::string what = "run " + (options.argv.empty() ? options.path : options.argv[0]);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return Fail(ErrnoNow(what + ": pipe"));
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  options.stdout_fd = write_end.get();
  BERTH_ASSIGN_OR_RETURN(ChildProcess child, ChildProcess::Spawn(options));
  write_end.Reset();
  ProgramOutput output;
  char buffer[8192];
  while (true) {
    ssize_t n = read(read_end.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrnoNow(what + ": read its output"));
    if (n == 0) break;
    output.out.append(buffer, static_cast<size_t>(n));
  }
  BERTH_ASSIGN_OR_RETURN(output.status, child.Wait());
  return output;
}

}  // namespace berth
