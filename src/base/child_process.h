// ChildProcess runs a program and owns it through a pidfd: it is killed and reaped on destruction
// unless Release()d or already waited for. Safe to use from a multithreaded process (the child
// only calls async-signal-safe functions between clone and exec). Not itself thread-safe.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace berth {

struct ExitStatus {
  int exit_code = 0;  // valid when signal == 0
  int signal = 0;     // the terminating signal, 0 when the process exited
  // The shell's convention: the exit code, or 128 + signal.
  int ShellCode() const { return signal ? 128 + signal : exit_code; }
  bool Success() const { return signal == 0 && exit_code == 0; }
};

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is shown to the program
  std::string path;               // the executable; argv[0] (searched in PATH) if empty
  std::optional<std::vector<std::string>> env;  // nullopt: inherit the caller's environment
  int stdin_fd = -1;                            // -1: inherit
  int stdout_fd = -1;
  int stderr_fd = -1;
  std::string cwd;  // empty: inherit
};

class ChildProcess {
 public:
  static Result<ChildProcess> Spawn(const SpawnOptions& options);
  // Adopt takes ownership of an existing child (pid) of this process.
  static Result<ChildProcess> Adopt(pid_t pid);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }

  // Wait reaps the child. With a timeout it fails with kDeadlineExceeded if the child is still
  // running when it expires (the child is left running).
  Result<ExitStatus> Wait(std::optional<int> timeout_ms = std::nullopt);
  Status Signal(int sig);
  // Release gives up ownership: the child is neither killed nor reaped.
  pid_t Release();

 private:
  ChildProcess(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}

  pid_t pid_ = -1;
  UniqueFd pidfd_;
};

// What a program printed on its stdout, and how it ended.
struct ProgramOutput {
  ExitStatus status;
  std::string out;
};

// RunForOutput runs a program with its stdout on a pipe (options.stdout_fd is replaced), reads the
// pipe until every process holding it has closed it, then reaps the program. A program that
// leaves a detached child holding its stdout is waited for until that child closes it too.
Result<ProgramOutput> RunForOutput(SpawnOptions options);

// ExitStatusFromWait decodes a waitpid() status or waitid() siginfo code/status pair.
ExitStatus ExitStatusFromWaitStatus(int wait_status);

}  // namespace berth
