// Filesystem calls on directory descriptors: openat2 with its RESOLVE_* flags, the *at family, and
// helpers that find or create a path inside a root directory without ever leaving it, whatever
// symlinks the tree holds. Stateless and exception-free; usable between clone and exec (they
// allocate only small strings). Errors name the call and the path. All descriptors are O_CLOEXEC.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace berth::sys {

// OpenAt2 is openat2(2): flags are O_*, resolve is a set of RESOLVE_* flags (linux/openat2.h).
Result<UniqueFd> OpenAt2(int dirfd, const std::string& path, uint64_t flags, uint64_t resolve,
                         mode_t mode = 0);
Result<UniqueFd> OpenAt(int dirfd, const std::string& path, int flags, mode_t mode = 0);
Result<UniqueFd> Open(const std::string& path, int flags, mode_t mode = 0);

Result<struct stat> Fstat(int fd);
Result<struct stat> FstatAt(int dirfd, const std::string& path, int flags);
Result<struct stat> Stat(const std::string& path);

Status MkdirAt(int dirfd, const std::string& name, mode_t mode);
// MknodAt creates a node; mode holds the type (S_IFCHR, S_IFBLK, S_IFIFO) and permission bits,
// which the umask reduces as usual.
Status MknodAt(int dirfd, const std::string& name, mode_t mode, dev_t dev);
Status SymlinkAt(const std::string& target, int dirfd, const std::string& name);
Result<std::string> ReadlinkAt(int dirfd, const std::string& name);
Status UnlinkAt(int dirfd, const std::string& name, int flags);
Status FchownAt(int dirfd, const std::string& path, uid_t uid, gid_t gid, int flags);
// FchmodAt honours AT_SYMLINK_NOFOLLOW (through fchmodat2 where the kernel has it).
Status FchmodAt(int dirfd, const std::string& name, mode_t mode, int flags);
Status UtimensAt(int dirfd, const std::string& name, const struct timespec times[2], int flags);
Status Fchdir(int fd);
Status Chdir(const std::string& path);
Status Chroot(const std::string& path);

// OpenInRoot opens path as if root_fd were "/": absolute symlinks and ".." stop at root_fd
// (RESOLVE_IN_ROOT), and /proc magic links are refused (RESOLVE_NO_MAGICLINKS). Trailing symlinks
// are followed unless flags has O_NOFOLLOW.
Result<UniqueFd> OpenInRoot(int root_fd, const std::string& path, int flags);

// MkdirAllInRoot returns an O_PATH descriptor of the directory at path inside root_fd, creating
// the missing components (mode) one by one with mkdirat on a descriptor of their resolved parent.
// A dangling symlink on the way is followed inside the root and its target created.
Result<UniqueFd> MkdirAllInRoot(int root_fd, const std::string& path, mode_t mode);

// CreateFileInRoot is MkdirAllInRoot (mode 0755) for the parents of path, then returns an O_PATH
// descriptor of whatever path resolves to inside the root, creating an empty regular file (mode)
// if nothing does.
Result<UniqueFd> CreateFileInRoot(int root_fd, const std::string& path, mode_t mode);

}  // namespace berth::sys
