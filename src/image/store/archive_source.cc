#include "image/store/archive_source.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <set>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "image/store/unpack.h"
#include "oci/image_layout.h"
#include "sys/fs.h"

namespace berth::image::store {
namespace {

constexpr size_t kChunkSize = 1 << 20;
// A chain of links longer than this is refused (a loop, or a hostile archive).
constexpr int kMaxLinkHops = 40;

struct ReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ReadFree>;

Error ArchiveError(archive* a, std::string_view what) {
  const char* message = archive_error_string(a);
  return Error(ErrorKind::kDataLoss,
               fmt::format("{}: {}", what, message != nullptr ? message : "unknown error"));
}

bool IsIndexFile(std::string_view path) {
  return path == oci::kSaveManifestFile || path == oci::kRepositoriesFile ||
         path == oci::kOciLayoutFile || path == oci::kOciIndexFile;
}

// Docker's legacy per-layer metadata (<v1 id>/json, <v1 id>/VERSION): nothing loads it.
bool IsLegacyMetadata(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view base = path.substr(slash + 1);
  return base == "json" || base == "VERSION";
}

std::string CleanPath(std::string_view raw) {
  std::string path(raw);
  while (path.starts_with("./")) path.erase(0, 2);
  while (path.size() > 1 && path.ends_with('/')) path.pop_back();
  return path;
}

// ExpectedDigest is the digest a path under blobs/ names, if it has the form blobs/<alg>/<hex>.
Result<std::optional<Digest>> ExpectedDigest(const std::string& path) {
  std::vector<std::string> parts = Split(path, '/');
  if (parts.size() != 3 || parts[0] != "blobs") return std::optional<Digest>();
  BERTH_ASSIGN_OR_RETURN(Digest digest, Digest::Parse(parts[1] + ":" + parts[2]));
  return std::optional<Digest>(std::move(digest));
}

// ProgressId names an archive file in progress lines: its digest or v1 id when the path has one.
std::string ProgressId(const std::string& path, const std::optional<Digest>& expected) {
  if (expected) return ShortId(*expected);
  std::string_view id = path;
  if (size_t slash = id.find('/'); slash != std::string_view::npos) id = id.substr(0, slash);
  if (size_t dot = id.find('.'); dot != std::string_view::npos) id = id.substr(0, dot);
  return std::string(id.substr(0, 12));
}

// ResolveLink turns the target of the symbolic link at path into a path inside the archive.
Result<std::string> ResolveLink(const std::string& path, std::string_view target) {
  if (target.starts_with('/')) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("link target \"{}\" leaves the archive", target));
  }
  std::vector<std::string> parts = Split(path, '/');
  parts.pop_back();
  for (const std::string& part : Split(target, '/')) {
    if (part.empty() || part == ".") continue;
    if (part != "..") {
      parts.push_back(part);
      continue;
    }
    if (parts.empty()) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("link target \"{}\" leaves the archive", target));
    }
    parts.pop_back();
  }
  std::string resolved = Join(parts, "/");
  BERTH_TRY(oci::ValidateArchivePath(resolved));
  return resolved;
}

// BlobSink streams one file into the content store. When the path names the blob's digest and
// the store holds that blob already, the bytes are only hashed and compared.
class BlobSink {
 public:
  static Result<BlobSink> Start(ImageStore& store, Lease& lease, const std::string& path) {
    BERTH_ASSIGN_OR_RETURN(std::optional<Digest> expected, ExpectedDigest(path));
    BlobSink sink;
    sink.expected_ = expected;
    if (expected) {
      BERTH_TRY(lease.HoldBlob(*expected));
      BERTH_ASSIGN_OR_RETURN(bool exists, store.content().Exists(*expected));
      if (exists) return sink;
    }
    BERTH_ASSIGN_OR_RETURN(BlobWriter writer, store.NewBlobWriter(lease));
    sink.writer_.emplace(std::move(writer));
    return sink;
  }

  Status Write(std::string_view data) {
    size_ += static_cast<int64_t>(data.size());
    if (writer_) return writer_->Write(data);
    hash_.Update(data);
    return Ok();
  }

  Result<content::Info> Finish() {
    if (writer_) return writer_->Commit(expected_);
    const Digest digest{.algorithm = "sha256", .hex = hash_.HexDigest()};
    if (digest != *expected_) {
      return Fail(ErrorKind::kDataLoss, fmt::format("digest mismatch: content is {}, expected {}",
                                                    digest.String(), expected_->String()));
    }
    return content::Info{.digest = digest, .size = size_};
  }

  const std::optional<Digest>& expected() const { return expected_; }

 private:
  BlobSink() = default;

  std::optional<Digest> expected_;
  std::optional<BlobWriter> writer_;
  Sha256 hash_;
  int64_t size_ = 0;
};

// Copy streams the data of one file from read (which returns the bytes read, 0 at the end) into
// sink. A file whose first byte is not '{' (a JSON document) reports progress as a layer.
template <typename ReadFn>
Result<content::Info> Copy(BlobSink& sink, const std::string& path, int64_t size, ReadFn read,
                           const ProgressSink& progress) {
  std::vector<char> buffer(kChunkSize);
  int64_t done = 0;
  bool layer = false;
  const std::string id = ProgressId(path, sink.expected());
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(size_t n, read(buffer.data(), buffer.size()));
    if (n == 0) break;
    if (done == 0) layer = buffer[0] != '{';
    BERTH_TRY(sink.Write(std::string_view(buffer.data(), n)));
    done += static_cast<int64_t>(n);
    if (layer && progress) {
      BERTH_TRY(
          progress({.action = ProgressAction::kLoading, .id = id, .current = done, .total = size}));
    }
  }
  if (done != size) {
    return Fail(ErrorKind::kDataLoss, fmt::format("truncated: {} of {} bytes", done, size));
  }
  return sink.Finish();
}

class TarSource final : public ArchiveSource {
 public:
  std::optional<std::string> IndexFile(std::string_view name) const override {
    auto it = index_files_.find(std::string(name));
    if (it == index_files_.end()) return std::nullopt;
    return it->second;
  }

  Result<content::Info> Blob(const std::string& path) override {
    std::string at = path;
    for (int hops = 0; hops < kMaxLinkHops; ++hops) {
      if (auto blob = blobs_.find(at); blob != blobs_.end()) return blob->second;
      auto link = links_.find(at);
      if (link == links_.end()) break;
      at = link->second;
    }
    return Fail(ErrorKind::kNotFound, fmt::format("{}: not in the archive", path));
  }

  Status Read(ImageStore& store, Lease& lease, archive* a, const ProgressSink& progress) {
    for (;;) {
      archive_entry* entry = nullptr;
      int rc = archive_read_next_header(a, &entry);
      if (rc == ARCHIVE_EOF) return Ok();
      if (rc < ARCHIVE_WARN) return Fail(ArchiveError(a, "read archive"));
      const char* raw = archive_entry_pathname(entry);
      if (raw == nullptr) return Fail(ErrorKind::kInvalidArgument, "entry without a name");
      BERTH_TRY(
          Annotate(Entry(store, lease, a, entry, raw, progress), fmt::format("entry \"{}\"", raw)));
    }
  }

 private:
  Status Entry(ImageStore& store, Lease& lease, archive* a, archive_entry* entry,
               std::string_view raw, const ProgressSink& progress) {
    const std::string path = CleanPath(raw);
    if (path == "." || path.empty()) return Ok();  // the archive's root directory
    BERTH_TRY(oci::ValidateArchivePath(path));
    if (const char* target = archive_entry_hardlink(entry); target != nullptr) {
      std::string resolved = CleanPath(target);
      BERTH_TRY(oci::ValidateArchivePath(resolved));
      links_[path] = std::move(resolved);
      return Ok();
    }
    switch (archive_entry_filetype(entry)) {
      case AE_IFDIR:
        return Ok();
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(entry);
        BERTH_ASSIGN_OR_RETURN(links_[path], ResolveLink(path, target != nullptr ? target : ""));
        return Ok();
      }
      case AE_IFREG:
        break;
      default:
        return Fail(ErrorKind::kInvalidArgument, "not a file, directory or link");
    }
    const int64_t size = archive_entry_size(entry);
    auto read = [a](char* buffer, size_t capacity) -> Result<size_t> {
      la_ssize_t n = archive_read_data(a, buffer, capacity);
      if (n < 0) return Fail(ArchiveError(a, "read"));
      return static_cast<size_t>(n);
    };
    if (IsLegacyMetadata(path)) return Ok();
    if (IsIndexFile(path)) {
      if (size > kMaxIndexFileSize) {
        return Fail(ErrorKind::kResourceExhausted,
                    fmt::format("{} bytes, more than the {} read of an index file", size,
                                kMaxIndexFileSize));
      }
      std::string data(static_cast<size_t>(size), '\0');
      size_t done = 0;
      while (done < data.size()) {
        BERTH_ASSIGN_OR_RETURN(size_t n, read(data.data() + done, data.size() - done));
        if (n == 0) return Fail(ErrorKind::kDataLoss, "truncated");
        done += n;
      }
      index_files_[path] = std::move(data);
      return Ok();
    }
    BERTH_ASSIGN_OR_RETURN(BlobSink sink, BlobSink::Start(store, lease, path));
    BERTH_ASSIGN_OR_RETURN(blobs_[path], Copy(sink, path, size, read, progress));
    return Ok();
  }

  std::map<std::string, std::string> index_files_;
  std::map<std::string, content::Info> blobs_;
  std::map<std::string, std::string> links_;
};

Result<std::string> ReadIndexFile(int fd, const std::string& what) {
  BERTH_ASSIGN_OR_RETURN(struct stat st, sys::Fstat(fd));
  if (!S_ISREG(st.st_mode)) return Fail(ErrorKind::kInvalidArgument, what + ": not a file");
  if (st.st_size > kMaxIndexFileSize) {
    return Fail(ErrorKind::kResourceExhausted, what + ": too large for an index file");
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = read(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrnoNow("read " + what));
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  data.resize(done);
  return data;
}

class DirSource final : public ArchiveSource {
 public:
  DirSource(ImageStore& store, Lease& lease, std::string dir, UniqueFd dir_fd,
            ProgressSink progress)
      : store_(store),
        lease_(lease),
        dir_(std::move(dir)),
        dir_fd_(std::move(dir_fd)),
        progress_(std::move(progress)) {}

  std::optional<std::string> IndexFile(std::string_view name) const override {
    auto it = index_files_.find(std::string(name));
    if (it == index_files_.end()) return std::nullopt;
    return it->second;
  }

  Result<content::Info> Blob(const std::string& path) override {
    if (auto it = blobs_.find(path); it != blobs_.end()) return it->second;
    BERTH_TRY(oci::ValidateArchivePath(path));
    BERTH_ASSIGN_OR_RETURN(content::Info info,
                           Annotate(Copy(path), fmt::format("{}/{}", dir_, path)));
    blobs_[path] = info;
    return info;
  }

  Status ReadIndexFiles() {
    for (std::string_view name : {oci::kSaveManifestFile, oci::kRepositoriesFile,
                                  oci::kOciLayoutFile, oci::kOciIndexFile}) {
      const std::string path = fmt::format("{}/{}", dir_, name);
      Result<UniqueFd> fd = OpenBeneath(std::string(name));
      if (!fd && fd.error().kind() == ErrorKind::kNotFound) continue;
      if (!fd) return Fail(std::move(fd).error().Wrap("open " + path));
      BERTH_ASSIGN_OR_RETURN(index_files_[std::string(name)], ReadIndexFile(fd->get(), path));
    }
    return Ok();
  }

 private:
  // Blobs are opened beneath the directory: no link inside it leads out.
  Result<UniqueFd> OpenBeneath(const std::string& path) const {
    return sys::OpenAt2(dir_fd_.get(), path, O_RDONLY | O_CLOEXEC,
                        RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
  }

  Result<content::Info> Copy(const std::string& path) {
    BERTH_ASSIGN_OR_RETURN(BlobSink sink, BlobSink::Start(store_, lease_, path));
    if (sink.expected()) {
      // Held by the lease now; the store's copy serves and the file is not read.
      Result<content::Info> held = store_.content().Stat(*sink.expected());
      if (held) return held;
    }
    BERTH_ASSIGN_OR_RETURN(UniqueFd fd, OpenBeneath(path));
    BERTH_ASSIGN_OR_RETURN(struct stat st, sys::Fstat(fd.get()));
    if (!S_ISREG(st.st_mode)) return Fail(ErrorKind::kInvalidArgument, "not a file");
    auto read_fd = [&fd, &path](char* buffer, size_t capacity) -> Result<size_t> {
      for (;;) {
        ssize_t n = read(fd.get(), buffer, capacity);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Fail(ErrnoNow("read " + path));
        return static_cast<size_t>(n);
      }
    };
    return store::Copy(sink, path, st.st_size, read_fd, progress_);
  }

  ImageStore& store_;
  Lease& lease_;
  std::string dir_;
  UniqueFd dir_fd_;
  ProgressSink progress_;
  std::map<std::string, std::string> index_files_;
  std::map<std::string, content::Info> blobs_;
};

}  // namespace

std::string BlobPathOf(const Digest& digest) {
  return fmt::format("blobs/{}/{}", digest.algorithm, digest.hex);
}

Result<std::unique_ptr<ArchiveSource>> ReadTarArchive(ImageStore& store, Lease& lease, int fd,
                                                      const ProgressSink& progress) {
  ArchivePtr a(archive_read_new());
  if (!a) return Fail(ErrorKind::kResourceExhausted, "read archive: out of memory");
  archive_read_support_format_tar(a.get());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_bzip2(a.get());
  if (archive_read_open_fd(a.get(), fd, kChunkSize) != ARCHIVE_OK) {
    return Fail(ArchiveError(a.get(), "read archive"));
  }
  auto source = std::make_unique<TarSource>();
  BERTH_TRY(source->Read(store, lease, a.get(), progress));
  return std::unique_ptr<ArchiveSource>(std::move(source));
}

Result<std::unique_ptr<ArchiveSource>> OpenLayoutDir(ImageStore& store, Lease& lease,
                                                     const std::string& dir,
                                                     const ProgressSink& progress) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd dir_fd, sys::Open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto source = std::make_unique<DirSource>(store, lease, dir, std::move(dir_fd), progress);
  BERTH_TRY(source->ReadIndexFiles());
  return std::unique_ptr<ArchiveSource>(std::move(source));
}

}  // namespace berth::image::store
