#include "runtime/mount/copy_up.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>

#include "base/scope_exit.h"
#include "base/unique_fd.h"
#include "sys/fs.h"

namespace berth::runtime::mount {
namespace {

// Deeper trees than this are refused rather than risking the stack.
constexpr int kMaxDepth = 128;

Status CopyData(int from, int to, const std::string& name) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd src, sys::OpenAt(from, name, O_RDONLY | O_NOFOLLOW));
  BERTH_ASSIGN_OR_RETURN(UniqueFd dst,
                         sys::OpenAt(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600));
  std::array<char, 16384> buf;
  while (true) {
    ssize_t n = read(src.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrnoNow("read"));
    if (n == 0) return Ok();
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(dst.get(), buf.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return Fail(ErrnoNow("write"));
      done += w;
    }
  }
}

Status CopyMetadata(int to, const std::string& name, const struct stat& st) {
  BERTH_TRY(sys::FchownAt(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH));
  if (!S_ISLNK(st.st_mode)) {
    if (name.empty()) {
      // The root of the copy: chmod through a real descriptor of it.
      BERTH_ASSIGN_OR_RETURN(UniqueFd dir, sys::OpenAt(to, ".", O_RDONLY | O_DIRECTORY));
      if (fchmod(dir.get(), st.st_mode & 07777) < 0) return Fail(ErrnoNow("chmod"));
    } else {
      BERTH_TRY(sys::FchmodAt(to, name, st.st_mode & 07777, AT_SYMLINK_NOFOLLOW));
    }
  }
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  return sys::UtimensAt(to, name, times, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH);
}

Status CopyTree(int from, int to, int depth);

// CopyEntry copies one entry of from into to; directories recursively.
Status CopyEntry(int from, int to, const std::string& name, int depth) {
  BERTH_ASSIGN_OR_RETURN(struct stat st, sys::FstatAt(from, name, AT_SYMLINK_NOFOLLOW));
  if (S_ISDIR(st.st_mode)) {
    BERTH_TRY(sys::MkdirAt(to, name, 0700));
    BERTH_ASSIGN_OR_RETURN(UniqueFd sub_from,
                           sys::OpenAt(from, name, O_PATH | O_DIRECTORY | O_NOFOLLOW));
    BERTH_ASSIGN_OR_RETURN(UniqueFd sub_to,
                           sys::OpenAt(to, name, O_PATH | O_DIRECTORY | O_NOFOLLOW));
    BERTH_TRY(Annotate(CopyTree(sub_from.get(), sub_to.get(), depth + 1), name));
  } else if (S_ISREG(st.st_mode)) {
    BERTH_TRY(Annotate(CopyData(from, to, name), name));
  } else if (S_ISLNK(st.st_mode)) {
    BERTH_ASSIGN_OR_RETURN(std::string target, sys::ReadlinkAt(from, name));
    BERTH_TRY(sys::SymlinkAt(target, to, name));
  } else {
    BERTH_TRY(sys::MknodAt(to, name, st.st_mode, st.st_rdev));
  }
  return CopyMetadata(to, name, st);
}

Status CopyTree(int from, int to, int depth) {
  if (depth > kMaxDepth) return Fail(Errno(ELOOP, "copy: tree too deep"));
  BERTH_ASSIGN_OR_RETURN(UniqueFd list_fd, sys::OpenAt(from, ".", O_RDONLY | O_DIRECTORY));
  DIR* dir = fdopendir(list_fd.get());
  if (dir == nullptr) return Fail(ErrnoNow("fdopendir"));
  list_fd.Release();
  ScopeExit close_dir([dir] { closedir(dir); });
  while (true) {
    errno = 0;
    struct dirent* entry = readdir(dir);
    if (entry == nullptr) {
      if (errno != 0) return Fail(ErrnoNow("readdir"));
      return Ok();
    }
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    BERTH_TRY(CopyEntry(from, to, name, depth));
  }
}

}  // namespace

Status CopyDirectory(int from_dir, int to_dir) {
  BERTH_TRY(CopyTree(from_dir, to_dir, 0));
  BERTH_ASSIGN_OR_RETURN(struct stat st, sys::Fstat(from_dir));
  return CopyMetadata(to_dir, "", st);
}

}  // namespace berth::runtime::mount
