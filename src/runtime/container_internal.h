// Pieces shared by the lifecycle files of the runtime library (create.cc, lifecycle.cc, exec.cc);
// not part of its interface.
#pragma once

#include <signal.h>

#include <string>

#include "base/child_process.h"
#include "base/result.h"
#include "base/unique_fd.h"
#include "oci/runtime_spec.h"
#include "runtime/capability/capabilities.h"
#include "runtime/container.h"
#include "runtime/process/launch.h"
#include "runtime/seccomp/seccomp.h"
#include "runtime/state/state_store.h"

namespace berth::runtime {

struct CreatedContainer {
  ContainerRecord record;
  oci::Spec spec;
  Launched launched;
  UniqueFd console;  // the pty master when there is a terminal and no console socket
};

// CreateContainer does create; with wait_on_fifo false the init process waits for kStart on the
// sync socket instead (run).
Result<CreatedContainer> CreateContainer(const RuntimeOptions& rt, const CreateOptions& options,
                                         bool wait_on_fifo);

struct SpawnedExec {
  pid_t pid = 0;
  UniqueFd pidfd;
  UniqueFd console;  // the pty master when the process has a terminal and no console socket
};

// SpawnExec starts a process in the running container id and returns once it has exec'd; the
// caller owns (and reaps) it. The process is `given`, or built from the options and the
// container's config when given is null. The new process inherits the caller's stdio.
Result<SpawnedExec> SpawnExec(const RuntimeOptions& rt, const std::string& id,
                              const ExecOptions& options, const oci::Process* given);

// ResolveCgroupsPath applies the default (a path named after the id, under the runtime's own
// cgroup) and, with --systemd-cgroup, turns "slice:prefix:name" into a cgroupfs path.
Result<std::string> ResolveCgroupsPath(const RuntimeOptions& rt, const std::string& cgroups_path,
                                       const std::string& id);
std::string OwnerName();
std::string HookStateJson(const ContainerRecord& record, pid_t pid, oci::Status status);
Result<CapabilitySets> PlanProcessCapabilities(const oci::Process& process);
// BuildSeccomp compiles linux.seccomp, or takes it from rt.seccomp_cache when that is set.
Result<seccomp::Program> BuildSeccomp(const RuntimeOptions& rt, const oci::Seccomp& seccomp);
// Poststart hook failures are logged, not returned (runtime-spec: the lifecycle continues).
void RunPoststartHooks(const oci::Spec& spec, const ContainerRecord& record, pid_t pid);
void RunPoststartHooks(const std::vector<oci::Hook>& hooks, const std::string& state);
Result<oci::Spec> LoadSpec(const StateStore& store, const std::string& id);

sigset_t ForwardedSignals();
// WaitForeground waits for a child of this process, proxying its terminal when console is valid and
// forwarding the signals in `forwarded` (blocked by the caller) to it otherwise.
Result<ExitStatus> WaitForeground(pid_t pid, int pidfd, int console, const sigset_t& forwarded);

}  // namespace berth::runtime
