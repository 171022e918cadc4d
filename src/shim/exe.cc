// The shim's protection against CVE-2019-5736 (shim.h, ProtectExecutable).
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/log.h"
#include "runtime/process/sealed_exe.h"
#include "shim/shim.h"
#include "sys/mount.h"

namespace berth::shim {

Result<UniqueFd> SealExecutable(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd tree, sys::OpenTree(AT_FDCWD, path, OPEN_TREE_CLONE));
  BERTH_TRY(sys::MountSetattr(tree.get(), "", AT_EMPTY_PATH,
                              {.set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV}));
  return tree;
}

Status ProtectExecutable(char** argv, char** envp) {
  UniqueFd exe(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!exe) return Fail(ErrnoNow("open /proc/self/exe"));
  struct statvfs vfs {};
  if (fstatvfs(exe.get(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) return Ok();
  // A detached bind mount of the binary alone, made read-only: /proc/PID/exe of the shim and of
  // its clones then resolves into a mount that refuses writes (EROFS), and no copy is made.
  if (Result<UniqueFd> tree = SealExecutable("/proc/self/exe")) {
    syscall(SYS_execveat, tree->get(), "", argv, envp, AT_EMPTY_PATH);
  }
  // Without the mount API (or the right to use it) the runtime's sealed copy does the same job
  // at the price of the binary's size in memory.
  return runtime::EnsureSealedExecutable(argv, envp);
}

}  // namespace berth::shim
