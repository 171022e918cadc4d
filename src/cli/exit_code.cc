#include "cli/exit_code.h"

namespace berth::cli {

int ExitCode(const Error&) { return kExitFailure; }

int RunExitCode(const Error& error) {
  const std::string& m = error.message();
  if (m.find("executable file not found") != std::string::npos ||
      m.find("no such file or directory") != std::string::npos) {
    return kExitNotFound;
  }
  if (m.find("permission denied") != std::string::npos ||
      m.find("is a directory") != std::string::npos) {
    return kExitCannotInvoke;
  }
  return kExitRunFailure;
}

}  // namespace berth::cli
