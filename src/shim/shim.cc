// berth-shim's start-up: the fork that leaves the spawning process, the session and subreaper,
// the shim's own log, the socket, the container's creation, shim.pid and the ready line.
#include "shim/shim.h"

#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/log.h"
#include "base/scope_exit.h"
#include "shim/container_runtime.h"
#include "shim/monitor.h"
#include "sys/unix_socket.h"

namespace berth::shim {
namespace {

void WriteReadyLine(int fd, const nlohmann::json& line) {
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::string_view rest = text;
  while (!rest.empty()) {
    ssize_t n = write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the daemon is gone: nobody to tell
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

// The shim's own diagnostics: STATE_DIR/shim.log, appended.
Status OpenShimLog(const ShimOptions& o) {
  const std::string path = o.state_dir + "/shim.log";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(ErrnoNow("open " + path));
  log::Configure(o.debug ? log::Level::kDebug : log::Level::kInfo, log::Format::kText, fd);
  return Ok();
}

Result<UniqueFd> Listen(const std::string& path) {
  // A socket left by an earlier shim of this state directory is replaced.
  return sys::ListenUnix(path, 0600, true);
}

// ReleaseStartupMemory gives back what creating the container touched and serving it never
// will: the free heap (the parsed config, the runtime's plans) and the stack pages below this
// frame. One shim runs per container, so each of these pages counts once per container.
void ReleaseStartupMemory() {
  malloc_trim(0);
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  void* low = nullptr;
  size_t size = 0;
  const int got = pthread_attr_getstack(&attr, &low, &size);
  pthread_attr_destroy(&attr);
  if (got != 0) return;
  // Everything below the stack pointer is dead; keep a margin for the frames of madvise itself.
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  const uintptr_t start = (reinterpret_cast<uintptr_t>(low) + page - 1) & ~(page - 1);
  const uintptr_t end = (sp - page) & ~(page - 1);
  // The range starts at the stack's lowest possible address (its rlimit), below what is mapped:
  // madvise then fails with ENOMEM for the gap but still releases the mapped pages.
  if (end > start) madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
}

// Prepare does everything up to the ready line: on error nothing of the container is left.
Result<std::unique_ptr<Monitor>> Prepare(const ShimOptions& o) {
  BERTH_TRY(OpenShimLog(o));
  std::optional<JsonLogWriter> log;
  if (!o.log_path.empty()) {
    BERTH_ASSIGN_OR_RETURN(
        log, JsonLogWriter::Open(
                 {.path = o.log_path, .max_size = o.log_max_size, .max_files = o.log_max_file}));
  }
  const std::string socket_path = o.state_dir + "/shim.sock";
  BERTH_ASSIGN_OR_RETURN(UniqueFd listener, Listen(socket_path));
  ScopeExit remove_socket([&] { unlink(socket_path.c_str()); });

  BERTH_ASSIGN_OR_RETURN(auto io, MakeStdio(o.tty, o.open_stdin));
  auto [stdio, child] = std::move(io);
  std::unique_ptr<ContainerRuntime> runtime = MakeContainerRuntime(o);
  BERTH_ASSIGN_OR_RETURN(runtime::MonitoredProcess init,
                         WithChildStdio(std::move(child), [&] { return runtime->Create(); }));
  ScopeExit delete_container([&] { (void)runtime->Delete(); });
  if (o.tty && !init.console) {
    return Fail(ErrorKind::kInvalidArgument,
                "--tty: the container's process.terminal is false (no pty was made)");
  }
  if (!o.tty && init.console) {
    return Fail(ErrorKind::kInvalidArgument,
                "the container's process.terminal is true: the shim needs --tty");
  }
  log::Info("container {} created, init process {}", o.id, init.pid);
  BERTH_TRY(WriteFileAtomic(o.state_dir + "/shim.pid", std::to_string(getpid()), 0644,
                            Lifetime::kUntilReboot));
  BERTH_ASSIGN_OR_RETURN(auto monitor,
                         Monitor::Create(o, std::move(runtime), std::move(init), std::move(stdio),
                                         std::move(listener), std::move(log)));
  delete_container.Dismiss();
  remove_socket.Dismiss();
  return monitor;
}

}  // namespace

int RunShim(const ShimOptions& options) {
  pid_t pid = fork();
  if (pid < 0) {
    WriteReadyLine(1, {{"error", std::string("fork: ") + std::strerror(errno)}});
    return 1;
  }
  if (pid > 0) _exit(0);
  // The shim leaves the daemon's session and process group, so that nothing aimed at the daemon
  // reaches it, and adopts the container's orphans.
  setsid();
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  for (int sig : {SIGPIPE, SIGHUP, SIGINT, SIGTERM}) signal(sig, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, nullptr);

  UniqueFd ready(fcntl(1, F_DUPFD_CLOEXEC, 3));
  auto monitor = Prepare(options);
  if (!monitor) {
    std::string message = monitor.error().message();
    log::Error("{}", message);
    WriteReadyLine(ready.get(), {{"error", message}});
    return 1;
  }
  WriteReadyLine(ready.get(), {{"pid", (*monitor)->InitPid()}});
  ready.Reset();
  ReleaseStartupMemory();
  return (*monitor)->Run();
}

}  // namespace berth::shim
