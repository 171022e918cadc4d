#include "daemon/container/shim_client.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "base/child_process.h"
#include "base/file.h"
#include "base/strings.h"
#include "sys/fs.h"
#include "sys/unix_socket.h"

namespace berth::daemon::container {
namespace {

using nlohmann::json;

Result<json> ParseLine(std::string_view line, std::string_view what) {
  json value = json::parse(line, nullptr, false);
  if (value.is_discarded() || !value.is_object()) {
    return Fail(ErrorKind::kInternal,
                fmt::format("{}: malformed answer from the shim: {}", what, std::string(line)));
  }
  return value;
}

// ReadLine reads one "\n"-terminated line a byte at a time, so that the bytes after it (a
// stream's frames) stay in the socket.
Result<std::string> ReadLine(int fd, std::string_view what) {
  std::string line;
  char c;
  while (true) {
    ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrnoNow(fmt::format("{}: read from the shim", what)));
    if (n == 0 || c == '\n') break;
    line.push_back(c);
    if (line.size() > (1 << 20)) {
      return Fail(ErrorKind::kInternal, fmt::format("{}: the shim's answer is too long", what));
    }
  }
  if (line.empty()) {
    return Fail(ErrorKind::kUnavailable,
                fmt::format("{}: the shim closed without answering", what));
  }
  return line;
}

Error ShimError(const json& answer, std::string_view what) {
  std::string message = answer.value("error", std::string("unknown error"));
  return std::move(Error(ErrorKind::kInternal, message).Wrap(what));
}

}  // namespace

Result<pid_t> SpawnShim(const ShimLaunch& l) {
  const std::string what = "start shim for " + l.id;
  BERTH_ASSIGN_OR_RETURN(UniqueFd null, sys::Open("/dev/null", O_RDWR | O_CLOEXEC));
  std::vector<std::string> argv = {"berth-shim",   "--id",        l.id,
                                   "--bundle",     l.bundle,      "--runtime-root",
                                   l.runtime_root, "--state-dir", l.state_dir};
  if (!l.seccomp_cache.empty()) argv.insert(argv.end(), {"--seccomp-cache", l.seccomp_cache});
  if (!l.runtime_command.empty()) {
    argv.insert(argv.end(), {"--runtime", l.runtime_command.front()});
    for (size_t i = 1; i < l.runtime_command.size(); ++i) {
      argv.insert(argv.end(), {"--runtime-arg", l.runtime_command[i]});
    }
  }
  if (l.tty) argv.push_back("--tty");
  if (l.open_stdin) argv.push_back("--stdin");
  if (l.stdin_once) argv.push_back("--stdin-once");
  if (!l.log_path.empty()) {
    argv.insert(argv.end(),
                {"--log-path", l.log_path, "--log-max-size", std::to_string(l.log_max_size),
                 "--log-max-file", std::to_string(l.log_max_file)});
  }
  if (l.debug) argv.push_back("--debug");
  // The shim forks and its first process exits at once; the ready line comes from the detached
  // one, which then closes its stdout.
  BERTH_ASSIGN_OR_RETURN(
      ProgramOutput output,
      Annotate(
          RunForOutput(
              {.argv = argv, .path = l.shim_path, .stdin_fd = null.get(), .stderr_fd = null.get()}),
          what));
  const ExitStatus& status = output.status;
  const std::string line(TrimSpace(output.out));
  if (line.empty()) {
    return Fail(ErrorKind::kInternal, fmt::format("{}: the shim exited ({}) without reporting",
                                                  what, status.ShellCode()));
  }
  BERTH_ASSIGN_OR_RETURN(json ready, ParseLine(line, what));
  if (ready.contains("error")) return Fail(ShimError(ready, what));
  if (!ready.contains("pid") || !ready["pid"].is_number_integer()) {
    return Fail(ErrorKind::kInternal, what + ": the shim's ready line has no pid: " + line);
  }
  return ready["pid"].get<pid_t>();
}

Result<UniqueFd> ShimRequest(const std::string& state_dir, const shim::Request& request,
                             json* reply) {
  const std::string line = shim::EncodeRequest(request);
  const std::string what = "shim request " + std::string(TrimSpace(line));
  Result<UniqueFd> connected = sys::ConnectUnix(state_dir + "/shim.sock");
  if (!connected) {
    Error error = std::move(connected).error().Wrap(what);
    // No socket, or no shim behind it: the shim is gone.
    if (error.sys_errno() == ENOENT || error.sys_errno() == ECONNREFUSED) {
      return Fail(Error(ErrorKind::kUnavailable, error.message(), error.sys_errno()));
    }
    return Fail(std::move(error));
  }
  UniqueFd sock = std::move(*connected);
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = send(sock.get(), line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrnoNow(what + ": send"));
    done += static_cast<size_t>(n);
  }
  BERTH_ASSIGN_OR_RETURN(std::string answer_line, ReadLine(sock.get(), what));
  Result<json> answer = shim::ParseAnswer(answer_line);
  if (!answer) {
    Error error = std::move(answer).error();
    ErrorKind kind = error.kind() == ErrorKind::kUnknown ? ErrorKind::kInternal : error.kind();
    return Fail(Error(kind, error.message()));
  }
  if (reply) *reply = std::move(*answer);
  return sock;
}

std::optional<std::pair<pid_t, UniqueFd>> OpenShim(const std::string& state_dir) {
  Result<std::string> text = ReadFile(state_dir + "/shim.pid");
  if (!text) return std::nullopt;
  Result<uint64_t> pid = ParseUint64(TrimSpace(*text));
  if (!pid || *pid == 0 || *pid > INT32_MAX) return std::nullopt;
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, static_cast<pid_t>(*pid), 0)));
  if (!pidfd) return std::nullopt;
  // The pidfd pins the process: if its command line names the shim now, the pidfd is the shim's.
  Result<std::string> cmdline = ReadFile(fmt::format("/proc/{}/cmdline", *pid));
  if (!cmdline || cmdline->find("berth-shim") == std::string::npos) return std::nullopt;
  return std::make_pair(static_cast<pid_t>(*pid), std::move(pidfd));
}

}  // namespace berth::daemon::container
