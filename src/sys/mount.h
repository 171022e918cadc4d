// The mount system calls: mount(2), umount2, pivot_root, and the descriptor-based mount API
// (open_tree, move_mount, mount_setattr, fsopen/fsconfig/fsmount/fspick), with which a mount is
// built detached and then attached onto a descriptor, so its target cannot be swapped for another
// path. Stateless and exception-free; usable between clone and exec. Errors name the call and the
// path, and for the fs* calls carry the filesystem's own explanation from the context's log.
#pragma once
// src/ is on every target's include path, so this file hides the C library's <sys/mount.h>; it
// includes that header in turn, and anyone including either gets both. #include_next is accepted
// under -Wpedantic only in a system header, hence the pragma (it silences warnings in this file).
#pragma GCC system_header
#include_next <sys/mount.h>

#include <cstdint>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace berth::sys {

// Mount is mount(2); an empty source, fs_type or data is passed as NULL.
Status Mount(const std::string& source, const std::string& target, const std::string& fs_type,
             unsigned long flags, const std::string& data = "");
Status Umount2(const std::string& target, int flags);
Status PivotRoot(const std::string& new_root, const std::string& put_old);

// OpenTree is open_tree(2); OPEN_TREE_CLOEXEC is always added.
Result<UniqueFd> OpenTree(int dirfd, const std::string& path, unsigned flags);
Status MoveMount(int from_dirfd, const std::string& from_path, int to_dirfd,
                 const std::string& to_path, unsigned flags);

// MountAttr is struct mount_attr: MOUNT_ATTR_* bits to set and to clear, and an optional new
// propagation type (MS_SHARED, MS_SLAVE, MS_PRIVATE or MS_UNBINDABLE; 0 leaves it).
struct MountAttr {
  uint64_t set = 0;
  uint64_t clear = 0;
  uint64_t propagation = 0;
};
Status MountSetattr(int dirfd, const std::string& path, unsigned flags, const MountAttr& attr);

// A filesystem context: FsOpen (or FsPick for a mounted one), parameters, then FsConfigCreate
// (or FsConfigReconfigure) and FsMount for a detached mount of it.
Result<UniqueFd> FsOpen(const std::string& fs_type);
Result<UniqueFd> FsPick(int dirfd, const std::string& path, unsigned flags);
Status FsConfigString(int fs_fd, const std::string& key, const std::string& value);
Status FsConfigFlag(int fs_fd, const std::string& key);
Status FsConfigCreate(int fs_fd);
Status FsConfigReconfigure(int fs_fd);
// FsMount's attr_flags are MOUNT_ATTR_* bits; FSMOUNT_CLOEXEC is always added.
Result<UniqueFd> FsMount(int fs_fd, unsigned attr_flags);

// MountIdOf is the id of the mount that fd is on (statx STATX_MNT_ID, as in /proc/self/mountinfo).
Result<uint64_t> MountIdOf(int fd);

}  // namespace berth::sys
