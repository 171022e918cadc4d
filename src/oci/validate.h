// Semantic validation of a decoded config.json before anything is created: required fields, names
// known to Linux (capabilities, rlimits, namespaces, seccomp vocabulary), paths that must be
// absolute, and combinations the kernel or the spec forbid (sysctls outside the container's
// namespaces, mappings without a user namespace, swap below the memory limit, ...). Pure and
// thread-safe: nothing is read from the host, so whether a joined namespace is the host's own is
// left to the runtime.
#pragma once

#include "base/result.h"
#include "oci/runtime_spec.h"

namespace berth::oci {

// ValidateSpec returns the first problem found as kInvalidArgument, naming the field by its JSON
// path: `config.json: linux.namespaces[1].type: unknown namespace type "foo"`.
// (berth::Status, not the container status oci::Status.)
[[nodiscard]] berth::Status ValidateSpec(const Spec& spec);

}  // namespace berth::oci
