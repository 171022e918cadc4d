#include "image/layer/changes.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/xattr.h>

#include <algorithm>
#include <optional>
#include <set>

#include "image/layer/whiteout.h"
#include "sys/fs.h"

namespace berth::image::layer {
namespace {

constexpr uint64_t kBeneath = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;

// SameFsTime is docker's comparison of directory mtimes: equal, or equal seconds where one side
// lost its nanoseconds.
bool SameFsTime(const timespec& a, const timespec& b) {
  return (a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec) ||
         (a.tv_sec == b.tv_sec && (a.tv_nsec == 0 || b.tv_nsec == 0));
}

bool IsOpaqueDir(int dir_fd, const std::string& name) {
  Result<UniqueFd> fd = sys::OpenAt(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (!fd) return false;
  char value[8];
  const ssize_t len =
      fgetxattr(fd->get(), std::string(kOverlayOpaqueXattr).c_str(), value, sizeof(value));
  return len == static_cast<ssize_t>(kOverlayOpaqueValue.size()) &&
         std::string_view(value, static_cast<size_t>(len)) == kOverlayOpaqueValue;
}

Result<std::vector<std::string>> SortedNames(int dir_fd, const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd copy, sys::OpenAt(dir_fd, ".", O_RDONLY | O_DIRECTORY));
  DIR* dir = fdopendir(copy.get());
  if (dir == nullptr) return Fail(ErrnoNow("read directory " + path));
  (void)copy.Release();
  std::vector<std::string> names;
  errno = 0;
  while (dirent* d = readdir(dir)) {
    std::string_view name = d->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  const int err = errno;
  closedir(dir);
  if (err != 0) return Fail(Errno(err, "read directory " + path));
  std::sort(names.begin(), names.end());
  return names;
}

class ChangeWalker {
 public:
  ChangeWalker(std::string upper, std::vector<UniqueFd> lowers, const std::set<std::string>& hidden)
      : upper_(std::move(upper)), lowers_(std::move(lowers)), hidden_(hidden) {
    for (const std::string& path : hidden_) {
      const size_t slash = path.rfind('/');
      if (slash != std::string::npos) hiding_dirs_.insert(slash == 0 ? "" : path.substr(0, slash));
    }
  }

  Status Walk(int dir_fd, const std::string& prefix) {
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, SortedNames(dir_fd, upper_ + prefix));
    for (const std::string& name : names) {
      const std::string path = prefix + "/" + name;
      if (hidden_.contains(path)) continue;
      BERTH_ASSIGN_OR_RETURN(struct stat st, sys::FstatAt(dir_fd, name, AT_SYMLINK_NOFOLLOW));
      BERTH_TRY(Visit(dir_fd, name, path, st));
      if (!S_ISDIR(st.st_mode)) continue;
      BERTH_ASSIGN_OR_RETURN(UniqueFd child,
                             sys::OpenAt(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
      BERTH_TRY(Walk(child.get(), path));
    }
    return Ok();
  }

  std::vector<Change> Take() { return std::move(changes_); }

 private:
  // LowerStat finds path in the lower directories, the top one first.
  Result<std::optional<struct stat>> LowerStat(const std::string& path) {
    for (const UniqueFd& lower : lowers_) {
      Result<UniqueFd> fd =
          sys::OpenAt2(lower.get(), path.substr(1), O_PATH | O_NOFOLLOW, kBeneath);
      if (!fd) {
        const int err = fd.error().sys_errno();
        if (err == ENOENT || err == ENOTDIR || err == EXDEV || err == ELOOP) continue;
        return Fail(std::move(fd).error());
      }
      BERTH_ASSIGN_OR_RETURN(struct stat st, sys::Fstat(fd->get()));
      return std::optional<struct stat>(st);
    }
    return std::optional<struct stat>();
  }

  Status Visit(int dir_fd, const std::string& name, const std::string& path,
               const struct stat& st) {
    Change change{.path = path, .kind = ChangeKind::kAdd};
    BERTH_ASSIGN_OR_RETURN(std::optional<struct stat> lower, LowerStat(path));
    if (IsOverlayWhiteout(st) || (S_ISDIR(st.st_mode) && lower && IsOpaqueDir(dir_fd, name))) {
      change.kind = ChangeKind::kDelete;
    } else if (lower) {
      // A directory where hidden mount points were made is compared by its mode only.
      const bool hiding = hiding_dirs_.contains(path);
      if (S_ISDIR(st.st_mode) && S_ISDIR(lower->st_mode) && st.st_mode == lower->st_mode &&
          (hiding || (st.st_size == lower->st_size && SameFsTime(st.st_mtim, lower->st_mtim)))) {
        return Ok();
      }
      change.kind = ChangeKind::kModify;
    }
    if (S_ISDIR(st.st_mode)) changed_dirs_.insert(path);
    if (change.kind != ChangeKind::kModify) {
      const std::string parent = path.substr(0, path.rfind('/'));
      if (!parent.empty() && changed_dirs_.insert(parent).second) {
        changes_.push_back({.path = parent, .kind = ChangeKind::kModify});
      }
    }
    changes_.push_back(std::move(change));
    return Ok();
  }

  std::string upper_;
  std::vector<UniqueFd> lowers_;
  const std::set<std::string>& hidden_;
  std::set<std::string> hiding_dirs_;  // the directories of hidden paths
  std::set<std::string> changed_dirs_;
  std::vector<Change> changes_;
};

}  // namespace

Result<std::vector<Change>> OverlayChanges(const std::string& upper,
                                           const std::vector<std::string>& lowers,
                                           const std::set<std::string>& hidden) {
  std::vector<UniqueFd> lower_fds;
  for (const std::string& lower : lowers) {
    BERTH_ASSIGN_OR_RETURN(UniqueFd fd,
                           Annotate(sys::Open(lower, O_PATH | O_DIRECTORY), "changes of " + upper));
    lower_fds.push_back(std::move(fd));
  }
  BERTH_ASSIGN_OR_RETURN(UniqueFd root,
                         Annotate(sys::Open(upper, O_RDONLY | O_DIRECTORY), "changes of " + upper));
  ChangeWalker walker(upper, std::move(lower_fds), hidden);
  BERTH_TRY(Annotate(walker.Walk(root.get(), ""), "changes of " + upper));
  return walker.Take();
}

}  // namespace berth::image::layer
