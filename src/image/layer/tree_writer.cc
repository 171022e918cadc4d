#include "image/layer/tree_writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <numeric>

#include "base/log.h"
#include "base/scope_exit.h"
#include "image/layer/entry_name.h"
#include "image/layer/whiteout.h"
#include "sys/fs.h"

namespace berth::image::layer {
namespace {

constexpr uint64_t kBeneath = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
// Parent directories kept open between entries; the cache is emptied when it grows past this.
constexpr size_t kMaxCachedParents = 256;

Result<UniqueFd> OpenBeneath(int root_fd, std::string_view name, int flags) {
  return sys::OpenAt2(root_fd, name.empty() ? std::string(".") : std::string(name),
                      static_cast<uint64_t>(flags), kBeneath);
}

Error ParentError(std::string_view name, int err) {
  std::string quoted = QuoteName(name);
  switch (err) {
    case EXDEV:
      return Error(ErrorKind::kInvalidArgument,
                   "parent directory " + quoted + " leads outside the layer through a symlink");
    case ENOTDIR:
      return Error(ErrorKind::kInvalidArgument,
                   "parent directory " + quoted + " is not a directory");
    case ELOOP:
      return Error(ErrorKind::kInvalidArgument,
                   "parent directory " + quoted + ": too many levels of symbolic links");
    default:
      return Errno(err, "open parent directory " + quoted);
  }
}

std::string Join(std::string_view parent, std::string_view base) {
  std::string name(parent);
  if (!name.empty()) name += '/';
  name += base;
  return name;
}

// ListDir returns the names in the directory open at fd (not "." and "..") with their d_type.
Result<std::vector<std::pair<std::string, unsigned char>>> ListDir(int fd) {
  int copy = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (copy < 0) return Fail(ErrnoNow("open directory"));
  DIR* dir = fdopendir(copy);
  if (dir == nullptr) {
    close(copy);
    return Fail(ErrnoNow("fdopendir"));
  }
  ScopeExit close_dir([dir] { closedir(dir); });
  std::vector<std::pair<std::string, unsigned char>> names;
  errno = 0;
  while (dirent* d = readdir(dir)) {
    std::string_view name = d->d_name;
    if (name != "." && name != "..") names.emplace_back(name, d->d_type);
    errno = 0;
  }
  if (errno != 0) return Fail(ErrnoNow("read directory"));
  return names;
}

std::string ProcPath(int dir, const std::string& base) {
  return "/proc/self/fd/" + std::to_string(dir) + "/" + base;
}

bool Unsupported(int err) { return err == ENOTSUP || err == EOPNOTSUPP; }

}  // namespace

Status TreeWriter::Write(const Entry& entry, EntryData& data) {
  if (stale_ || parents_.size() >= kMaxCachedParents) {
    parents_.clear();
    stale_ = false;
  }
  // docker cp's extraction leaves the directory it extracts into as it is.
  if (entry.name.empty()) {
    return options_.whiteouts == WhiteoutMode::kNone ? Ok() : WriteRoot(entry);
  }
  SplitPath split = SplitName(entry.name);
  layer::Whiteout whiteout =
      options_.whiteouts == WhiteoutMode::kNone ? layer::Whiteout{} : ParseWhiteout(split.base);
  switch (whiteout.kind) {
    case WhiteoutKind::kMeta:
      return Ok();
    case WhiteoutKind::kOpaque:
      return Opaque(split.parent);
    case WhiteoutKind::kDelete:
      return Whiteout(split.parent, whiteout.target);
    case WhiteoutKind::kNone:
      break;
  }
  BERTH_ASSIGN_OR_RETURN(int dir, Parent(split.parent, /*create=*/true));
  std::string base(split.base);
  switch (entry.type) {
    case EntryType::kFile:
      BERTH_TRY(WriteFile(dir, base, entry, data));
      break;
    case EntryType::kDirectory:
      BERTH_TRY(WriteDirectory(dir, base, entry));
      break;
    case EntryType::kSymlink:
      BERTH_TRY(WriteSymlink(dir, base, entry));
      break;
    case EntryType::kHardlink:
      BERTH_TRY(WriteHardlink(dir, base, entry));
      break;
    case EntryType::kCharDevice:
    case EntryType::kBlockDevice:
    case EntryType::kFifo:
      BERTH_TRY(WriteNode(dir, base, entry));
      break;
  }
  if (options_.whiteouts == WhiteoutMode::kApply) MarkWritten(entry.name);
  return Ok();
}

Result<int> TreeWriter::Parent(std::string_view name, bool create) {
  if (name.empty()) return root_fd_;
  if (auto it = parents_.find(name); it != parents_.end()) return it->second.get();
  Result<UniqueFd> fd = OpenBeneath(root_fd_, name, O_PATH | O_DIRECTORY);
  if (!fd) {
    int err = fd.error().sys_errno();
    if (err != ENOENT) return Fail(ParentError(name, err));
    if (!create) return -1;
    fd = CreateParents(name);
    if (!fd) return Fail(std::move(fd).error());
  }
  auto [it, inserted] = parents_.emplace(std::string(name), std::move(*fd));
  return it->second.get();
}

Result<UniqueFd> TreeWriter::CreateParents(std::string_view name) {
  UniqueFd current;
  int current_fd = root_fd_;
  size_t start = 0;
  while (start < name.size()) {
    size_t end = std::min(name.find('/', start), name.size());
    std::string_view prefix = name.substr(0, end);
    std::string component(name.substr(start, end - start));
    start = end + 1;
    Result<UniqueFd> next = OpenBeneath(root_fd_, prefix, O_PATH | O_DIRECTORY);
    if (!next) {
      int err = next.error().sys_errno();
      if (err != ENOENT) return Fail(ParentError(prefix, err));
      if (mkdirat(current_fd, component.c_str(), 0755) < 0) {
        if (errno == EEXIST) {
          return Fail(ErrorKind::kInvalidArgument,
                      "parent directory " + QuoteName(prefix) + " is a dangling symlink");
        }
        return Fail(ErrnoNow("mkdir " + QuoteName(prefix)));
      }
      next =
          sys::OpenAt2(current_fd, component, O_PATH | O_DIRECTORY, kBeneath | RESOLVE_NO_SYMLINKS);
      if (!next) return Fail(std::move(next).error());
    }
    current = std::move(*next);
    current_fd = current.get();
  }
  return current;
}

Result<bool> TreeWriter::Replace(int dir, const std::string& base, bool new_is_dir,
                                 bool* overlay_whiteout) {
  struct stat st {};
  if (fstatat(dir, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return true;
    return Fail(ErrnoNow("stat existing entry"));
  }
  if (overlay_whiteout != nullptr) *overlay_whiteout = IsOverlayWhiteout(st);
  if (options_.no_overwrite_dir_non_dir && S_ISDIR(st.st_mode) != new_is_dir) {
    return Fail(ErrorKind::kInvalidArgument, new_is_dir
                                                 ? "cannot overwrite non-directory with directory"
                                                 : "cannot overwrite directory with non-directory");
  }
  if (S_ISDIR(st.st_mode)) {
    if (new_is_dir) return false;
    BERTH_TRY(RemoveTree(dir, base));
    return true;
  }
  if (S_ISLNK(st.st_mode)) stale_ = true;
  if (unlinkat(dir, base.c_str(), 0) < 0) return Fail(ErrnoNow("remove existing entry"));
  return true;
}

Status TreeWriter::RemoveTree(int dir, const std::string& base) {
  struct stat st {};
  if (fstatat(dir, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return Ok();
    return Fail(ErrnoNow("stat " + QuoteName(base)));
  }
  stale_ = true;
  if (S_ISDIR(st.st_mode)) {
    BERTH_ASSIGN_OR_RETURN(UniqueFd sub, sys::OpenAt(dir, base, O_PATH | O_DIRECTORY | O_NOFOLLOW));
    BERTH_ASSIGN_OR_RETURN(auto names, ListDir(sub.get()));
    for (const auto& [name, type] : names) BERTH_TRY(RemoveTree(sub.get(), name));
    if (unlinkat(dir, base.c_str(), AT_REMOVEDIR) < 0) {
      return Fail(ErrnoNow("remove directory " + QuoteName(base)));
    }
    return Ok();
  }
  if (unlinkat(dir, base.c_str(), 0) < 0) return Fail(ErrnoNow("remove " + QuoteName(base)));
  return Ok();
}

Status TreeWriter::WriteFile(int dir, const std::string& base, const Entry& entry,
                             EntryData& data) {
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int raw = openat(dir, base.c_str(), kFlags, 0600);
  if (raw < 0 && errno == EEXIST) {
    BERTH_TRY(Replace(dir, base, /*new_is_dir=*/false, nullptr));
    raw = openat(dir, base.c_str(), kFlags, 0600);
  }
  if (raw < 0) return Fail(ErrnoNow("create file"));
  UniqueFd fd(raw);
  int64_t end = 0;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(EntryData::Block block, data.Next());
    if (block.size == 0) break;
    size_t done = 0;
    while (done < block.size) {
      ssize_t n = pwrite(raw, block.data + done, block.size - done,
                         block.offset + static_cast<int64_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Fail(ErrnoNow("write file"));
      done += static_cast<size_t>(n);
    }
    end = std::max(end, block.offset + static_cast<int64_t>(block.size));
  }
  if (end < entry.size && ftruncate(raw, entry.size) < 0) return Fail(ErrnoNow("truncate file"));
  if (options_.same_owner && fchown(raw, UidOf(entry), GidOf(entry)) < 0) {
    return Fail(ErrnoNow("chown"));
  }
  BERTH_TRY(SetXattrs(raw, dir, base, entry));
  // After chown, which clears the setuid and setgid bits.
  if (fchmod(raw, entry.mode) < 0) return Fail(ErrnoNow("chmod"));
  const timespec times[2] = {entry.atime, entry.mtime};
  if (futimens(raw, times) < 0) return Fail(ErrnoNow("set times"));
  return Ok();
}

Status TreeWriter::WriteDirectory(int dir, const std::string& base, const Entry& entry) {
  bool over_whiteout = false;
  BERTH_ASSIGN_OR_RETURN(bool create, Replace(dir, base, /*new_is_dir=*/true, &over_whiteout));
  if (create && mkdirat(dir, base.c_str(), 0700) < 0) return Fail(ErrnoNow("mkdir"));
  BERTH_TRY(Chown(dir, base, entry));
  // A directory that replaces a whiteout of the same layer hides the lower directory it revives.
  bool opaque = create && over_whiteout && options_.whiteouts == WhiteoutMode::kOverlay;
  if (!entry.xattrs.empty() || opaque) {
    BERTH_ASSIGN_OR_RETURN(UniqueFd fd,
                           sys::OpenAt(dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    BERTH_TRY(SetXattrs(fd.get(), dir, base, entry));
    if (opaque) BERTH_TRY(SetOpaque(fd.get()));
  }
  DeferDirectory(entry);
  return Ok();
}

Status TreeWriter::WriteRoot(const Entry& entry) {
  if (entry.type != EntryType::kDirectory) {
    return Fail(ErrorKind::kInvalidArgument, "the layer root can only be a directory");
  }
  if (options_.same_owner &&
      fchownat(root_fd_, "", UidOf(entry), GidOf(entry), AT_EMPTY_PATH) < 0) {
    return Fail(ErrnoNow("chown"));
  }
  if (!entry.xattrs.empty()) {
    BERTH_ASSIGN_OR_RETURN(UniqueFd fd, sys::OpenAt(root_fd_, ".", O_RDONLY | O_DIRECTORY));
    BERTH_TRY(SetXattrs(fd.get(), root_fd_, ".", entry));
  }
  DeferDirectory(entry);
  return Ok();
}

Status TreeWriter::WriteSymlink(int dir, const std::string& base, const Entry& entry) {
  if (symlinkat(entry.link.c_str(), dir, base.c_str()) < 0) {
    if (errno != EEXIST) return Fail(ErrnoNow("symlink"));
    BERTH_TRY(Replace(dir, base, /*new_is_dir=*/false, nullptr));
    if (symlinkat(entry.link.c_str(), dir, base.c_str()) < 0) return Fail(ErrnoNow("symlink"));
  }
  BERTH_TRY(Chown(dir, base, entry));
  BERTH_TRY(SetXattrs(-1, dir, base, entry));
  const timespec times[2] = {entry.atime, entry.mtime};
  if (utimensat(dir, base.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0) {
    return Fail(ErrnoNow("set times"));
  }
  return Ok();
}

Status TreeWriter::WriteHardlink(int dir, const std::string& base, const Entry& entry) {
  std::string quoted = QuoteName(entry.link);
  if (entry.link.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "hardlink to the layer root");
  }
  SplitPath target = SplitName(entry.link);
  BERTH_ASSIGN_OR_RETURN(int target_dir, Parent(target.parent, /*create=*/false));
  if (target_dir < 0) {
    return Fail(ErrorKind::kInvalidArgument, "hardlink target " + quoted + " not found");
  }
  std::string target_base(target.base);
  for (int attempt = 0;; ++attempt) {
    if (linkat(target_dir, target_base.c_str(), dir, base.c_str(), 0) == 0) return Ok();
    if (errno == EEXIST && attempt == 0) {
      BERTH_TRY(Replace(dir, base, /*new_is_dir=*/false, nullptr));
      continue;
    }
    if (errno == ENOENT) {
      return Fail(ErrorKind::kInvalidArgument, "hardlink target " + quoted + " not found");
    }
    if (errno == EPERM) {
      return Fail(Errno(EPERM, "hardlink to " + quoted + " (a directory?)"));
    }
    return Fail(ErrnoNow("hardlink to " + quoted));
  }
}

Status TreeWriter::WriteNode(int dir, const std::string& base, const Entry& entry) {
  mode_t type = entry.type == EntryType::kCharDevice    ? S_IFCHR
                : entry.type == EntryType::kBlockDevice ? S_IFBLK
                                                        : S_IFIFO;
  dev_t rdev = entry.type == EntryType::kFifo ? 0 : entry.rdev;
  if (mknodat(dir, base.c_str(), type | (entry.mode & 0777), rdev) < 0) {
    if (errno != EEXIST) return Fail(ErrnoNow("mknod"));
    BERTH_TRY(Replace(dir, base, /*new_is_dir=*/false, nullptr));
    if (mknodat(dir, base.c_str(), type | (entry.mode & 0777), rdev) < 0) {
      return Fail(ErrnoNow("mknod"));
    }
  }
  BERTH_TRY(Chown(dir, base, entry));
  BERTH_TRY(SetXattrs(-1, dir, base, entry));
  BERTH_TRY(sys::FchmodAt(dir, base, entry.mode, AT_SYMLINK_NOFOLLOW));
  const timespec times[2] = {entry.atime, entry.mtime};
  if (utimensat(dir, base.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0) {
    return Fail(ErrnoNow("set times"));
  }
  return Ok();
}

Status TreeWriter::Whiteout(std::string_view parent, std::string_view target) {
  if (target.empty() || target == "." || target == "..") {
    return Fail(ErrorKind::kInvalidArgument, "invalid whiteout name");
  }
  std::string base(target);
  bool overlay = options_.whiteouts == WhiteoutMode::kOverlay;
  BERTH_ASSIGN_OR_RETURN(int dir, Parent(parent, /*create=*/overlay));
  if (dir < 0) return Ok();  // kApply: nothing below to delete
  struct stat st {};
  bool exists = fstatat(dir, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (!exists && errno != ENOENT) return Fail(ErrnoNow("stat whiteout target"));
  if (overlay) {
    if (!exists) {
      if (mknodat(dir, base.c_str(), S_IFCHR, kOverlayWhiteoutDev) < 0) {
        return Fail(ErrnoNow("mknod whiteout"));
      }
      return Ok();
    }
    // The name was written by this layer, which a whiteout of the same layer cannot delete.
    if (!S_ISDIR(st.st_mode)) return Ok();
    BERTH_ASSIGN_OR_RETURN(UniqueFd fd,
                           sys::OpenAt(dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    return SetOpaque(fd.get());
  }
  std::string name = Join(parent, target);
  if (!Written(name)) return RemoveTree(dir, base);
  if (!exists || !S_ISDIR(st.st_mode)) return Ok();
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, sys::OpenAt(dir, base, O_PATH | O_DIRECTORY | O_NOFOLLOW));
  return HideLower(name, fd.get());
}

Status TreeWriter::Opaque(std::string_view dir_name) {
  bool overlay = options_.whiteouts == WhiteoutMode::kOverlay;
  BERTH_ASSIGN_OR_RETURN(int dir, Parent(dir_name, /*create=*/overlay));
  if (dir < 0) return Ok();
  if (overlay) {
    BERTH_ASSIGN_OR_RETURN(UniqueFd fd, sys::OpenAt(dir, ".", O_RDONLY | O_DIRECTORY));
    return SetOpaque(fd.get());
  }
  MarkWritten(dir_name);
  return HideLower(std::string(dir_name), dir);
}

Status TreeWriter::SetOpaque(int fd) {
  std::string name(kOverlayOpaqueXattr);
  if (fsetxattr(fd, name.c_str(), kOverlayOpaqueValue.data(), kOverlayOpaqueValue.size(), 0) < 0) {
    return Fail(ErrnoNow("set " + name));
  }
  return Ok();
}

Status TreeWriter::HideLower(const std::string& name, int fd) {
  BERTH_ASSIGN_OR_RETURN(auto children, ListDir(fd));
  for (const auto& [child, type] : children) {
    std::string child_name = Join(name, child);
    if (!Written(child_name)) {
      BERTH_TRY(RemoveTree(fd, child));
      continue;
    }
    if (type != DT_DIR && type != DT_UNKNOWN) continue;
    Result<UniqueFd> sub = sys::OpenAt(fd, child, O_PATH | O_DIRECTORY | O_NOFOLLOW);
    if (!sub) {
      if (sub.error().sys_errno() == ENOTDIR || sub.error().sys_errno() == ELOOP) continue;
      return Fail(std::move(sub).error());
    }
    BERTH_TRY(HideLower(child_name, sub->get()));
  }
  return Ok();
}

Status TreeWriter::Chown(int dir, const std::string& base, const Entry& entry) {
  if (!options_.same_owner) return Ok();
  if (fchownat(dir, base.c_str(), UidOf(entry), GidOf(entry), AT_SYMLINK_NOFOLLOW) < 0) {
    return Fail(ErrnoNow("chown"));
  }
  return Ok();
}

Status TreeWriter::SetXattrs(int fd, int dir, const std::string& base, const Entry& entry) {
  for (const auto& [name, value] : entry.xattrs) {
    if (IsOverlayXattr(name)) continue;
    // Symlinks and device nodes can't be opened for fsetxattr: their parent's descriptor pins
    // the directory and lsetxattr does not follow the last component.
    int rc = fd >= 0 ? fsetxattr(fd, name.c_str(), value.data(), value.size(), 0)
                     : lsetxattr(ProcPath(dir, base).c_str(), name.c_str(), value.data(),
                                 value.size(), 0);
    if (rc == 0) continue;
    if (Unsupported(errno)) {
      log::Debug("layer entry {}: xattr {} not supported here, skipped", base, name);
      continue;
    }
    return Fail(ErrnoNow("set xattr " + QuoteName(name)));
  }
  return Ok();
}

void TreeWriter::DeferDirectory(const Entry& entry) {
  DirMeta meta{entry.name, entry.mode, entry.atime, entry.mtime};
  auto [it, inserted] = dir_index_.emplace(entry.name, dirs_.size());
  if (inserted) {
    dirs_.push_back(std::move(meta));
  } else {
    dirs_[it->second] = std::move(meta);
  }
}

void TreeWriter::MarkWritten(std::string_view name) {
  while (!name.empty()) {
    if (!written_.emplace(name).second) return;
    size_t slash = name.rfind('/');
    if (slash == std::string_view::npos) return;
    name = name.substr(0, slash);
  }
}

Status TreeWriter::Finish() {
  std::vector<size_t> order(dirs_.size());
  std::iota(order.begin(), order.end(), 0);
  auto depth = [&](size_t i) {
    const std::string& n = dirs_[i].name;
    return n.empty() ? -1 : static_cast<int>(std::count(n.begin(), n.end(), '/'));
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return depth(a) > depth(b); });
  for (size_t i : order) {
    const DirMeta& meta = dirs_[i];
    Result<UniqueFd> fd = OpenBeneath(root_fd_, meta.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!fd) {
      int err = fd.error().sys_errno();
      // Deleted or replaced by a later entry of the layer.
      if (err == ENOENT || err == ENOTDIR || err == ELOOP) continue;
      return Fail(std::move(fd).error().Wrap("directory " + QuoteName(meta.name)));
    }
    const timespec times[2] = {meta.atime, meta.mtime};
    if (fchmod(fd->get(), meta.mode) < 0 || futimens(fd->get(), times) < 0) {
      return Fail(ErrnoNow("set metadata of directory " + QuoteName(meta.name)));
    }
  }
  return Ok();
}

}  // namespace berth::image::layer
