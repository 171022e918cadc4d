#include "runtime/namespace/namespaces.h"

#include <sched.h>

#include <algorithm>

#include <fmt/format.h>

#include "oci/linux_names.h"

namespace berth::runtime {

bool NamespacePlan::Joins(uint64_t flag) const {
  for (const auto& j : joins) {
    if (j.flag == flag) return true;
  }
  return false;
}

uint64_t NamespacePlan::CloneFlags() const { return new_flags & ~uint64_t{CLONE_NEWCGROUP}; }

bool NamespacePlan::NeedsIntermediate() const { return !joins.empty() || Creates(CLONE_NEWTIME); }

Result<NamespacePlan> PlanNamespaces(const oci::Spec& spec) {
  NamespacePlan plan;
  if (!spec.linux) return plan;
  const oci::Linux& linux = *spec.linux;
  for (size_t i = 0; i < linux.namespaces.size(); ++i) {
    const oci::Namespace& ns = linux.namespaces[i];
    std::optional<uint64_t> flag = oci::NamespaceCloneFlag(ns.type);
    if (!flag) {
      return Fail(
          ErrorKind::kInvalidArgument,
          fmt::format("linux.namespaces[{}].type: unknown namespace type \"{}\"", i, ns.type));
    }
    if (ns.path.empty()) {
      plan.new_flags |= *flag;
    } else {
      plan.joins.push_back({ns.type, *flag, ns.path});
    }
  }
  // The user namespace is entered first so that the others are entered with its privileges.
  std::stable_partition(plan.joins.begin(), plan.joins.end(),
                        [](const NamespaceJoin& j) { return j.flag == CLONE_NEWUSER; });
  plan.uid_mappings = linux.uid_mappings;
  plan.gid_mappings = linux.gid_mappings;
  plan.time_offsets = linux.time_offsets;
  return plan;
}

std::string FormatIdMap(const std::vector<oci::IdMapping>& mappings) {
  std::string out;
  for (const auto& m : mappings) {
    out += fmt::format("{} {} {}\n", m.container_id, m.host_id, m.size);
  }
  return out;
}

std::string FormatTimeOffsets(const std::map<std::string, oci::TimeOffset>& offsets) {
  std::string out;
  for (const auto& [clock, offset] : offsets) {
    out += fmt::format("{} {} {}\n", clock, offset.secs, offset.nanosecs);
  }
  return out;
}

}  // namespace berth::runtime
