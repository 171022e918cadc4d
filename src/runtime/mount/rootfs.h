// Applies a RootfsPlan (plan.h) in the container's init process, after it entered its new mount
// namespace and before it execs: PrepareRootfs, then (createContainer hooks run here) PivotRoot,
// then MountConsole if there is a terminal, then FinishRootfs. Every path in the container is
// resolved inside the rootfs (sys::OpenInRoot), so symlinks in the image cannot redirect a mount,
// device node or created file to the host. Single-threaded use only; no exceptions, no logging.
#pragma once

#include <string>

#include "base/result.h"
#include "runtime/mount/plan.h"

namespace berth::runtime::mount {

// PrepareRootfs sets the propagation of / (plan.propagation), makes the rootfs a mount of its own
// (bound onto itself, its parent mount private so pivot_root accepts it), makes every mount in
// order, then creates the devices and /dev symlinks. With plan.chroot, / and the parent mount are
// not touched and the propagation is set on the rootfs's bind instead.
Status PrepareRootfs(const RootfsPlan& plan);

// PivotRoot makes the rootfs the root: pivot_root(".", ".") and a lazy unmount of the old root
// (or, with plan.no_pivot, a move of the rootfs onto / and chroot; with plan.chroot, a chroot
// alone), then chdir("/").
Status PivotRoot(const RootfsPlan& plan);

// FinishRootfs, after PivotRoot: read-only binds over readonlyPaths (keeping the other flags of the
// mount below), masks over maskedPaths (/dev/null over files, an empty read-only tmpfs over
// directories; missing paths are skipped), / read-only if root.readonly, and rootfsPropagation
// applied to / again.
Status FinishRootfs(const RootfsPlan& plan);

// MountConsole binds the terminal pty_slave_path (a /dev/pts/N inside the container) onto
// /dev/console, creating it. Call after PivotRoot and while /dev is writable.
Status MountConsole(const std::string& pty_slave_path);

}  // namespace berth::runtime::mount
