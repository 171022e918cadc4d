#include "cli/local_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "base/scope_exit.h"
#include "base/unique_fd.h"
#include "cli/copy_paths.h"

namespace berth::cli {
namespace {

struct WriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct ReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using WritePtr = std::unique_ptr<archive, WriteFree>;
using ReadPtr = std::unique_ptr<archive, ReadFree>;
using EntryPtr = std::unique_ptr<archive_entry, EntryFree>;

Error ArchiveError(archive* a, std::string_view what) {
  const char* message = archive_error_string(a);
  return Error(ErrorKind::kInternal,
               std::string(what) + ": " + (message != nullptr ? message : "unknown error"));
}

Result<std::vector<std::string>> SortedNames(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return Fail(ErrnoNow("open " + dir));
  ScopeExit close_dir([d] { closedir(d); });
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  if (errno != 0) return Fail(ErrnoNow("read " + dir));
  std::sort(names.begin(), names.end());
  return names;
}

// LocalTar walks a local tree and writes its entries.
class LocalTar {
 public:
  LocalTar(archive* out, archive* disk, const EntryRename& rename)
      : out_(out), disk_(disk), rename_(rename) {}

  // Add writes the file at path as name, and a directory's content below it.
  Status Add(const std::string& path, const std::string& name) {
    struct stat st {};
    if (lstat(path.c_str(), &st) < 0) return Fail(ErrnoNow("lstat " + path));
    if (S_ISSOCK(st.st_mode)) return Ok();
    EntryPtr entry(archive_entry_new());
    archive_entry_copy_sourcepath(entry.get(), path.c_str());
    if (archive_read_disk_entry_from_file(disk_, entry.get(), -1, &st) != ARCHIVE_OK) {
      return Fail(ArchiveError(disk_, "read " + path));
    }
    std::string tar_name = rename_ ? rename_(name) : name;
    if (S_ISDIR(st.st_mode) && tar_name.back() != '/') tar_name += '/';
    archive_entry_set_pathname(entry.get(), tar_name.c_str());
    bool data = S_ISREG(st.st_mode);
    if (data && st.st_nlink > 1) {
      auto [it, first] = links_.try_emplace({st.st_dev, st.st_ino}, tar_name);
      if (!first) {
        archive_entry_set_hardlink(entry.get(), it->second.c_str());
        archive_entry_set_size(entry.get(), 0);
        data = false;
      }
    }
    if (archive_write_header(out_, entry.get()) != ARCHIVE_OK) {
      return Fail(ArchiveError(out_, "write " + tar_name));
    }
    if (data) BERTH_TRY(CopyData(path));
    if (!S_ISDIR(st.st_mode)) return Ok();
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, SortedNames(path));
    for (const std::string& child : names) {
      BERTH_TRY(Add(path + "/" + child, (name == "/" ? "" : name) + "/" + child));
    }
    return Ok();
  }

 private:
  Status CopyData(const std::string& path) {
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return Fail(ErrnoNow("open " + path));
    std::vector<char> buffer(1 << 20);
    for (;;) {
      ssize_t n = read(fd.get(), buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Fail(ErrnoNow("read " + path));
      if (n == 0) return Ok();
      if (archive_write_data(out_, buffer.data(), static_cast<size_t>(n)) != n) {
        return Fail(ArchiveError(out_, "write " + path));
      }
    }
  }

  archive* out_;
  archive* disk_;
  const EntryRename& rename_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

struct ReadContext {
  const ReadFn* read;
  std::vector<char> buffer = std::vector<char>(1 << 20);
  std::optional<Error> error;
};

la_ssize_t ReadCallback(archive* a, void* client, const void** data) {
  auto* context = static_cast<ReadContext*>(client);
  Result<size_t> n = (*context->read)(context->buffer.data(), context->buffer.size());
  if (!n) {
    archive_set_error(a, EIO, "%s", n.error().message().c_str());
    context->error = std::move(n).error();
    return -1;
  }
  *data = context->buffer.data();
  return static_cast<la_ssize_t>(*n);
}

// Inside says whether a cleaned relative name stays in the directory.
bool Inside(const std::string& name) { return name != ".." && name.rfind("../", 0) != 0; }

// CheckEntry cleans the entry's names (relative to the extraction directory) and refuses what
// would lead out of it or replace a directory by a non-directory or back (docker's
// NoOverwriteDirNonDir), naming the paths under dir as docker does.
Status CheckEntry(archive_entry* entry, const std::string& dir) {
  const char* raw = archive_entry_pathname(entry);
  const std::string name = GoClean(std::string("./") + (raw != nullptr ? raw : ""));
  const std::string path = GoClean(dir + "/" + name);
  if (!Inside(name)) {
    return Fail(ErrorKind::kInvalidArgument,
                "\"" + std::string(raw) + "\" is outside of \"" + dir + "\"");
  }
  archive_entry_set_pathname(entry, name.c_str());
  if (const char* link = archive_entry_hardlink(entry)) {
    const std::string target = GoClean(std::string("./") + link);
    if (!Inside(target)) {
      return Fail(ErrorKind::kInvalidArgument,
                  "invalid hardlink \"" + path + "\" -> \"" + std::string(link) + "\"");
    }
    archive_entry_set_hardlink(entry, target.c_str());
  } else if (archive_entry_filetype(entry) == AE_IFLNK) {
    const char* symlink = archive_entry_symlink(entry);
    const std::string target = GoClean(GoDir(name) + "/" + (symlink != nullptr ? symlink : ""));
    if (symlink != nullptr && symlink[0] != '/' && !Inside(target)) {
      return Fail(ErrorKind::kInvalidArgument,
                  "invalid symlink \"" + path + "\" -> \"" + std::string(symlink) + "\"");
    }
  }
  struct stat st {};
  if (name != "." && lstat(name.c_str(), &st) == 0) {
    const bool new_dir = archive_entry_filetype(entry) == AE_IFDIR;
    if (S_ISDIR(st.st_mode) && !new_dir) {
      return Fail(ErrorKind::kInvalidArgument,
                  "cannot overwrite directory \"" + path + "\" with non-directory \"" + dir + "\"");
    }
    if (!S_ISDIR(st.st_mode) && new_dir) {
      return Fail(ErrorKind::kInvalidArgument,
                  "cannot overwrite non-directory \"" + path + "\" with directory \"" + dir + "\"");
    }
  }
  return Ok();
}

Status ExtractEntries(archive* in, archive* out, ReadContext& context, const std::string& dir,
                      const EntryRename& rename) {
  for (;;) {
    archive_entry* entry = nullptr;
    const int rc = archive_read_next_header(in, &entry);
    if (rc == ARCHIVE_EOF) return Ok();
    if (rc < ARCHIVE_WARN) {
      if (context.error) return Fail(*context.error);
      return Fail(ArchiveError(in, "read tar"));
    }
    if (rename) {
      archive_entry_set_pathname(entry, rename(archive_entry_pathname(entry)).c_str());
      if (const char* link = archive_entry_hardlink(entry)) {
        archive_entry_set_hardlink(entry, rename(link).c_str());
      }
    }
    BERTH_TRY(CheckEntry(entry, dir));
    // The destination directory itself keeps its metadata, as docker's Untar leaves it.
    if (std::string_view(archive_entry_pathname(entry)) == ".") continue;
    if (archive_write_header(out, entry) < ARCHIVE_WARN) {
      return Fail(ArchiveError(out, std::string("extract ") + archive_entry_pathname(entry)));
    }
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    for (;;) {
      const int r = archive_read_data_block(in, &block, &size, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) return Fail(ArchiveError(in, "read tar"));
      if (archive_write_data_block(out, block, size, offset) < ARCHIVE_WARN) {
        return Fail(ArchiveError(out, std::string("extract ") + archive_entry_pathname(entry)));
      }
    }
    if (archive_write_finish_entry(out) < ARCHIVE_WARN) {
      return Fail(ArchiveError(out, std::string("extract ") + archive_entry_pathname(entry)));
    }
  }
}

}  // namespace

Error GoPathError(std::string_view op, const std::string& path) {
  const int err = errno;
  std::string text = std::strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return Error(Errno(err, "").kind(), std::string(op) + " " + path + ": " + text, err);
}

Status TarLocal(const std::string& path, const std::string& rebase_name, const EntryRename& rename,
                int out_fd) {
  struct stat st {};
  if (lstat(path.c_str(), &st) < 0) return Fail(GoPathError("lstat", path));
  const DirEntry parts = SplitPathDirEntry(path);
  WritePtr out(archive_write_new());
  ReadPtr disk(archive_read_disk_new());
  if (!out || !disk) return Fail(ErrorKind::kResourceExhausted, "allocate tar writer");
  archive_read_disk_set_standard_lookup(disk.get());
  if (archive_write_set_format_pax_restricted(out.get()) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(out.get(), 1) != ARCHIVE_OK ||
      archive_write_open_fd(out.get(), out_fd) != ARCHIVE_OK) {
    return Fail(ArchiveError(out.get(), "open tar writer"));
  }
  LocalTar tar(out.get(), disk.get(), rename);
  const std::string top = rebase_name.empty() ? parts.base : rebase_name;
  BERTH_TRY(tar.Add(parts.dir + "/" + parts.base, top));
  if (archive_write_close(out.get()) != ARCHIVE_OK) {
    return Fail(ArchiveError(out.get(), "finish tar"));
  }
  return Ok();
}

Status UntarLocal(const ReadFn& read, const std::string& dir, const EntryRename& rename) {
  UniqueFd cwd(open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!cwd) return Fail(ErrnoNow("open the working directory"));
  if (chdir(dir.c_str()) < 0) return Fail(ErrnoNow("chdir " + dir));
  ScopeExit back([&] { (void)fchdir(cwd.get()); });
  ReadPtr in(archive_read_new());
  WritePtr out(archive_write_disk_new());
  if (!in || !out) return Fail(ErrorKind::kResourceExhausted, "allocate tar reader");
  archive_write_disk_set_options(
      out.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                     ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
  ReadContext context{.read = &read};
  if (archive_read_support_format_tar(in.get()) != ARCHIVE_OK ||
      archive_read_support_filter_all(in.get()) != ARCHIVE_OK ||
      archive_read_open(in.get(), &context, nullptr, ReadCallback, nullptr) != ARCHIVE_OK) {
    if (context.error) return Fail(*context.error);
    return Fail(ArchiveError(in.get(), "read tar"));
  }
  BERTH_TRY(ExtractEntries(in.get(), out.get(), context, dir, rename));
  if (archive_write_close(out.get()) != ARCHIVE_OK) {
    return Fail(ArchiveError(out.get(), "finish extraction"));
  }
  return Ok();
}

}  // namespace berth::cli
