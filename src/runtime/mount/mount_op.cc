#include "runtime/mount/mount_op.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "base/unique_fd.h"
#include "runtime/mount/copy_up.h"
#include "sys/fs.h"
#include "sys/mount.h"

namespace berth::runtime::mount {
namespace {

std::string Describe(const MountOp& op) {
  switch (op.kind) {
    case MountKind::kFilesystem:
      return "mount " + op.fs_type + " on " + op.destination;
    case MountKind::kBind:
      return "bind " + op.source + " on " + op.destination;
    case MountKind::kRemount:
      return "remount " + op.destination;
  }
  return "mount " + op.destination;
}

// Configure passes each "key=value" or "flag" parameter to a filesystem context.
Status Configure(int fs_fd, const std::vector<std::string>& data) {
  for (const std::string& param : data) {
    size_t eq = param.find('=');
    if (eq == std::string::npos) {
      BERTH_TRY(sys::FsConfigFlag(fs_fd, param));
    } else {
      BERTH_TRY(sys::FsConfigString(fs_fd, param.substr(0, eq), param.substr(eq + 1)));
    }
  }
  return Ok();
}

Result<UniqueFd> NewFilesystem(const MountOp& op) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fs, sys::FsOpen(op.fs_type));
  BERTH_TRY(sys::FsConfigString(fs.get(), "source", op.source));
  BERTH_TRY(Configure(fs.get(), op.data));
  BERTH_TRY(sys::FsConfigCreate(fs.get()));
  return sys::FsMount(fs.get(), 0);
}

// SetAttributes applies the top-mount change, then the whole-tree one, to the mount at fd.
Status SetAttributes(int fd, const MountOp& op) {
  if (!op.attr.empty()) {
    BERTH_TRY(sys::MountSetattr(fd, "", AT_EMPTY_PATH, {op.attr.set, op.attr.clear}));
  }
  if (!op.recursive_attr.empty()) {
    BERTH_TRY(sys::MountSetattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE,
                                {op.recursive_attr.set, op.recursive_attr.clear}));
  }
  return Ok();
}

// SetPropagation runs once the mount is attached: a detached mount has no peers to speak of.
Status SetPropagation(int fd, const MountOp& op) {
  if (op.propagation == 0) return Ok();
  unsigned flags = AT_EMPTY_PATH | (op.propagation_recursive ? AT_RECURSIVE : 0);
  return sys::MountSetattr(fd, "", flags, {.propagation = op.propagation});
}

Status MountNew(int root_fd, const MountOp& op) {
  UniqueFd mnt;
  bool file_target = false;
  if (op.kind == MountKind::kBind) {
    BERTH_ASSIGN_OR_RETURN(struct stat st, sys::Stat(op.source));
    file_target = !S_ISDIR(st.st_mode);
    unsigned flags = OPEN_TREE_CLONE | (op.recursive ? AT_RECURSIVE : 0);
    BERTH_ASSIGN_OR_RETURN(mnt, sys::OpenTree(AT_FDCWD, op.source, flags));
  } else {
    BERTH_ASSIGN_OR_RETURN(mnt, NewFilesystem(op));
  }
  BERTH_TRY(SetAttributes(mnt.get(), op));
  UniqueFd target;
  if (file_target) {
    BERTH_ASSIGN_OR_RETURN(target, sys::CreateFileInRoot(root_fd, op.destination, 0644));
  } else {
    BERTH_ASSIGN_OR_RETURN(target, sys::MkdirAllInRoot(root_fd, op.destination, 0755));
  }
  if (op.copy_up) BERTH_TRY(Annotate(CopyDirectory(target.get(), mnt.get()), "copy up"));
  BERTH_TRY(sys::MoveMount(mnt.get(), "", target.get(), "",
                           MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH));
  return SetPropagation(mnt.get(), op);
}

Status Remount(int root_fd, const MountOp& op) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd target, sys::OpenInRoot(root_fd, op.destination, O_PATH));
  if (!op.data.empty()) {
    BERTH_ASSIGN_OR_RETURN(UniqueFd fs, sys::FsPick(target.get(), "", FSPICK_EMPTY_PATH));
    BERTH_TRY(Configure(fs.get(), op.data));
    BERTH_TRY(sys::FsConfigReconfigure(fs.get()));
  }
  BERTH_TRY(SetAttributes(target.get(), op));
  return SetPropagation(target.get(), op);
}

}  // namespace

Status ApplyMountOp(int root_fd, const MountOp& op) {
  Status done = op.kind == MountKind::kRemount ? Remount(root_fd, op) : MountNew(root_fd, op);
  return Annotate(std::move(done), Describe(op));
}

}  // namespace berth::runtime::mount
