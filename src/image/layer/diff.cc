#include "image/layer/diff.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "image/layer/whiteout.h"
#include "sys/fs.h"

namespace berth::image::layer {
namespace {

constexpr size_t kCopyBuffer = 1 << 20;

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryDeleter>;

// Xattrs lists the extended attributes of path (not following a final symlink) other than
// overlayfs' own, as (name, value) pairs in name order.
Result<std::vector<std::pair<std::string, std::string>>> Xattrs(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  ssize_t size = llistxattr(path.c_str(), nullptr, 0);
  if (size < 0) {
    if (errno == ENOTSUP) return out;
    return Fail(ErrnoNow(fmt::format("list xattrs of {}", path)));
  }
  std::string names(static_cast<size_t>(size), '\0');
  size = llistxattr(path.c_str(), names.data(), names.size());
  if (size < 0) return Fail(ErrnoNow(fmt::format("list xattrs of {}", path)));
  names.resize(static_cast<size_t>(size));
  for (size_t pos = 0; pos < names.size();) {
    std::string name(names.c_str() + pos);
    pos += name.size() + 1;
    if (name.empty() || IsOverlayXattr(name)) continue;
    ssize_t len = lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (len < 0) return Fail(ErrnoNow(fmt::format("read xattr {} of {}", name, path)));
    std::string value(static_cast<size_t>(len), '\0');
    len = lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (len < 0) return Fail(ErrnoNow(fmt::format("read xattr {} of {}", name, path)));
    value.resize(static_cast<size_t>(len));
    out.emplace_back(std::move(name), std::move(value));
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool IsOpaque(const std::string& path) {
  char value[8];
  ssize_t len =
      lgetxattr(path.c_str(), std::string(kOverlayOpaqueXattr).c_str(), value, sizeof(value));
  return len == static_cast<ssize_t>(kOverlayOpaqueValue.size()) &&
         std::string_view(value, static_cast<size_t>(len)) == kOverlayOpaqueValue;
}

Result<std::vector<std::string>> SortedNames(int dir_fd, const std::string& path) {
  int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return Fail(ErrnoNow(fmt::format("read directory {}", path)));
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    close(fd);
    return Fail(ErrnoNow(fmt::format("read directory {}", path)));
  }
  rewinddir(dir);
  std::vector<std::string> names;
  errno = 0;
  while (dirent* d = readdir(dir)) {
    std::string_view name = d->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  int err = errno;
  closedir(dir);
  if (err != 0) return Fail(Errno(err, fmt::format("read directory {}", path)));
  std::sort(names.begin(), names.end());
  return names;
}

// What TarWriter walks.
enum class TreeKind {
  kOverlayUpper,  // an overlay upper directory: whiteouts and opaque directories in OCI form
  kWholeTree,     // a whole tree, on one filesystem: no whiteouts
  kChanges,       // a whole tree, written as its differences from a lower tree
  kCopy,          // one file or tree, names rebased, mounts inside crossed (ArchivePath)
};

bool SameTime(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

// StatChanged tells whether an entry differs from the lower one by what stat shows, as docker's
// naive differ judges it: type and mode, owner, device number, and for anything but a directory
// the size and mtime (file contents are not compared).
bool StatChanged(const struct stat& upper, const struct stat& lower) {
  if (upper.st_mode != lower.st_mode || upper.st_uid != lower.st_uid ||
      upper.st_gid != lower.st_gid || upper.st_rdev != lower.st_rdev) {
    return true;
  }
  return !S_ISDIR(upper.st_mode) &&
         (upper.st_size != lower.st_size || !SameTime(upper.st_mtim, lower.st_mtim));
}

// TarWriter walks one directory and writes it as a pax tar into a descriptor, hashing what it
// writes.
class TarWriter {
 public:
  TarWriter(std::string root, TreeKind kind, int out_fd, const DiffOptions& options,
            std::string lower = {})
      : root_(std::move(root)),
        lower_(std::move(lower)),
        kind_(kind),
        out_fd_(out_fd),
        options_(options),
        buffer_(kCopyBuffer) {}
  // A failed diff leaves its output unfinished: what libarchive still flushes while it frees the
  // writer (the end-of-archive blocks) is dropped. (archive_write_fail would skip the flush but
  // leaks the writer's buffers.)
  ~TarWriter() {
    discard_ = true;
    ar_.reset();
  }

  // SetCopy names the top entry of a kCopy tar; base is the file's name in root_ when the path
  // archived is not a directory ("" when it is root_ itself).
  void SetCopy(std::string top_name, std::string base) {
    top_name_ = std::move(top_name);
    copy_single_ = !base.empty();
    copy_base_ = std::move(base);
  }

  Result<DiffResult> Run() {
    ar_.reset(archive_write_new());
    if (!ar_)
      return Fail(ErrorKind::kResourceExhausted, fmt::format("{}: allocate tar writer", Verb()));
    // pax keeps what ustar cannot hold (long names, big ids, xattrs) and is ustar otherwise.
    if (archive_write_set_format_pax_restricted(ar_.get()) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(ar_.get(), 1) != ARCHIVE_OK ||
        archive_write_open(ar_.get(), this, nullptr, &TarWriter::WriteCallback, nullptr) !=
            ARCHIVE_OK) {
      return Fail(ArchiveError("open tar writer"));
    }
    // A path archived whole may be reached through symlinks (the caller's root confines them).
    const int nofollow = kind_ == TreeKind::kCopy ? 0 : O_NOFOLLOW;
    BERTH_ASSIGN_OR_RETURN(UniqueFd root_fd, sys::Open(root_, O_RDONLY | O_DIRECTORY | nofollow));
    BERTH_ASSIGN_OR_RETURN(struct stat root_st, sys::Fstat(root_fd.get()));
    root_dev_ = root_st.st_dev;
    if (kind_ == TreeKind::kCopy && copy_single_) {
      BERTH_ASSIGN_OR_RETURN(struct stat st,
                             sys::FstatAt(root_fd.get(), copy_base_, AT_SYMLINK_NOFOLLOW));
      if (!S_ISSOCK(st.st_mode)) BERTH_TRY(WriteEntry(root_fd.get(), copy_base_, copy_base_, st));
    } else if (kind_ == TreeKind::kCopy) {
      BERTH_TRY(WriteEntry(-1, "", "", root_st));
      BERTH_TRY(WalkDirectory(root_fd.get(), ""));
    } else if (kind_ == TreeKind::kChanges) {
      BERTH_ASSIGN_OR_RETURN(UniqueFd lower_fd,
                             sys::Open(lower_, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
      BERTH_TRY(WalkChanges(root_fd.get(), lower_fd.get(), ""));
    } else {
      BERTH_TRY(WalkDirectory(root_fd.get(), ""));
    }
    if (archive_write_close(ar_.get()) != ARCHIVE_OK) return Fail(ArchiveError("finish tar"));
    if (write_error_) return Fail(std::move(*write_error_));
    return DiffResult{
        .diff_id = Digest{"sha256", hash_.HexDigest()}, .size = written_, .entries = entries_};
  }

 private:
  std::string_view Verb() const {
    return kind_ == TreeKind::kWholeTree ? "export" : kind_ == TreeKind::kCopy ? "archive" : "diff";
  }

  // TarName is the name in the tar of rel (a path below root_): itself except for kCopy, whose
  // top entry (rel "" or the single file) is top_name_ and whose other entries go below it.
  std::string TarName(const std::string& rel) const {
    if (kind_ != TreeKind::kCopy) return rel;
    if (rel.empty() || copy_single_) return top_name_;
    return (top_name_ == "/" ? "" : top_name_) + "/" + rel;
  }

  static la_ssize_t WriteCallback(archive*, void* self, const void* data, size_t size) {
    auto* w = static_cast<TarWriter*>(self);
    if (w->discard_) return static_cast<la_ssize_t>(size);
    const char* p = static_cast<const char*>(data);
    for (size_t left = size; left > 0;) {
      ssize_t n = write(w->out_fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        w->write_error_ = ErrnoNow(fmt::format("{}: write tar", w->Verb()));
        return -1;
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    w->hash_.Update(std::string_view(static_cast<const char*>(data), size));
    w->written_ += static_cast<int64_t>(size);
    return static_cast<la_ssize_t>(size);
  }

  Error ArchiveError(std::string_view what) {
    if (write_error_) return *write_error_;
    const char* message = archive_error_string(ar_.get());
    return Error(ErrorKind::kInternal, fmt::format("{} {}: {}: {}", Verb(), root_, what,
                                                   message ? message : "unknown error"));
  }

  Status WalkDirectory(int dir_fd, const std::string& prefix) {
    std::string dir_path = root_ + "/" + prefix;
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, SortedNames(dir_fd, dir_path));
    for (const std::string& name : names) {
      BERTH_ASSIGN_OR_RETURN(struct stat st, sys::FstatAt(dir_fd, name, AT_SYMLINK_NOFOLLOW));
      const std::string rel = prefix + name;
      const bool upper = kind_ == TreeKind::kOverlayUpper;
      if (upper && IsOverlayWhiteout(st)) {
        BERTH_TRY(WriteMarker(prefix + WhiteoutName(name), st));
      } else if (S_ISDIR(st.st_mode)) {
        BERTH_TRY(WriteEntry(dir_fd, name, rel, st));
        if (upper && IsOpaque(root_ + "/" + rel))
          BERTH_TRY(WriteMarker(rel + "/" + std::string(kOpaqueMarker), st));
        if (kind_ == TreeKind::kWholeTree && st.st_dev != root_dev_) continue;
        BERTH_ASSIGN_OR_RETURN(UniqueFd child,
                               sys::OpenAt(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
        BERTH_TRY(WalkDirectory(child.get(), rel + "/"));
      } else if (!S_ISSOCK(st.st_mode)) {
        BERTH_TRY(WriteEntry(dir_fd, name, rel, st));
      }
    }
    return {};
  }

  // WalkChanges writes what differs between the directory prefix of the tree (dir_fd) and of the
  // lower tree (lower_fd; -1 when the lower tree has no directory there): entries that are new
  // or changed (StatChanged, or other xattrs or symlink target), a ".wh.NAME" marker for each
  // name only the lower tree has, and every directory with a change below it, as docker's naive
  // differ does, so that applying the diff keeps the directories' metadata.
  Status WalkChanges(int dir_fd, int lower_fd, const std::string& prefix) {
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names,
                           SortedNames(dir_fd, root_ + "/" + prefix));
    std::vector<std::string> lower_names;
    if (lower_fd >= 0) {
      BERTH_ASSIGN_OR_RETURN(lower_names, SortedNames(lower_fd, lower_ + "/" + prefix));
    }
    BERTH_ASSIGN_OR_RETURN(struct stat dir_st, sys::Fstat(dir_fd));
    auto lower_it = lower_names.begin();
    for (const std::string& name : names) {
      for (; lower_it != lower_names.end() && *lower_it < name; ++lower_it) {
        BERTH_TRY(WriteMarker(prefix + WhiteoutName(*lower_it), dir_st));
      }
      const bool in_lower = lower_it != lower_names.end() && *lower_it == name;
      if (in_lower) ++lower_it;
      BERTH_ASSIGN_OR_RETURN(struct stat st, sys::FstatAt(dir_fd, name, AT_SYMLINK_NOFOLLOW));
      if (S_ISSOCK(st.st_mode)) continue;
      const std::string rel = prefix + name;
      std::optional<struct stat> lower_st;
      if (in_lower) {
        BERTH_ASSIGN_OR_RETURN(lower_st, sys::FstatAt(lower_fd, name, AT_SYMLINK_NOFOLLOW));
      }
      BERTH_ASSIGN_OR_RETURN(bool changed, Changed(dir_fd, lower_fd, name, rel, st, lower_st));
      if (!S_ISDIR(st.st_mode)) {
        if (changed) BERTH_TRY(WriteEntry(dir_fd, name, rel, st));
        continue;
      }
      if (changed) {
        BERTH_TRY(WriteEntry(dir_fd, name, rel, st));
      } else {
        pending_dirs_.push_back({rel, st});
      }
      BERTH_ASSIGN_OR_RETURN(UniqueFd child,
                             sys::OpenAt(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
      UniqueFd lower_child;
      if (lower_st && S_ISDIR(lower_st->st_mode)) {
        BERTH_ASSIGN_OR_RETURN(lower_child,
                               sys::OpenAt(lower_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
      }
      BERTH_TRY(WalkChanges(child.get(), lower_child ? lower_child.get() : -1, rel + "/"));
      if (!changed && !pending_dirs_.empty() && pending_dirs_.back().rel == rel) {
        pending_dirs_.pop_back();
      }
    }
    for (; lower_it != lower_names.end(); ++lower_it) {
      BERTH_TRY(WriteMarker(prefix + WhiteoutName(*lower_it), dir_st));
    }
    return {};
  }

  Result<bool> Changed(int dir_fd, int lower_fd, const std::string& name, const std::string& rel,
                       const struct stat& st, const std::optional<struct stat>& lower_st) {
    if (!lower_st || StatChanged(st, *lower_st)) return true;
    if (S_ISLNK(st.st_mode)) {
      BERTH_ASSIGN_OR_RETURN(std::string target, sys::ReadlinkAt(dir_fd, name));
      BERTH_ASSIGN_OR_RETURN(std::string lower_target, sys::ReadlinkAt(lower_fd, name));
      if (target != lower_target) return true;
    }
    BERTH_ASSIGN_OR_RETURN(auto xattrs, Xattrs(root_ + "/" + rel));
    BERTH_ASSIGN_OR_RETURN(auto lower_xattrs, Xattrs(lower_ + "/" + rel));
    return xattrs != lower_xattrs;
  }

  // FlushPendingDirs writes the unchanged directories above an entry about to be written.
  Status FlushPendingDirs() {
    std::vector<PendingDir> dirs = std::move(pending_dirs_);
    pending_dirs_.clear();
    for (const PendingDir& dir : dirs) BERTH_TRY(WriteHeader(-1, "", dir.rel, dir.st));
    return {};
  }

  // WriteMarker writes an empty whiteout entry, owned by root, dated like the thing it marks.
  Status WriteMarker(const std::string& rel, const struct stat& st) {
    BERTH_TRY(FlushPendingDirs());
    EntryPtr entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), rel.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0600);
    archive_entry_set_size(entry.get(), 0);
    archive_entry_set_mtime(entry.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    return Finish(entry.get(), rel);
  }

  Status WriteEntry(int dir_fd, const std::string& name, const std::string& rel,
                    const struct stat& st) {
    BERTH_TRY(FlushPendingDirs());
    return WriteHeader(dir_fd, name, rel, st);
  }

  // WriteHeader writes one entry (dir_fd and name are not used for a directory) and its data.
  Status WriteHeader(int dir_fd, const std::string& name, const std::string& rel,
                     const struct stat& st) {
    EntryPtr entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), TarName(rel).c_str());
    archive_entry_set_mode(entry.get(), st.st_mode);
    archive_entry_set_uid(entry.get(), st.st_uid);
    archive_entry_set_gid(entry.get(), st.st_gid);
    archive_entry_set_mtime(entry.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    BERTH_ASSIGN_OR_RETURN(auto xattrs, Xattrs(root_ + "/" + rel));
    for (const auto& [key, value] : xattrs) {
      archive_entry_xattr_add_entry(entry.get(), key.c_str(), value.data(), value.size());
    }
    bool copy_data = false;
    if (S_ISLNK(st.st_mode)) {
      BERTH_ASSIGN_OR_RETURN(std::string target, sys::ReadlinkAt(dir_fd, name));
      archive_entry_set_symlink(entry.get(), target.c_str());
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      archive_entry_set_rdevmajor(entry.get(), major(st.st_rdev));
      archive_entry_set_rdevminor(entry.get(), minor(st.st_rdev));
    } else if (S_ISREG(st.st_mode)) {
      auto seen =
          st.st_nlink > 1 ? links_.try_emplace({st.st_dev, st.st_ino}, rel).first : links_.end();
      if (seen != links_.end() && seen->second != rel) {
        archive_entry_set_hardlink(entry.get(), TarName(seen->second).c_str());
        archive_entry_set_size(entry.get(), 0);
      } else {
        archive_entry_set_size(entry.get(), st.st_size);
        copy_data = true;
      }
    }
    if (archive_write_header(ar_.get(), entry.get()) != ARCHIVE_OK) {
      return Fail(ArchiveError(fmt::format("write header of {}", rel)));
    }
    if (copy_data) BERTH_TRY(CopyData(dir_fd, name, rel, st.st_size));
    return Finish(nullptr, rel);
  }

  Status CopyData(int dir_fd, const std::string& name, const std::string& rel, int64_t size) {
    BERTH_ASSIGN_OR_RETURN(UniqueFd fd, sys::OpenAt(dir_fd, name, O_RDONLY | O_NOFOLLOW));
    int64_t copied = 0;
    for (;;) {
      ssize_t n = read(fd.get(), buffer_.data(), buffer_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Fail(ErrnoNow(fmt::format("{}: read {}/{}", Verb(), root_, rel)));
      if (n == 0) break;
      copied += n;
      if (copied > size) break;
      if (archive_write_data(ar_.get(), buffer_.data(), static_cast<size_t>(n)) != n) {
        return Fail(ArchiveError(fmt::format("write data of {}", rel)));
      }
    }
    if (copied != size) {
      return Fail(ErrorKind::kConflict,
                  fmt::format("{} {}: {} changed size while being read", Verb(), root_, rel));
    }
    return {};
  }

  // Finish writes a header still pending (markers) and counts the entry and the progress.
  Status Finish(archive_entry* pending, const std::string& rel) {
    if (pending != nullptr && archive_write_header(ar_.get(), pending) != ARCHIVE_OK) {
      return Fail(ArchiveError(fmt::format("write header of {}", rel)));
    }
    ++entries_;
    if (options_.progress) BERTH_TRY(options_.progress(written_));
    return {};
  }

  struct PendingDir {
    std::string rel;
    struct stat st;
  };

  std::string root_;
  std::string lower_;  // kChanges: the tree root_ is compared with
  // kCopy: the name of the top entry, and when it is not a directory, its name in root_.
  std::string top_name_;
  bool copy_single_ = false;
  std::string copy_base_;
  TreeKind kind_;
  dev_t root_dev_ = 0;
  int out_fd_;
  const DiffOptions& options_;
  std::vector<char> buffer_;
  std::unique_ptr<archive, ArchiveDeleter> ar_;
  std::optional<Error> write_error_;
  bool discard_ = false;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
  // kChanges: unchanged directories walked into, outermost first, written before anything below.
  std::vector<PendingDir> pending_dirs_;
  Sha256 hash_;
  int64_t written_ = 0;
  int64_t entries_ = 0;
};

}  // namespace

Result<DiffResult> DiffUpperDir(const std::string& upper_dir, int out_fd,
                                const DiffOptions& options) {
  TarWriter writer(upper_dir, TreeKind::kOverlayUpper, out_fd, options);
  return writer.Run();
}

Result<DiffResult> ExportTree(const std::string& root, int out_fd, const DiffOptions& options) {
  TarWriter writer(root, TreeKind::kWholeTree, out_fd, options);
  return writer.Run();
}

Result<DiffResult> ArchivePath(const std::string& path, const std::string& top_name, int out_fd,
                               const DiffOptions& options) {
  BERTH_ASSIGN_OR_RETURN(struct stat st, sys::FstatAt(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW));
  std::string root = path;
  std::string base;
  if (!S_ISDIR(st.st_mode)) {
    const size_t slash = path.find_last_of('/');
    root = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    base = slash == std::string::npos ? path : path.substr(slash + 1);
  }
  TarWriter writer(root, TreeKind::kCopy, out_fd, options);
  writer.SetCopy(top_name, base);
  return writer.Run();
}

Result<DiffResult> DiffTrees(const std::string& lower, const std::string& upper, int out_fd,
                             const DiffOptions& options) {
  TarWriter writer(upper, TreeKind::kChanges, out_fd, options, lower);
  return writer.Run();
}

}  // namespace berth::image::layer
