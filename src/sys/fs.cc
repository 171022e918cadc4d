#include "sys/fs.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <vector>

namespace berth::sys {
namespace {

// The kernel's limit on symlinks followed in one lookup (MAXSYMLINKS).
constexpr int kMaxSymlinks = 40;
// fchmodat2(2) has the same number on every architecture (Linux 6.6).
constexpr long kSysFchmodat2 = 452;

std::string FdPath(int dirfd, const std::string& path) {
  if (!path.empty()) return path;
  return dirfd == AT_FDCWD ? std::string(".") : "fd " + std::to_string(dirfd);
}

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    start = end + 1;
  }
  return parts;
}

// One walk over path in the root. Either it ends with the descriptor (fd), or it met a dangling
// symlink and says which path to walk instead (retry), so the caller can bound the symlink count.
struct Walk {
  std::optional<UniqueFd> fd;
  std::string retry;
};

// CreateComponent creates name in dir: a directory, or an empty regular file when file is set.
// Returns the errno, 0 on success.
int CreateComponent(int dir, const std::string& name, bool file, mode_t mode) {
  if (!file) return mkdirat(dir, name.c_str(), mode) < 0 ? errno : 0;
  int fd = openat(dir, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

Result<Walk> WalkCreating(int root_fd, const std::string& path, bool file, mode_t mode) {
  std::vector<std::string> parts = SplitPath(path);
  BERTH_ASSIGN_OR_RETURN(UniqueFd dir, OpenInRoot(root_fd, "/", O_PATH | O_DIRECTORY));
  std::string prefix;
  for (size_t i = 0; i < parts.size(); ++i) {
    bool want_file = file && i + 1 == parts.size();
    int type_flag = want_file ? 0 : O_DIRECTORY;
    std::string next = prefix + "/" + parts[i];
    Result<UniqueFd> existing = OpenInRoot(root_fd, next, O_PATH | type_flag);
    if (existing) {
      dir = std::move(*existing);
      prefix = std::move(next);
      continue;
    }
    if (existing.error().sys_errno() != ENOENT) return Fail(std::move(existing).error());
    // Missing parents of a file get the usual 0755.
    mode_t component_mode = want_file || !file ? mode : 0755;
    int err = CreateComponent(dir.get(), parts[i], want_file, component_mode);
    if (err == EEXIST) {
      // Lookup found nothing but the name exists: a dangling symlink (or a racing creator).
      // Walk the symlink's target instead, still inside the root.
      BERTH_ASSIGN_OR_RETURN(struct stat st, FstatAt(dir.get(), parts[i], AT_SYMLINK_NOFOLLOW));
      if (!S_ISLNK(st.st_mode)) return Walk{std::nullopt, path};
      Result<std::string> target = ReadlinkAt(dir.get(), parts[i]);
      if (!target) return Fail(std::move(target).error());
      std::string retry = target->starts_with('/') ? *target : prefix + "/" + *target;
      for (size_t j = i + 1; j < parts.size(); ++j) retry += "/" + parts[j];
      return Walk{std::nullopt, std::move(retry)};
    }
    if (err != 0) return Fail(Errno(err, (want_file ? "create " : "mkdir ") + next));
    BERTH_ASSIGN_OR_RETURN(dir, OpenAt(dir.get(), parts[i], O_PATH | O_NOFOLLOW | type_flag));
    prefix = std::move(next);
  }
  return Walk{std::move(dir), {}};
}

Result<UniqueFd> ResolveCreating(int root_fd, const std::string& path, bool file, mode_t mode) {
  std::string current = path;
  for (int links = 0; links <= kMaxSymlinks; ++links) {
    Result<UniqueFd> whole = OpenInRoot(root_fd, current, O_PATH | (file ? 0 : O_DIRECTORY));
    if (whole || whole.error().sys_errno() != ENOENT) return whole;
    BERTH_ASSIGN_OR_RETURN(Walk walk, WalkCreating(root_fd, current, file, mode));
    if (walk.fd) return std::move(*walk.fd);
    current = std::move(walk.retry);
  }
  return Fail(Errno(ELOOP, "resolve " + path));
}

}  // namespace

Result<UniqueFd> OpenAt2(int dirfd, const std::string& path, uint64_t flags, uint64_t resolve,
                         mode_t mode) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.mode = mode;
  how.resolve = resolve;
  long fd = syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof(how));
  if (fd < 0) return Fail(ErrnoNow("openat2 " + FdPath(dirfd, path)));
  return UniqueFd(static_cast<int>(fd));
}

Result<UniqueFd> OpenAt(int dirfd, const std::string& path, int flags, mode_t mode) {
  int fd = openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return Fail(ErrnoNow("open " + FdPath(dirfd, path)));
  return UniqueFd(fd);
}

Result<UniqueFd> Open(const std::string& path, int flags, mode_t mode) {
  return OpenAt(AT_FDCWD, path, flags, mode);
}

Result<struct stat> Fstat(int fd) {
  struct stat st {};
  if (fstat(fd, &st) < 0) return Fail(ErrnoNow("fstat " + FdPath(fd, "")));
  return st;
}

Result<struct stat> FstatAt(int dirfd, const std::string& path, int flags) {
  struct stat st {};
  if (fstatat(dirfd, path.c_str(), &st, flags) < 0) {
    return Fail(ErrnoNow("stat " + FdPath(dirfd, path)));
  }
  return st;
}

Result<struct stat> Stat(const std::string& path) { return FstatAt(AT_FDCWD, path, 0); }

Status MkdirAt(int dirfd, const std::string& name, mode_t mode) {
  if (mkdirat(dirfd, name.c_str(), mode) < 0) return Fail(ErrnoNow("mkdir " + name));
  return Ok();
}

Status MknodAt(int dirfd, const std::string& name, mode_t mode, dev_t dev) {
  if (mknodat(dirfd, name.c_str(), mode, dev) < 0) return Fail(ErrnoNow("mknod " + name));
  return Ok();
}

Status SymlinkAt(const std::string& target, int dirfd, const std::string& name) {
  if (symlinkat(target.c_str(), dirfd, name.c_str()) < 0) {
    return Fail(ErrnoNow("symlink " + name + " -> " + target));
  }
  return Ok();
}

Result<std::string> ReadlinkAt(int dirfd, const std::string& name) {
  std::string target(256, '\0');
  while (true) {
    ssize_t n = readlinkat(dirfd, name.c_str(), target.data(), target.size());
    if (n < 0) return Fail(ErrnoNow("readlink " + FdPath(dirfd, name)));
    if (static_cast<size_t>(n) < target.size()) {
      target.resize(static_cast<size_t>(n));
      return target;
    }
    target.resize(target.size() * 2);
  }
}

Status UnlinkAt(int dirfd, const std::string& name, int flags) {
  if (unlinkat(dirfd, name.c_str(), flags) < 0) return Fail(ErrnoNow("unlink " + name));
  return Ok();
}

Status FchownAt(int dirfd, const std::string& path, uid_t uid, gid_t gid, int flags) {
  if (fchownat(dirfd, path.c_str(), uid, gid, flags) < 0) {
    return Fail(ErrnoNow("chown " + FdPath(dirfd, path)));
  }
  return Ok();
}

Status FchmodAt(int dirfd, const std::string& name, mode_t mode, int flags) {
  long rc = syscall(kSysFchmodat2, dirfd, name.c_str(), mode, flags);
  if (rc < 0 && errno == ENOSYS) rc = fchmodat(dirfd, name.c_str(), mode, flags);
  if (rc < 0) return Fail(ErrnoNow("chmod " + FdPath(dirfd, name)));
  return Ok();
}

Status UtimensAt(int dirfd, const std::string& name, const struct timespec times[2], int flags) {
  if (utimensat(dirfd, name.c_str(), times, flags) < 0) {
    return Fail(ErrnoNow("utimensat " + FdPath(dirfd, name)));
  }
  return Ok();
}

Status Fchdir(int fd) {
  if (fchdir(fd) < 0) return Fail(ErrnoNow("fchdir " + FdPath(fd, "")));
  return Ok();
}

Status Chdir(const std::string& path) {
  if (chdir(path.c_str()) < 0) return Fail(ErrnoNow("chdir " + path));
  return Ok();
}

Status Chroot(const std::string& path) {
  if (chroot(path.c_str()) < 0) return Fail(ErrnoNow("chroot " + path));
  return Ok();
}

Result<UniqueFd> OpenInRoot(int root_fd, const std::string& path, int flags) {
  return OpenAt2(root_fd, path, static_cast<uint64_t>(flags),
                 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

Result<UniqueFd> MkdirAllInRoot(int root_fd, const std::string& path, mode_t mode) {
  return ResolveCreating(root_fd, path, /*file=*/false, mode);
}

Result<UniqueFd> CreateFileInRoot(int root_fd, const std::string& path, mode_t mode) {
  return ResolveCreating(root_fd, path, /*file=*/true, mode);
}

}  // namespace berth::sys
