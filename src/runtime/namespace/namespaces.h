// Namespace plan of one container: which namespaces are new, which are joined by path, and how the
// init process must be created to honour that. Pure (no I/O); the process/ code applies it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "oci/runtime_spec.h"

namespace berth::runtime {

struct NamespaceJoin {
  std::string type;  // spec name: "network", "user", ...
  uint64_t flag = 0;
  std::string path;
};

struct NamespacePlan {
  uint64_t new_flags = 0;            // CLONE_NEW* to create, CLONE_NEWCGROUP included
  std::vector<NamespaceJoin> joins;  // in the order they must be entered (user first)
  std::vector<oci::IdMapping> uid_mappings;
  std::vector<oci::IdMapping> gid_mappings;
  std::map<std::string, oci::TimeOffset> time_offsets;

  bool Creates(uint64_t flag) const { return (new_flags & flag) != 0; }
  bool Joins(uint64_t flag) const;
  // The namespaces handled by clone3 flags in one step. A new cgroup namespace is unshared later,
  // by the init process itself, once the parent has moved it into its cgroup (so that the cgroup
  // namespace is rooted at the container's cgroup, not the runtime's).
  uint64_t CloneFlags() const;
  // Namespaces given by path are entered by an intermediate process, which then clones the init
  // process: joining a user, pid or time namespace, or creating a time namespace, only takes effect
  // for children of the process that does it, and the init process is cloned with the new ones on
  // top of the joined ones.
  bool NeedsIntermediate() const;
};

Result<NamespacePlan> PlanNamespaces(const oci::Spec& spec);

// Renders id mappings as /proc/PID/uid_map wants them: "container host size\n" per line.
std::string FormatIdMap(const std::vector<oci::IdMapping>& mappings);
// Renders time offsets as /proc/self/timens_offsets wants them.
std::string FormatTimeOffsets(const std::map<std::string, oci::TimeOffset>& offsets);

}  // namespace berth::runtime
