#include "runtime/process/sealed_exe.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "base/unique_fd.h"

namespace berth::runtime {
namespace {

constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

bool AlreadySafe(int exe) {
  int seals = fcntl(exe, F_GET_SEALS);
  if (seals >= 0 && (seals & kSeals) == kSeals) return true;
  struct statvfs vfs {};
  return fstatvfs(exe, &vfs) == 0 && (vfs.f_flag & ST_RDONLY);
}

}  // namespace

Status EnsureSealedExecutable(char** argv, char** envp) {
  UniqueFd exe(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!exe) return Fail(ErrnoNow("open /proc/self/exe"));
  if (AlreadySafe(exe.get())) return Ok();
  struct stat st {};
  if (fstat(exe.get(), &st) < 0) return Fail(ErrnoNow("stat /proc/self/exe"));
  UniqueFd copy(memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!copy) return Fail(ErrnoNow("memfd_create"));
  off_t offset = 0;
  while (offset < st.st_size) {
    ssize_t n = sendfile(copy.get(), exe.get(), &offset, static_cast<size_t>(st.st_size - offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Fail(ErrnoNow("copy /proc/self/exe"));
  }
  if (fcntl(copy.get(), F_ADD_SEALS, kSeals) < 0) return Fail(ErrnoNow("seal executable copy"));
  syscall(SYS_execveat, copy.get(), "", argv, envp, AT_EMPTY_PATH);
  return Fail(ErrnoNow("re-execute from sealed copy"));
}

}  // namespace berth::runtime
