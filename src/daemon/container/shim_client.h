// The daemon's side of berth-shim (src/shim/README.md is the contract; shim/protocol.h the wire
// format, shim/exit_record.h the exit it records): spawning a shim for a container and reading
// its ready line, requests on its socket, and finding a live shim again. Thread-safe (no shared
// state); calls block.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "shim/protocol.h"

namespace berth::daemon::container {

struct ShimLaunch {
  std::string shim_path;  // the berth-shim binary
  std::string id;
  std::string bundle;
  std::string runtime_root;
  // An OCI runtime binary and its arguments (runc's command line); empty: the shim's built-in one.
  std::vector<std::string> runtime_command;
  std::string state_dir;
  std::string seccomp_cache;  // compiled seccomp programs shared by the shims; empty: none
  bool tty = false;
  bool open_stdin = false;
  bool stdin_once = false;
  std::string log_path;  // "" for no log
  int64_t log_max_size = 0;
  int log_max_file = 1;
  bool debug = false;
};

// SpawnShim runs the shim, which creates the container and detaches; returns the container's
// init pid from the ready line. The shim's error line becomes the error (kInternal, or kNotFound
// / kPermissionDenied when the runtime could not find or run the command).
Result<pid_t> SpawnShim(const ShimLaunch& launch);

// ShimRequest connects to the shim's socket, sends request and reads the answer line; an
// {"error"} answer is an error carrying its message. The connection is returned for the ops that
// stream (attach, exec); reply receives the answer's fields.
Result<UniqueFd> ShimRequest(const std::string& state_dir, const shim::Request& request,
                             nlohmann::json* reply = nullptr);

// ShimPid reads state_dir/shim.pid and opens a pidfd on it, checking the process is a shim (a
// pid reused by another program is not). nullopt when there is no live shim.
std::optional<std::pair<pid_t, UniqueFd>> OpenShim(const std::string& state_dir);

}  // namespace berth::daemon::container
