// ContainerRuntime: how a shim drives its one container (internal to the shim library). The
// built-in runtime is the runtime library, in-process: the shim clones the container itself. An
// OCI runtime binary (--runtime PATH, daemon.json's "runtimes") is run with runc's command line
// (create, start, exec, kill, pause, resume, ps, delete) instead: the processes it creates are
// re-parented to the shim, its subreaper, which then reaps and watches them as its own. Both
// give the processes their stdio from the shim's 0, 1 and 2 (WithChildStdio) and a terminal's
// master back as MonitoredProcess::console. Single-threaded, as the shim is.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "oci/runtime_spec.h"
#include "runtime/container.h"
#include "shim/shim.h"

namespace berth::shim {

class ContainerRuntime {
 public:
  virtual ~ContainerRuntime() = default;
  // Create makes the container of the shim's bundle, its init waiting to be started.
  virtual Result<runtime::MonitoredProcess> Create() = 0;
  virtual Status Start(runtime::MonitoredProcess& init) = 0;
  virtual Result<runtime::MonitoredProcess> Exec(const oci::Process& process) = 0;
  virtual Status Kill(int signal, bool all) = 0;
  virtual Status Pause() = 0;
  virtual Status Resume() = 0;
  virtual Result<std::vector<pid_t>> Pids() = 0;
  // OomKilled: whether the OOM killer killed a process of the container (before Delete); an
  // OCI runtime binary does not say, so it reads false.
  virtual Result<bool> OomKilled() = 0;
  virtual Status Delete() = 0;
};

// MakeContainerRuntime is the runtime options name: the library, or options.runtime_command.
std::unique_ptr<ContainerRuntime> MakeContainerRuntime(const ShimOptions& options);

}  // namespace berth::shim
