// The container side of creation: code that runs in the cloned init process (and in the process of
// `exec`) between clone and execve. Everything it needs is prepared by the runtime before the clone
// and reaches it in the copied address space; it reports each failure to the runtime over the sync
// socket and exits. The process is single-threaded, so the few allocations here are safe.
#pragma once

#include <optional>
#include <string>

#include "oci/runtime_spec.h"
#include "runtime/capability/capabilities.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/mount/rootfs.h"
#include "runtime/namespace/namespaces.h"
#include "runtime/seccomp/seccomp.h"

namespace berth::runtime {

// What a container process needs to become the configured process and exec it.
struct ProcessConfig {
  const oci::Process* process = nullptr;
  CapabilitySets caps;
  std::optional<seccomp::Program> seccomp;
  int preserve_fds = 0;
  int sync_fd = -1;
};

struct InitConfig {
  std::string id;
  std::string bundle;
  const oci::Spec* spec = nullptr;
  NamespacePlan namespaces;
  mount::RootfsPlan rootfs;
  ProcessConfig proc;
  int fifo_fd = -1;  // create: block reading it until `start`; -1: wait for kStart on the socket
  // The v1 directories the init process joins itself (Cgroup::JoinSelf); null: none.
  const cgroup::Cgroup::Entry* cgroup = nullptr;
};

// RunInit is the body of a container's init process. It never returns.
[[noreturn]] void RunInit(const InitConfig& config) noexcept;

// ExecProcess finishes a process that already joined the container's namespaces and cgroup (exec):
// console, working directory, credentials, capabilities, seccomp, then execve. Never returns.
[[noreturn]] void ExecProcess(const ProcessConfig& config) noexcept;

}  // namespace berth::runtime
