#include "image/snapshot/tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "base/unique_fd.h"
#include "sys/mount.h"

namespace berth::image::snapshot {
namespace {

// FICLONE from linux/fs.h, whose MS_* macros collide with those of sys/mount.h.
constexpr unsigned long kFiclone = _IOW(0x94, 9, int);
constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

// Entries lists the names in the directory dirfd (named path in errors), without "." and "..".
Result<std::vector<std::string>> Entries(int dirfd, const std::string& path) {
  // A descriptor of its own: readdir moves the offset of the open file it reads.
  int fd = openat(dirfd, ".", kDirFlags);
  if (fd < 0) return Fail(ErrnoNow("open " + path));
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    close(fd);
    return Fail(ErrnoNow("fdopendir " + path));
  }
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* entry = readdir(dir);
    if (entry == nullptr) break;
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  int err = errno;
  closedir(dir);
  if (err != 0) return Fail(Errno(err, "readdir " + path));
  return names;
}

// XattrNode names a file for the xattr calls: by descriptor (a regular file or directory opened
// for reading) or, for what cannot be opened so, by the path of its entry under a directory
// descriptor, with the l* calls that act on a symlink itself.
class XattrNode {
 public:
  static XattrNode OfFd(int fd) { return XattrNode(fd, ""); }
  static XattrNode OfEntry(int dirfd, const std::string& name) {
    return XattrNode(-1, fmt::format("/proc/self/fd/{}/{}", dirfd, name));
  }
  ssize_t List(char* buf, size_t size) const {
    return fd_ >= 0 ? flistxattr(fd_, buf, size) : llistxattr(path_.c_str(), buf, size);
  }
  ssize_t Get(const char* name, void* buf, size_t size) const {
    return fd_ >= 0 ? fgetxattr(fd_, name, buf, size) : lgetxattr(path_.c_str(), name, buf, size);
  }
  int Set(const char* name, const void* value, size_t size) const {
    return fd_ >= 0 ? fsetxattr(fd_, name, value, size, 0)
                    : lsetxattr(path_.c_str(), name, value, size, 0);
  }

 private:
  XattrNode(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

// ReadXattr reads a list (name == nullptr) or one value, growing the buffer while it is too small.
Result<std::string> ReadXattr(const XattrNode& node, const char* name, const std::string& path) {
  std::string buf(256, '\0');
  for (;;) {
    ssize_t n = name == nullptr ? node.List(buf.data(), buf.size())
                                : node.Get(name, buf.data(), buf.size());
    if (n >= 0) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    if (errno != ERANGE) {
      const std::string call = name == nullptr ? "listxattr" : fmt::format("getxattr {}", name);
      return Fail(ErrnoNow(fmt::format("{} {}", call, path)));
    }
    buf.resize(buf.size() * 4);
  }
}

Status CopyXattrs(const XattrNode& from, const XattrNode& to, const std::string& path) {
  Result<std::string> names = ReadXattr(from, nullptr, path);
  if (!names && names.error().sys_errno() == EOPNOTSUPP) return Ok();
  if (!names) return Fail(std::move(names).error());
  for (size_t start = 0; start < names->size();) {
    const char* name = names->c_str() + start;
    start += std::char_traits<char>::length(name) + 1;
    BERTH_ASSIGN_OR_RETURN(std::string value, ReadXattr(from, name, path));
    if (to.Set(name, value.data(), value.size()) < 0) {
      return Fail(ErrnoNow(fmt::format("setxattr {} {}", name, path)));
    }
  }
  return Ok();
}

// CopyData clones the file where the filesystem shares blocks, else copies it in the kernel
// (copy_file_range), else through a buffer.
Status CopyData(int from, int to, const std::string& path) {
  if (ioctl(to, kFiclone, from) == 0) return Ok();
  for (;;) {
    ssize_t n = copy_file_range(from, nullptr, to, nullptr, size_t{1} << 30, 0);
    if (n == 0) return Ok();
    if (n > 0 || errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != EOPNOTSUPP && errno != ENOSYS) {
      return Fail(ErrnoNow("copy_file_range " + path));
    }
    break;
  }
  std::vector<char> buf(size_t{1} << 17);
  for (;;) {
    ssize_t n = read(from, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrnoNow("read " + path));
    if (n == 0) return Ok();
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(to, buf.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return Fail(ErrnoNow("write " + path));
      done += w;
    }
  }
}

// SetFdAttributes gives an open copy the owner, mode, xattrs and times of its original. The
// owner goes first: chown clears setuid, setgid and file capabilities.
Status SetFdAttributes(int from, int to, const struct stat& st, const std::string& path) {
  if (fchown(to, st.st_uid, st.st_gid) < 0) return Fail(ErrnoNow("chown " + path));
  if (fchmod(to, st.st_mode & 07777) < 0) return Fail(ErrnoNow("chmod " + path));
  BERTH_TRY(CopyXattrs(XattrNode::OfFd(from), XattrNode::OfFd(to), path));
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (futimens(to, times) < 0) return Fail(ErrnoNow("utimens " + path));
  return Ok();
}

class Copier {
 public:
  explicit Copier(int to_root) : to_root_(to_root) {}

  // CopyDir copies the entries of from into to, then the attributes of from onto to (last: the
  // entries change its times).
  Status CopyDir(int from, int to, const std::string& rel) {
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, Entries(from, rel.empty() ? "." : rel));
    for (const std::string& name : names) BERTH_TRY(CopyEntry(from, to, name, Join(rel, name)));
    BERTH_ASSIGN_OR_RETURN(struct stat st, Stat(from, "", rel));
    return SetFdAttributes(from, to, st, rel.empty() ? "." : rel);
  }

 private:
  static Result<struct stat> Stat(int dirfd, const std::string& name, const std::string& rel) {
    struct stat st {};
    int rc =
        name.empty() ? fstat(dirfd, &st) : fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW);
    if (rc < 0) return Fail(ErrnoNow("stat " + rel));
    return st;
  }

  Status CopyEntry(int from_dir, int to_dir, const std::string& name, const std::string& rel) {
    BERTH_ASSIGN_OR_RETURN(struct stat st, Stat(from_dir, name, rel));
    if (S_ISDIR(st.st_mode)) {
      if (mkdirat(to_dir, name.c_str(), 0700) < 0) return Fail(ErrnoNow("mkdir " + rel));
      UniqueFd from(openat(from_dir, name.c_str(), kDirFlags));
      if (!from) return Fail(ErrnoNow("open " + rel));
      UniqueFd to(openat(to_dir, name.c_str(), kDirFlags));
      if (!to) return Fail(ErrnoNow("open copy of " + rel));
      return CopyDir(from.get(), to.get(), rel);
    }
    // A second name of an inode already copied becomes a hard link to that copy.
    const std::pair<dev_t, ino_t> inode{st.st_dev, st.st_ino};
    if (st.st_nlink > 1) {
      auto it = links_.find(inode);
      if (it != links_.end()) {
        if (linkat(to_root_, it->second.c_str(), to_dir, name.c_str(), 0) < 0) {
          return Fail(ErrnoNow(fmt::format("link {} to {}", rel, it->second)));
        }
        return Ok();
      }
      links_.emplace(inode, rel);
    }
    if (S_ISREG(st.st_mode)) return CopyFile(from_dir, to_dir, name, st, rel);
    return CopyNode(from_dir, to_dir, name, st, rel);
  }

  static Status CopyFile(int from_dir, int to_dir, const std::string& name, const struct stat& st,
                         const std::string& rel) {
    UniqueFd from(openat(from_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!from) return Fail(ErrnoNow("open " + rel));
    UniqueFd to(
        openat(to_dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!to) return Fail(ErrnoNow("create " + rel));
    BERTH_TRY(CopyData(from.get(), to.get(), rel));
    return SetFdAttributes(from.get(), to.get(), st, rel);
  }

  // CopyNode copies a symlink, device, fifo or socket, none of which is opened.
  static Status CopyNode(int from_dir, int to_dir, const std::string& name, const struct stat& st,
                         const std::string& rel) {
    const char* n = name.c_str();
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t len = readlinkat(from_dir, n, target.data(), target.size());
      if (len < 0) return Fail(ErrnoNow("readlink " + rel));
      target.resize(static_cast<size_t>(len));
      if (symlinkat(target.c_str(), to_dir, n) < 0) return Fail(ErrnoNow("symlink " + rel));
    } else if (mknodat(to_dir, n, (st.st_mode & S_IFMT) | 0600, st.st_rdev) < 0) {
      return Fail(
          ErrnoNow(fmt::format("mknod {} ({}:{})", rel, major(st.st_rdev), minor(st.st_rdev))));
    }
    if (fchownat(to_dir, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0) {
      return Fail(ErrnoNow("chown " + rel));
    }
    if (!S_ISLNK(st.st_mode) && fchmodat(to_dir, n, st.st_mode & 07777, 0) < 0) {
      return Fail(ErrnoNow("chmod " + rel));
    }
    BERTH_TRY(
        CopyXattrs(XattrNode::OfEntry(from_dir, name), XattrNode::OfEntry(to_dir, name), rel));
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (utimensat(to_dir, n, times, AT_SYMLINK_NOFOLLOW) < 0)
      return Fail(ErrnoNow("utimens " + rel));
    return Ok();
  }

  int to_root_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // inode → its first copy, under to
};

Status Measure(int dirfd, const std::string& path, std::set<std::pair<dev_t, ino_t>>& seen,
               DiskUsage& usage) {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, Entries(dirfd, path));
  for (const std::string& name : names) {
    const std::string child = path + "/" + name;
    struct stat st {};
    if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      return Fail(ErrnoNow("stat " + child));
    }
    if (st.st_nlink > 1 && !seen.insert({st.st_dev, st.st_ino}).second) continue;
    usage.bytes += static_cast<int64_t>(st.st_blocks) * 512;
    usage.inodes += 1;
    if (!S_ISDIR(st.st_mode)) continue;
    UniqueFd sub(openat(dirfd, name.c_str(), kDirFlags));
    if (!sub) return Fail(ErrnoNow("open " + child));
    BERTH_TRY(Measure(sub.get(), child, seen, usage));
  }
  return Ok();
}

// IsMountRoot says whether the directory entry name is where a mount is attached.
Result<bool> IsMountRoot(int dirfd, const std::string& name, const std::string& path) {
  struct statx stx {};
  if (statx(dirfd, name.c_str(), AT_SYMLINK_NOFOLLOW, STATX_TYPE, &stx) < 0) {
    return Fail(ErrnoNow("statx " + path));
  }
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
         (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

// RemoveEntry removes name from dirfd, a directory with its contents. Entries that vanish on the
// way (another remover) are fine.
Status RemoveEntry(int dirfd, const std::string& name, const std::string& path) {
  struct stat st {};
  if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    return errno == ENOENT ? Ok() : Fail(ErrnoNow("stat " + path));
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlinkat(dirfd, name.c_str(), 0) < 0 && errno != ENOENT) {
      return Fail(ErrnoNow("unlink " + path));
    }
    return Ok();
  }
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(bool mounted, IsMountRoot(dirfd, name, path));
    if (!mounted) break;
    BERTH_TRY(sys::Umount2(path, MNT_DETACH));
  }
  UniqueFd sub(openat(dirfd, name.c_str(), kDirFlags));
  if (!sub) return errno == ENOENT ? Ok() : Fail(ErrnoNow("open " + path));
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, Entries(sub.get(), path));
  for (const std::string& child : names)
    BERTH_TRY(RemoveEntry(sub.get(), child, path + "/" + child));
  if (unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT) {
    return Fail(ErrnoNow("rmdir " + path));
  }
  return Ok();
}

}  // namespace

Status CopyTree(const std::string& from, const std::string& to) {
  UniqueFd from_fd(open(from.c_str(), kDirFlags));
  if (!from_fd) return Fail(ErrnoNow("open " + from));
  UniqueFd to_fd(open(to.c_str(), kDirFlags));
  if (!to_fd) return Fail(ErrnoNow("open " + to));
  Copier copier(to_fd.get());
  return Annotate(copier.CopyDir(from_fd.get(), to_fd.get(), ""),
                  fmt::format("copy {} to {}", from, to));
}

Result<DiskUsage> MeasureTree(const std::string& path) {
  UniqueFd fd(open(path.c_str(), kDirFlags));
  if (!fd) return Fail(ErrnoNow("open " + path));
  struct stat st {};
  if (fstat(fd.get(), &st) < 0) return Fail(ErrnoNow("stat " + path));
  DiskUsage usage{.bytes = static_cast<int64_t>(st.st_blocks) * 512, .inodes = 1};
  std::set<std::pair<dev_t, ino_t>> seen;
  BERTH_TRY(Measure(fd.get(), path, seen, usage));
  return usage;
}

Status RemoveTree(const std::string& path) { return RemoveEntry(AT_FDCWD, path, path); }

Result<std::vector<std::string>> ListDir(const std::string& path) {
  UniqueFd fd(open(path.c_str(), kDirFlags));
  if (!fd) return Fail(ErrnoNow("open " + path));
  return Entries(fd.get(), path);
}

Status SyncFilesystem(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return Fail(ErrnoNow("open " + path));
  if (syncfs(fd.get()) < 0) return Fail(ErrnoNow("syncfs " + path));
  return Ok();
}

}  // namespace berth::image::snapshot
