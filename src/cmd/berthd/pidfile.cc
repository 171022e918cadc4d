#include "cmd/berthd/pidfile.h"

#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/file.h"
#include "base/strings.h"

namespace berth::cmd {

Result<PidFile> PidFile::Create(const std::string& path) {
  if (Result<std::string> old = ReadFile(path)) {
    Result<int64_t> pid = ParseInt64(TrimSpace(*old));
    if (pid && *pid > 0 && *pid != getpid() && kill(static_cast<pid_t>(*pid), 0) == 0) {
      return Fail(ErrorKind::kAlreadyExists,
                  fmt::format("pid file found, ensure berthd is not running or delete {}", path));
    }
  }
  BERTH_TRY(WriteFileAtomic(path, fmt::format("{}\n", getpid()), 0644, Lifetime::kUntilReboot));
  return PidFile(path);
}

PidFile::~PidFile() {
  if (!path_.empty()) unlink(path_.c_str());
}

}  // namespace berth::cmd
