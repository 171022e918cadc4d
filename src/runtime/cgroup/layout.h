// Which cgroup hierarchies this host mounts (v1, v2 or both, "hybrid") and where this process sits
// in each, parsed from /proc/self/mountinfo and /proc/self/cgroup. ParseLayout and the path helpers
// are pure; DetectLayout reads the live files. Plain values, safe to share once built.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::runtime::cgroup {

enum class Mode { kV1, kV2, kHybrid };

std::string_view ModeName(Mode mode);  // "v1", "v2", "hybrid"
Result<Mode> ParseMode(std::string_view name);

// One mounted cgroup hierarchy.
struct Hierarchy {
  std::string mount_point;  // e.g. /sys/fs/cgroup/memory or /sys/fs/cgroup/unified
  bool v2 = false;
  // v1: the controllers of the hierarchy (cpu, cpuacct, memory, name=systemd, ...) in mount
  // option order; v2: the controllers listed in the root's cgroup.controllers.
  std::vector<std::string> controllers;
  // This process's cgroup in the hierarchy, as /proc/self/cgroup names it (e.g. /process_api/abc).
  std::string own_path = "/";
  // The cgroup shown at mount_point (mountinfo's root field): "/" for a full mount, a sub-path
  // when a cgroup directory was bind-mounted or the mount was made in another cgroup namespace.
  std::string root = "/";

  bool Has(std::string_view controller) const;
};

struct Layout {
  Mode mode = Mode::kV2;
  // Every hierarchy a container is placed in: the v1 ones (named ones such as name=systemd
  // included) in mountinfo order, then the unified one on kV2 and kHybrid.
  std::vector<Hierarchy> hierarchies;
};

// ParseLayout reads the text of /proc/self/mountinfo, /proc/self/cgroup and the v2 root's
// cgroup.controllers (may be empty). The mode is kV2 when a cgroup2 mount sits at /sys/fs/cgroup
// or no v1 controller is mounted, kHybrid when v1 controllers and a cgroup2 mount both exist, kV1
// otherwise. Fails with kNotFound when no cgroup hierarchy is mounted.
Result<Layout> ParseLayout(std::string_view mountinfo, std::string_view proc_self_cgroup,
                           std::string_view v2_controllers);
// DetectLayout parses this process's real files.
Result<Layout> DetectLayout();

// OwnDir is the directory of this process's cgroup under the hierarchy's mount point: own_path
// with the mount's root taken off. Fails when own_path is not under the mounted root (the cgroup
// is not visible through this mount).
Result<std::string> OwnDir(const Hierarchy& hierarchy);

// ContainerDir is the directory for a container's cgroups_path in the hierarchy. A relative path
// goes under this process's own cgroup (as runc places it); an absolute path names a cgroup from
// the hierarchy root, which the mount shows at mount_point (with the mount root taken off when
// the path lies under it). Empty paths and "." or ".." components are refused.
Result<std::string> ContainerDir(const Hierarchy& hierarchy, std::string_view cgroups_path);

}  // namespace berth::runtime::cgroup
