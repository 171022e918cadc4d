#include "sys/mount.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace berth::sys {
namespace {

const char* OrNull(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

std::string Where(int dirfd, const std::string& path) {
  if (!path.empty()) return path;
  return dirfd == AT_FDCWD ? std::string(".") : "fd " + std::to_string(dirfd);
}

// FsLog drains the messages a filesystem context logged ("e tmpfs: Bad value for 'size'"), which
// say far more than the errno of the failed call.
std::string FsLog(int fs_fd) {
  std::string log;
  char buf[512];
  while (true) {
    ssize_t n = read(fs_fd, buf, sizeof(buf) - 1);
    if (n <= 0) break;
    std::string line(buf, static_cast<size_t>(n));
    if (line.size() > 2 && line[1] == ' ') line.erase(0, 2);
    if (!log.empty()) log += "; ";
    log += line;
  }
  return log;
}

Error FsError(int err, int fs_fd, const std::string& what) {
  std::string message = what + ": " + std::strerror(err);
  std::string log = FsLog(fs_fd);
  if (!log.empty()) message += " (" + log + ")";
  return Error(KindFromErrno(err), std::move(message), err);
}

Status FsConfig(int fs_fd, unsigned cmd, const std::string& key, const char* value,
                const std::string& what) {
  if (fsconfig(fs_fd, cmd, OrNull(key), value, 0) < 0) {
    return Fail(FsError(errno, fs_fd, what));
  }
  return Ok();
}

}  // namespace

Status Mount(const std::string& source, const std::string& target, const std::string& fs_type,
             unsigned long flags, const std::string& data) {
  if (mount(OrNull(source), target.c_str(), OrNull(fs_type), flags, OrNull(data)) < 0) {
    const std::string& what = source.empty() ? fs_type : source;
    return Fail(ErrnoNow("mount " + (what.empty() ? std::string("none") : what) + " on " + target));
  }
  return Ok();
}

Status Umount2(const std::string& target, int flags) {
  if (umount2(target.c_str(), flags) < 0) return Fail(ErrnoNow("umount " + target));
  return Ok();
}

Status PivotRoot(const std::string& new_root, const std::string& put_old) {
  if (syscall(SYS_pivot_root, new_root.c_str(), put_old.c_str()) < 0) {
    return Fail(ErrnoNow("pivot_root " + new_root + " " + put_old));
  }
  return Ok();
}

Result<UniqueFd> OpenTree(int dirfd, const std::string& path, unsigned flags) {
  int fd = open_tree(dirfd, path.c_str(), flags | OPEN_TREE_CLOEXEC);
  if (fd < 0) return Fail(ErrnoNow("open_tree " + Where(dirfd, path)));
  return UniqueFd(fd);
}

Status MoveMount(int from_dirfd, const std::string& from_path, int to_dirfd,
                 const std::string& to_path, unsigned flags) {
  if (move_mount(from_dirfd, from_path.c_str(), to_dirfd, to_path.c_str(), flags) < 0) {
    return Fail(
        ErrnoNow("move_mount " + Where(from_dirfd, from_path) + " to " + Where(to_dirfd, to_path)));
  }
  return Ok();
}

Status MountSetattr(int dirfd, const std::string& path, unsigned flags, const MountAttr& attr) {
  mount_attr kattr{};
  kattr.attr_set = attr.set;
  kattr.attr_clr = attr.clear;
  kattr.propagation = attr.propagation;
  if (mount_setattr(dirfd, path.c_str(), flags, &kattr, sizeof(kattr)) < 0) {
    return Fail(ErrnoNow("mount_setattr " + Where(dirfd, path)));
  }
  return Ok();
}

Result<UniqueFd> FsOpen(const std::string& fs_type) {
  int fd = fsopen(fs_type.c_str(), FSOPEN_CLOEXEC);
  if (fd < 0) return Fail(ErrnoNow("fsopen " + fs_type));
  return UniqueFd(fd);
}

Result<UniqueFd> FsPick(int dirfd, const std::string& path, unsigned flags) {
  int fd = fspick(dirfd, path.c_str(), flags | FSPICK_CLOEXEC);
  if (fd < 0) return Fail(ErrnoNow("fspick " + Where(dirfd, path)));
  return UniqueFd(fd);
}

Status FsConfigString(int fs_fd, const std::string& key, const std::string& value) {
  return FsConfig(fs_fd, FSCONFIG_SET_STRING, key, value.c_str(), "fsconfig " + key + "=" + value);
}

Status FsConfigFlag(int fs_fd, const std::string& key) {
  return FsConfig(fs_fd, FSCONFIG_SET_FLAG, key, nullptr, "fsconfig " + key);
}

Status FsConfigCreate(int fs_fd) {
  return FsConfig(fs_fd, FSCONFIG_CMD_CREATE, "", nullptr, "fsconfig create");
}

Status FsConfigReconfigure(int fs_fd) {
  return FsConfig(fs_fd, FSCONFIG_CMD_RECONFIGURE, "", nullptr, "fsconfig reconfigure");
}

Result<UniqueFd> FsMount(int fs_fd, unsigned attr_flags) {
  int fd = fsmount(fs_fd, FSMOUNT_CLOEXEC, attr_flags);
  if (fd < 0) return Fail(FsError(errno, fs_fd, "fsmount"));
  return UniqueFd(fd);
}

Result<uint64_t> MountIdOf(int fd) {
  struct statx stx {};
  if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0) {
    return Fail(ErrnoNow("statx " + Where(fd, "")));
  }
  if (!(stx.stx_mask & STATX_MNT_ID)) return Fail(Errno(ENOSYS, "statx mount id"));
  return stx.stx_mnt_id;
}

}  // namespace berth::sys
