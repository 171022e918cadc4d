// ApplyMountOp makes one planned mount (plan.h) inside a rootfs. The mount is built detached
// (fsopen/fsmount or open_tree), given its attributes, and only then attached onto a descriptor of
// its destination resolved inside the rootfs, so it can neither land outside the rootfs nor be
// visible for a moment with the wrong flags. Single-threaded use; no exceptions.
#pragma once

#include "base/result.h"
#include "runtime/mount/plan.h"

namespace berth::runtime::mount {

// ApplyMountOp makes op inside the rootfs open as root_fd, creating its destination (a directory,
// or an empty file for a bind of anything but a directory). Errors read
// "mount proc on /proc: fsmount: Operation not permitted".
Status ApplyMountOp(int root_fd, const MountOp& op);

}  // namespace berth::runtime::mount
