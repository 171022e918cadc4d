// One container's cgroup: a directory in every hierarchy of a Layout (v1, v2 or hybrid), with
// the resource limits written into it, its processes, freezing and removal. The object only
// remembers the directories; Save/Load carry them through the runtime's state.json. Movable, not
// thread-safe. Errors name the file or directory and the syscall; kFailedPrecondition means the
// host lacks a needed controller, kDeadlineExceeded that freezing did not settle.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "oci/runtime_spec.h"
#include "runtime/cgroup/layout.h"
#include "runtime/cgroup/plan.h"

namespace berth::runtime::cgroup {

class Cgroup {
 public:
  // Create makes (or opens, if they exist) the container's directories: ContainerDir of
  // cgroups_path in each hierarchy of the layout. In a v1 cpuset hierarchy each new directory
  // gets its parent's cpuset.cpus and cpuset.mems (a new cpuset starts empty and takes no
  // tasks). In the unified hierarchy the controllers the container may use there (all on v2;
  // those without a v1 hierarchy on hybrid) are enabled in cgroup.subtree_control of every
  // ancestor, where the kernel allows it. Directories made by a failed Create are removed.
  static Result<Cgroup> Create(const Layout& layout, std::string_view cgroups_path);
  // Load restores a Cgroup from Save()'s JSON.
  static Result<Cgroup> Load(std::string_view saved);
  std::string Save() const;

  // Apply writes the limits (PlanV1, PlanV2 or PlanHybrid by mode); on v2 device rules are
  // enforced by a BPF program attached to the directory, replacing an earlier one.
  Status Apply(const oci::Resources& resources);
  // AddToUnified moves pid (the whole thread group) into the unified directory, for a process
  // not cloned into it; nothing without one. Its v1 directories a process joins itself (Entry).
  Status AddToUnified(pid_t pid);

  // Moving another process by pid takes the kernel's global threadgroup lock for writing, which
  // first waits for an RCU grace period: milliseconds per container start. A new process enters
  // without it: clone3 with CLONE_INTO_CGROUP starts it in its unified directory, and a thread
  // that moves itself (writes "0" to a v1 tasks file) takes no global lock (cgroup-v1.rst,
  // "tasks"). A process just cloned has one thread, so moving the thread moves the process.
  struct Entry {
    struct TasksFile {
      UniqueFd fd;
      std::string path;
    };
    std::vector<TasksFile> v1_tasks;  // the tasks file of every v1 directory, open for writing
    UniqueFd v2_dir;                  // the unified directory, for CLONE_INTO_CGROUP
  };
  // OpenEntry opens the files of Entry, before the clone.
  Result<Entry> OpenEntry() const;
  // JoinSelf moves the calling thread into every v1 directory of entry. It returns nullptr, or
  // the path of the tasks file whose write failed with errno set. Safe between clone and exec.
  static const char* JoinSelf(const Entry& entry) noexcept;

  // Freeze stops every process: freezer.state FROZEN on v1 (hybrid included, where the v1
  // freezer is mounted), cgroup.freeze 1 on v2; it waits until the kernel reports the cgroup
  // frozen and thaws it again if that does not happen in time.
  Status Freeze();
  Status Thaw();
  Result<bool> Frozen();

  // Pids lists every process in the container's cgroup and the cgroups below it.
  Result<std::vector<pid_t>> Pids();
  // KillAll sends signal to every process, with the cgroup frozen meanwhile (when a freezer is
  // available) so that no process forks past it.
  Status KillAll(int signal);
  // Destroy removes the directories, the cgroups below them first, retrying briefly while the
  // kernel still counts exiting processes (EBUSY). Directories already gone are fine.
  Status Destroy();

  Mode mode() const { return mode_; }
  // V2Path is the container's directory in the unified hierarchy, if the layout has one.
  std::optional<std::string> V2Path() const;
  // V1Paths lists (controller list as mountinfo shows it, e.g. "cpu,cpuacct", directory).
  std::vector<std::pair<std::string, std::string>> V1Paths() const;

 private:
  struct Dir {
    bool v2 = false;
    // v1: the hierarchy's controllers; v2: the controllers the unified hierarchy offers.
    std::vector<std::string> controllers;
    std::string path;
  };

  Cgroup(Mode mode, std::vector<Dir> dirs) : mode_(mode), dirs_(std::move(dirs)) {}

  const Dir* V1DirWith(std::string_view controller) const;
  const Dir* V2Dir() const;
  Status Write(const std::vector<std::pair<const Dir*, FileWrite>>& writes);
  Status ApplyV1(const std::vector<FileWrite>& plan);

  Mode mode_;
  std::vector<Dir> dirs_;
};

}  // namespace berth::runtime::cgroup
