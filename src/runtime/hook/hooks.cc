#include "runtime/hook/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>

#include <fmt/format.h>

#include "base/child_process.h"
#include "base/unique_fd.h"

namespace berth::runtime {
namespace {

constexpr size_t kMaxOutput = 64 * 1024;

// CollectUntilExit keeps the hook's output pipe drained (so a chatty hook never blocks) until the
// hook exits or the deadline passes; it returns false on timeout.
bool CollectUntilExit(int out_fd, int pidfd, std::optional<int> timeout_ms, std::string* output) {
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms.value_or(0));
  bool out_open = true;
  while (true) {
    int wait_ms = -1;
    if (timeout_ms) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      wait_ms = static_cast<int>(left.count());
    }
    pollfd fds[2] = {{pidfd, POLLIN, 0}, {out_open ? out_fd : -1, POLLIN, 0}};
    if (poll(fds, 2, wait_ms) < 0 && errno != EINTR) return true;
    if (fds[1].revents) {
      char buf[4096];
      ssize_t n = read(out_fd, buf, sizeof(buf));
      if (n <= 0) {
        out_open = false;
      } else if (output->size() < kMaxOutput) {
        output->append(buf, static_cast<size_t>(n));
      }
    }
    if (fds[0].revents) return true;
  }
}

Status RunHook(const oci::Hook& hook, const std::string& state_json) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) < 0) return Fail(ErrnoNow("pipe"));
  UniqueFd in_r(in[0]), in_w(in[1]);
  if (pipe2(out, O_CLOEXEC) < 0) return Fail(ErrnoNow("pipe"));
  UniqueFd out_r(out[0]), out_w(out[1]);

  SpawnOptions options;
  options.path = hook.path;
  options.argv = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  options.env = hook.env;
  options.stdin_fd = in_r.get();
  options.stdout_fd = out_w.get();
  options.stderr_fd = out_w.get();
  BERTH_ASSIGN_OR_RETURN(ChildProcess child, ChildProcess::Spawn(options));
  in_r.Reset();
  out_w.Reset();
  // The state is small (well under a pipe's capacity), so writing cannot block on a hook that
  // does not read its stdin.
  (void)!write(in_w.get(), state_json.data(), state_json.size());
  in_w.Reset();

  std::optional<int> timeout_ms;
  if (hook.timeout) timeout_ms = *hook.timeout * 1000;
  std::string output;
  if (!CollectUntilExit(out_r.get(), child.pidfd(), timeout_ms, &output)) {
    return Fail(ErrorKind::kDeadlineExceeded, fmt::format("timed out after {} s", *hook.timeout));
  }
  BERTH_ASSIGN_OR_RETURN(ExitStatus status, child.Wait());
  if (!status.Success()) {
    std::string why = status.signal ? fmt::format("killed by signal {}", status.signal)
                                    : fmt::format("exit status {}", status.exit_code);
    if (!output.empty()) {
      while (!output.empty() && output.back() == '\n') output.pop_back();
      why += ": " + output;
    }
    return Fail(ErrorKind::kFailedPrecondition, why);
  }
  return Ok();
}

}  // namespace

Status RunHooks(const std::vector<oci::Hook>& hooks, std::string_view kind,
                const std::string& state_json) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    BERTH_TRY(Annotate(RunHook(hooks[i], state_json),
                       fmt::format("run {} hook {} ({})", kind, i, hooks[i].path)));
  }
  return Ok();
}

}  // namespace berth::runtime
