// The default config.json that `berth-runtime spec` writes, modelled on `runc spec`: a `sh` with a
// terminal, a read-only "rootfs", the standard /proc /dev /sys mounts, a small capability set and
// masked /proc entries. Pure apart from reading the caller's euid/egid for the rootless mappings;
// thread-safe.
#pragma once

#include "oci/runtime_spec.h"

namespace berth::oci {

// DefaultSpec returns the default spec. With rootless, it is changed to run as an unprivileged
// user: a user namespace mapping container root to the caller's euid/egid (size 1), no network or
// cgroup namespace, /sys bind-mounted from the host, no uid=/gid= mount options and no cgroup
// resources.
Spec DefaultSpec(bool rootless);

}  // namespace berth::oci
