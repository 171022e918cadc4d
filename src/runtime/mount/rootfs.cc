#include "runtime/mount/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>

#include "base/unique_fd.h"
#include "runtime/mount/mount_op.h"
#include "sys/fs.h"
#include "sys/mount.h"

namespace berth::runtime::mount {
namespace {

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

std::string PropagationName(unsigned long flags) {
  std::string name = (flags & MS_REC) ? "r" : "";
  if (flags & MS_SHARED) return name + "shared";
  if (flags & MS_SLAVE) return name + "slave";
  if (flags & MS_UNBINDABLE) return name + "unbindable";
  return name + "private";
}

// MakeParentPrivate makes the mount that holds path private. pivot_root refuses a new root whose
// parent mount is shared, and a bind from a private mount is not shared either.
Status MakeParentPrivate(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, sys::Open(path, O_PATH | O_DIRECTORY));
  BERTH_ASSIGN_OR_RETURN(uint64_t id, sys::MountIdOf(fd.get()));
  while (true) {
    // ".." of a mount's root leads into the mount below it; "/" is its own parent.
    BERTH_ASSIGN_OR_RETURN(UniqueFd parent, sys::OpenAt(fd.get(), "..", O_PATH | O_DIRECTORY));
    BERTH_ASSIGN_OR_RETURN(uint64_t parent_id, sys::MountIdOf(parent.get()));
    BERTH_ASSIGN_OR_RETURN(struct stat here, sys::Fstat(fd.get()));
    BERTH_ASSIGN_OR_RETURN(struct stat up, sys::Fstat(parent.get()));
    if (parent_id != id || (here.st_dev == up.st_dev && here.st_ino == up.st_ino)) break;
    fd = std::move(parent);
  }
  return sys::MountSetattr(fd.get(), "", AT_EMPTY_PATH, {.propagation = MS_PRIVATE});
}

Status BindHostNode(int root_fd, const DeviceNode& dev) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd target, sys::CreateFileInRoot(root_fd, dev.path, 0644));
  BERTH_ASSIGN_OR_RETURN(UniqueFd node, sys::OpenTree(AT_FDCWD, dev.path, OPEN_TREE_CLONE));
  return sys::MoveMount(node.get(), "", target.get(), "",
                        MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

// MakeNode creates the node with mknod; an existing node of that name is kept as it is.
Status MakeNode(int root_fd, const DeviceNode& dev) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd parent, sys::MkdirAllInRoot(root_fd, Dirname(dev.path), 0755));
  std::string name = Basename(dev.path);
  Status made =
      sys::MknodAt(parent.get(), name, dev.type | dev.mode, makedev(dev.major, dev.minor));
  if (!made && made.error().sys_errno() == EEXIST) return Ok();
  BERTH_TRY(made);
  BERTH_TRY(sys::FchownAt(parent.get(), name, dev.uid, dev.gid, AT_SYMLINK_NOFOLLOW));
  return sys::FchmodAt(parent.get(), name, dev.mode, AT_SYMLINK_NOFOLLOW);
}

// CreateDevice makes a device node, or binds the host's when mknod is not allowed (in a user
// namespace, or where the kernel refuses it with EPERM).
Status CreateDevice(int root_fd, const DeviceNode& dev) {
  if (!dev.bind) {
    Status made = MakeNode(root_fd, dev);
    if (made || made.error().sys_errno() != EPERM || dev.type == S_IFIFO) {
      return Annotate(std::move(made), "create device " + dev.path);
    }
  }
  return Annotate(BindHostNode(root_fd, dev), "bind device " + dev.path + " from the host");
}

Status CreateSymlink(int root_fd, const DevSymlink& link) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd parent, sys::MkdirAllInRoot(root_fd, Dirname(link.path), 0755));
  std::string name = Basename(link.path);
  if (link.replace) {
    Status removed = sys::UnlinkAt(parent.get(), name, 0);
    if (!removed && removed.error().sys_errno() != ENOENT) return removed;
  }
  Status made = sys::SymlinkAt(link.target, parent.get(), name);
  if (!made && made.error().sys_errno() == EEXIST) return Ok();
  return made;
}

Status SetupDev(int root_fd, const RootfsPlan& plan) {
  for (const DeviceNode& dev : plan.devices) BERTH_TRY(CreateDevice(root_fd, dev));
  for (const DevSymlink& link : plan.symlinks) {
    BERTH_TRY(Annotate(CreateSymlink(root_fd, link), "create symlink " + link.path));
  }
  return Ok();
}

Status MoveRoot(const RootfsPlan& plan) {
  BERTH_TRY(sys::Chdir(plan.rootfs));
  BERTH_TRY(sys::Mount(plan.rootfs, "/", "", MS_MOVE));
  BERTH_TRY(sys::Chroot("."));
  return sys::Chdir("/");
}

Status Chroot(const RootfsPlan& plan) {
  BERTH_TRY(sys::Chdir(plan.rootfs));
  BERTH_TRY(sys::Chroot("."));
  return sys::Chdir("/");
}

Status Pivot(const RootfsPlan& plan) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd old_root, sys::Open("/", O_PATH | O_DIRECTORY));
  BERTH_ASSIGN_OR_RETURN(UniqueFd new_root, sys::Open(plan.rootfs, O_PATH | O_DIRECTORY));
  BERTH_TRY(sys::Fchdir(new_root.get()));
  // With new_root and put_old both ".", the old root ends up mounted on top of the new one; it is
  // reached through old_root, made a slave so that unmounting it cannot propagate to the host's
  // mounts, and detached.
  BERTH_TRY(sys::PivotRoot(".", "."));
  BERTH_TRY(sys::Fchdir(old_root.get()));
  BERTH_TRY(sys::Mount("", ".", "", MS_SLAVE | MS_REC));
  BERTH_TRY(sys::Umount2(".", MNT_DETACH));
  return sys::Chdir("/");
}

Status MakeReadonly(int root_fd, const std::string& path) {
  Result<UniqueFd> target = sys::OpenInRoot(root_fd, path, O_PATH);
  if (!target && target.error().sys_errno() == ENOENT) return Ok();
  BERTH_TRY(target);
  BERTH_ASSIGN_OR_RETURN(
      UniqueFd tree,
      sys::OpenTree(target->get(), "", OPEN_TREE_CLONE | AT_RECURSIVE | AT_EMPTY_PATH));
  BERTH_TRY(
      sys::MountSetattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, {.set = MOUNT_ATTR_RDONLY}));
  return sys::MoveMount(tree.get(), "", target->get(), "",
                        MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

// NullDevice returns the container's /dev/null, checked to be the real one: masking a file with
// anything else could expose it.
Result<UniqueFd> NullDevice(int root_fd) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd null, sys::OpenInRoot(root_fd, "/dev/null", O_PATH | O_NOFOLLOW));
  BERTH_ASSIGN_OR_RETURN(struct stat st, sys::Fstat(null.get()));
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
    return Fail(ErrorKind::kFailedPrecondition, "/dev/null is not the null device");
  }
  return null;
}

Status Mask(int root_fd, const std::string& path) {
  Result<UniqueFd> target = sys::OpenInRoot(root_fd, path, O_PATH);
  if (!target && target.error().sys_errno() == ENOENT) return Ok();
  BERTH_TRY(target);
  BERTH_ASSIGN_OR_RETURN(struct stat st, sys::Fstat(target->get()));
  UniqueFd cover;
  if (S_ISDIR(st.st_mode)) {
    BERTH_ASSIGN_OR_RETURN(UniqueFd fs, sys::FsOpen("tmpfs"));
    BERTH_TRY(sys::FsConfigString(fs.get(), "source", "tmpfs"));
    BERTH_TRY(sys::FsConfigCreate(fs.get()));
    BERTH_ASSIGN_OR_RETURN(cover, sys::FsMount(fs.get(), MOUNT_ATTR_RDONLY));
  } else {
    BERTH_ASSIGN_OR_RETURN(UniqueFd null, NullDevice(root_fd));
    BERTH_ASSIGN_OR_RETURN(cover, sys::OpenTree(null.get(), "", OPEN_TREE_CLONE | AT_EMPTY_PATH));
  }
  return sys::MoveMount(cover.get(), "", target->get(), "",
                        MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

}  // namespace

Status PrepareRootfs(const RootfsPlan& plan) {
  if (!plan.chroot) {
    BERTH_TRY(Annotate(sys::Mount("", "/", "", plan.propagation),
                       "make / " + PropagationName(plan.propagation)));
    BERTH_TRY(Annotate(MakeParentPrivate(plan.rootfs),
                       "make the parent mount of " + plan.rootfs + " private"));
  }
  BERTH_TRY(Annotate(sys::Mount(plan.rootfs, plan.rootfs, "", MS_BIND | MS_REC),
                     "bind the rootfs onto itself"));
  if (plan.chroot) {
    BERTH_TRY(Annotate(sys::Mount("", plan.rootfs, "", plan.propagation),
                       "make the rootfs " + PropagationName(plan.propagation)));
  }
  BERTH_ASSIGN_OR_RETURN(UniqueFd root, sys::Open(plan.rootfs, O_PATH | O_DIRECTORY));
  for (const MountOp& op : plan.mounts) BERTH_TRY(ApplyMountOp(root.get(), op));
  return SetupDev(root.get(), plan);
}

Status PivotRoot(const RootfsPlan& plan) {
  if (plan.chroot) return Annotate(Chroot(plan), "chroot to " + plan.rootfs);
  if (plan.no_pivot) return Annotate(MoveRoot(plan), "move root to " + plan.rootfs);
  return Annotate(Pivot(plan), "pivot root to " + plan.rootfs);
}

Status FinishRootfs(const RootfsPlan& plan) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd root, sys::Open("/", O_PATH | O_DIRECTORY));
  for (const std::string& path : plan.readonly_paths) {
    BERTH_TRY(Annotate(MakeReadonly(root.get(), path), "make " + path + " read-only"));
  }
  for (const std::string& path : plan.masked_paths) {
    BERTH_TRY(Annotate(Mask(root.get(), path), "mask " + path));
  }
  if (plan.readonly) {
    BERTH_TRY(Annotate(sys::MountSetattr(root.get(), "", AT_EMPTY_PATH, {.set = MOUNT_ATTR_RDONLY}),
                       "remount / read-only"));
  }
  if (plan.propagation_set) {
    BERTH_TRY(Annotate(sys::Mount("", "/", "", plan.propagation),
                       "make / " + PropagationName(plan.propagation)));
  }
  return Ok();
}

Status MountConsole(const std::string& pty_slave_path) {
  auto bind = [&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(UniqueFd root, sys::Open("/", O_PATH | O_DIRECTORY));
    BERTH_ASSIGN_OR_RETURN(UniqueFd pty, sys::OpenInRoot(root.get(), pty_slave_path, O_PATH));
    BERTH_ASSIGN_OR_RETURN(struct stat st, sys::Fstat(pty.get()));
    if (!S_ISCHR(st.st_mode)) {
      return Fail(ErrorKind::kInvalidArgument, pty_slave_path + " is not a character device");
    }
    BERTH_ASSIGN_OR_RETURN(UniqueFd console,
                           sys::CreateFileInRoot(root.get(), "/dev/console", 0600));
    BERTH_ASSIGN_OR_RETURN(UniqueFd tree,
                           sys::OpenTree(pty.get(), "", OPEN_TREE_CLONE | AT_EMPTY_PATH));
    return sys::MoveMount(tree.get(), "", console.get(), "",
                          MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  };
  return Annotate(bind(), "bind " + pty_slave_path + " on /dev/console");
}

}  // namespace berth::runtime::mount
