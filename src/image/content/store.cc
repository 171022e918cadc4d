#include "image/content/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>

#include "base/file.h"

namespace berth::image::content {
namespace {

constexpr std::string_view kAlgorithm = "sha256";
constexpr size_t kReadChunk = 64 * 1024;
// The writeback of an ingest starts each time this many more bytes have been written.
constexpr int64_t kWritebackStep = 8 << 20;

Status FsyncDir(const std::string& dir) {
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return Fail(ErrnoNow("open " + dir));
  if (fsync(fd.get()) != 0) return Fail(ErrnoNow("fsync " + dir));
  return Ok();
}

// ListDir returns the names in dir other than "." and "..".
Result<std::vector<std::string>> ListDir(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return Fail(ErrnoNow("open directory " + dir));
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* entry = readdir(d)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  int err = errno;
  closedir(d);
  if (err != 0) return Fail(Errno(err, "read directory " + dir));
  return names;
}

}  // namespace

Writer::Writer(std::string blobs_dir, std::string ingest_path, UniqueFd fd,
               std::function<void(CommitStep)> hook)
    : blobs_dir_(std::move(blobs_dir)),
      ingest_path_(std::move(ingest_path)),
      fd_(std::move(fd)),
      hook_(std::move(hook)) {}

Writer::~Writer() { Abort(); }

void Writer::Abort() {
  if (!fd_) return;
  fd_.Reset();
  unlink(ingest_path_.c_str());
}

const Digest& Writer::digest() {
  if (!digest_) digest_ = Digest{std::string(kAlgorithm), hash_.HexDigest()};
  return *digest_;
}

Status Writer::Write(std::string_view data) {
  if (!fd_ || digest_)
    return Fail(ErrorKind::kFailedPrecondition, "write " + ingest_path_ + ": writer is finished");
  hash_.Update(data);
  while (!data.empty()) {
    ssize_t n = write(fd_.get(), data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrnoNow("write " + ingest_path_));
    data.remove_prefix(static_cast<size_t>(n));
    offset_ += n;
  }
  if (offset_ - written_back_ >= kWritebackStep) {
    // Only a start (sync_file_range(2) waits for nothing here); a failed write shows in Commit's
    // fsync.
    (void)sync_file_range(fd_.get(), written_back_, offset_ - written_back_, SYNC_FILE_RANGE_WRITE);
    written_back_ = offset_;
  }
  return Ok();
}

Status Writer::Commit(int64_t expected_size, const Digest& expected_digest) {
  if (!fd_)
    return Fail(ErrorKind::kFailedPrecondition, "commit " + ingest_path_ + ": writer is finished");
  Status status = Finish(expected_size, expected_digest);
  Abort();
  return Annotate(std::move(status), "commit blob " + expected_digest.String());
}

Status Writer::Finish(int64_t expected_size, const Digest& expected_digest) {
  if (expected_digest.algorithm != kAlgorithm) {
    return Fail(ErrorKind::kInvalidArgument, "the content store holds sha256 blobs only");
  }
  if (fsync(fd_.get()) != 0) return Fail(ErrnoNow("fsync " + ingest_path_));
  if (hook_) hook_(CommitStep::kSynced);
  if (offset_ != expected_size) {
    return Fail(ErrorKind::kDataLoss, "size " + std::to_string(offset_) +
                                          " does not match the expected size " +
                                          std::to_string(expected_size));
  }
  const Digest& actual = digest();
  if (actual != expected_digest) {
    return Fail(ErrorKind::kDataLoss, "content digest " + actual.String() +
                                          " does not match the expected digest " +
                                          expected_digest.String());
  }
  if (hook_) hook_(CommitStep::kVerified);
  if (fchmod(fd_.get(), 0444) != 0) return Fail(ErrnoNow("chmod " + ingest_path_));
  std::string blob = blobs_dir_ + "/" + expected_digest.hex;
  if (renameat2(AT_FDCWD, ingest_path_.c_str(), AT_FDCWD, blob.c_str(), RENAME_NOREPLACE) == 0) {
    fd_.Reset();  // the ingest is the blob now; Commit must not remove it
  } else if (errno != EEXIST) {
    return Fail(ErrnoNow("rename " + ingest_path_ + " to " + blob));
  }
  // On EEXIST another writer committed the same content first: its blob stays, and Commit
  // removes this ingest. Its rename may not be durable yet, hence the fsync either way.
  if (hook_) hook_(CommitStep::kRenamed);
  return FsyncDir(blobs_dir_);
}

Store::Store(std::string root, StoreOptions options)
    : root_(std::move(root)), options_(std::move(options)) {}

Result<Store> Store::Create(std::string root, StoreOptions options) {
  BERTH_TRY(MakeDirs(root + "/blobs/sha256"));
  BERTH_TRY(MakeDirs(root + "/ingest"));
  return Store(std::move(root), std::move(options));
}

std::string Store::BlobPath(const Digest& digest) const {
  return root_ + "/blobs/" + digest.algorithm + "/" + digest.hex;
}

Status Store::CheckAlgorithm(const Digest& digest) const {
  if (digest.algorithm == kAlgorithm) return Ok();
  return Fail(ErrorKind::kInvalidArgument,
              "blob " + digest.String() + ": the content store holds sha256 blobs only");
}

Result<Writer> Store::NewWriter() const {
  std::string path = root_ + "/ingest/XXXXXX";
  UniqueFd fd(mkostemp(path.data(), O_CLOEXEC));
  if (!fd) return Fail(ErrnoNow("create ingest file " + path));
  return Writer(root_ + "/blobs/sha256", std::move(path), std::move(fd),
                options_.after_commit_step);
}

Result<bool> Store::Exists(const Digest& digest) const {
  Result<Info> info = Stat(digest);
  if (info) return true;
  if (info.error().kind() == ErrorKind::kNotFound) return false;
  return Fail(std::move(info).error());
}

Result<Info> Store::Stat(const Digest& digest) const {
  BERTH_TRY(CheckAlgorithm(digest));
  struct stat st {};
  std::string path = BlobPath(digest);
  if (stat(path.c_str(), &st) != 0) return Fail(ErrnoNow("stat blob " + path));
  return Info{digest, static_cast<int64_t>(st.st_size)};
}

Result<UniqueFd> Store::Open(const Digest& digest) const {
  BERTH_TRY(CheckAlgorithm(digest));
  std::string path = BlobPath(digest);
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Fail(ErrnoNow("open blob " + path));
  return fd;
}

Result<std::vector<Digest>> Store::List() const {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(root_ + "/blobs/sha256"));
  std::sort(names.begin(), names.end());
  std::vector<Digest> digests;
  for (const std::string& name : names) {
    // Only names that are digests are blobs; anything else was not put there by a Writer.
    if (Result<Digest> d = Digest::Parse("sha256:" + name)) digests.push_back(std::move(*d));
  }
  return digests;
}

Status Store::Delete(const Digest& digest) const {
  BERTH_TRY(CheckAlgorithm(digest));
  std::string path = BlobPath(digest);
  if (unlink(path.c_str()) != 0) return Fail(ErrnoNow("delete blob " + path));
  return Ok();
}

Status Store::Verify(const Digest& digest) const {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, Open(digest));
  Sha256 hash;
  std::string buf(kReadChunk, '\0');
  while (true) {
    ssize_t n = read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrnoNow("read blob " + BlobPath(digest)));
    if (n == 0) break;
    hash.Update(std::string_view(buf.data(), static_cast<size_t>(n)));
  }
  Digest actual{std::string(kAlgorithm), hash.HexDigest()};
  if (actual == digest) return Ok();
  return Fail(ErrorKind::kDataLoss,
              "verify blob " + digest.String() + ": content hashes to " + actual.String());
}

Status Store::CleanIngests() const {
  std::string dir = root_ + "/ingest";
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir));
  for (const std::string& name : names) {
    std::string path = dir + "/" + name;
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Fail(ErrnoNow("remove ingest " + path));
    }
  }
  return Ok();
}

}  // namespace berth::image::content
