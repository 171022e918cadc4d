#include "image/layer/apply.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/sysmacros.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <system_error>
#include <thread>

#include "image/layer/entry_name.h"
#include "image/layer/layer_stream.h"
#include "sys/fs.h"

namespace berth::image::layer {
namespace {

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

// The bridge from libarchive's read callback to the stream. An error of the stream (read,
// decompression, progress) is kept here, so it is reported rather than libarchive's view of it.
struct ReadContext {
  LayerStream* stream = nullptr;
  std::optional<Error> error;
};

la_ssize_t ReadCallback(archive* a, void* client, const void** buffer) {
  auto* context = static_cast<ReadContext*>(client);
  Result<std::string_view> chunk = context->stream->Next();
  if (!chunk) {
    archive_set_error(a, EIO, "%s", chunk.error().message().c_str());
    context->error = std::move(chunk).error();
    return -1;
  }
  *buffer = chunk->data();
  return static_cast<la_ssize_t>(chunk->size());
}

Error TarError(archive* a, ReadContext& context) {
  if (context.error) return *context.error;
  const char* message = archive_error_string(a);
  return Error(ErrorKind::kDataLoss,
               std::string("read tar: ") + (message != nullptr ? message : "unknown error"));
}

class ArchiveData : public EntryData {
 public:
  ArchiveData(archive* a, ReadContext& context) : archive_(a), context_(context) {}

  Result<Block> Next() override {
    const void* data = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int rc = archive_read_data_block(archive_, &data, &size, &offset);
    if (rc == ARCHIVE_EOF) return Block{};
    if (rc < ARCHIVE_WARN) return Fail(TarError(archive_, context_));
    return Block{static_cast<const char*>(data), size, offset};
  }

 private:
  archive* archive_;
  ReadContext& context_;
};

Result<uint32_t> OwnerId(la_int64_t id, std::string_view what) {
  // (uid_t)-1 means "unchanged" to chown, so it is no owner either.
  if (id < 0 || id >= static_cast<la_int64_t>(UINT32_MAX)) {
    return Fail(ErrorKind::kInvalidArgument,
                std::string(what) + " " + std::to_string(id) + " out of range");
  }
  return static_cast<uint32_t>(id);
}

Result<EntryType> TypeOf(archive_entry* ae) {
  switch (archive_entry_filetype(ae)) {
    case AE_IFREG:
      return EntryType::kFile;
    case AE_IFDIR:
      return EntryType::kDirectory;
    case AE_IFLNK:
      return EntryType::kSymlink;
    case AE_IFCHR:
      return EntryType::kCharDevice;
    case AE_IFBLK:
      return EntryType::kBlockDevice;
    case AE_IFIFO:
      return EntryType::kFifo;
    case AE_IFSOCK:
      return Fail(ErrorKind::kInvalidArgument, "unsupported entry type: socket");
    default:
      return Fail(ErrorKind::kInvalidArgument, "unsupported entry type");
  }
}

// FillEntry converts libarchive's entry, checking what the tar may not say.
Status FillEntry(archive_entry* ae, Entry& entry) {
  BERTH_ASSIGN_OR_RETURN(entry.name, CleanEntryName(entry.raw_name));
  if (const char* hardlink = archive_entry_hardlink(ae)) {
    entry.type = EntryType::kHardlink;
    Result<std::string> target = CleanEntryName(hardlink);
    if (!target) {
      return Fail(ErrorKind::kInvalidArgument,
                  "hardlink target " + QuoteName(hardlink) + " leaves the layer");
    }
    entry.link = std::move(*target);
  } else {
    BERTH_ASSIGN_OR_RETURN(entry.type, TypeOf(ae));
    entry.link.clear();
    if (entry.type == EntryType::kSymlink) {
      const char* target = archive_entry_symlink(ae);
      if (target == nullptr) target = archive_entry_symlink_utf8(ae);
      if (target == nullptr || *target == '\0') {
        return Fail(ErrorKind::kInvalidArgument, "symlink without a target");
      }
      entry.link = target;
    }
  }
  entry.mode = archive_entry_perm(ae) & 07777;
  BERTH_ASSIGN_OR_RETURN(entry.uid, OwnerId(archive_entry_uid(ae), "uid"));
  BERTH_ASSIGN_OR_RETURN(entry.gid, OwnerId(archive_entry_gid(ae), "gid"));
  entry.mtime = archive_entry_mtime_is_set(ae)
                    ? timespec{archive_entry_mtime(ae), archive_entry_mtime_nsec(ae)}
                    : timespec{0, UTIME_OMIT};
  entry.atime = archive_entry_atime_is_set(ae)
                    ? timespec{archive_entry_atime(ae), archive_entry_atime_nsec(ae)}
                    : entry.mtime;
  entry.rdev = makedev(archive_entry_rdevmajor(ae), archive_entry_rdevminor(ae));
  entry.size = archive_entry_size(ae);
  entry.xattrs.clear();
  archive_entry_xattr_reset(ae);
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_entry_xattr_next(ae, &name, &value, &size) == ARCHIVE_OK) {
    entry.xattrs.emplace_back(name, std::string(static_cast<const char*>(value), size));
  }
  return Ok();
}

Status CheckExpected(const std::optional<Digest>& digest) {
  if (digest && digest->algorithm != "sha256") {
    return Fail(ErrorKind::kInvalidArgument,
                "expected digest " + digest->String() + ": only sha256 is supported");
  }
  return Ok();
}

Status Verify(std::string_view what, const Digest& actual, const std::optional<Digest>& expected) {
  if (!expected || *expected == actual) return Ok();
  return Fail(ErrorKind::kDataLoss, std::string(what) + " " + actual.String() +
                                        " does not match the expected " + expected->String());
}

Result<int64_t> ApplyEntries(archive* a, ReadContext& context, TreeWriter& writer) {
  Entry entry;
  ArchiveData data(a, context);
  int64_t entries = 0;
  while (true) {
    archive_entry* ae = nullptr;
    int rc = archive_read_next_header(a, &ae);
    if (rc == ARCHIVE_EOF) return entries;
    if (rc < ARCHIVE_WARN) return Fail(TarError(a, context));
    const char* raw = archive_entry_pathname(ae);
    if (raw == nullptr) raw = archive_entry_pathname_utf8(ae);
    if (raw == nullptr) return Fail(ErrorKind::kInvalidArgument, "entry without a usable name");
    entry.raw_name = raw;
    Status status = FillEntry(ae, entry);
    if (status) status = writer.Write(entry, data);
    if (!status) return Fail(std::move(status).error().Wrap("entry " + QuoteName(raw)));
    ++entries;
  }
}

Result<ApplyResult> ApplyLayer(int input_fd, const std::string& dir, const ApplyOptions& options) {
  BERTH_TRY(CheckExpected(options.expected_digest));
  BERTH_TRY(CheckExpected(options.expected_diff_id));
  BERTH_ASSIGN_OR_RETURN(UniqueFd root, sys::Open(dir, O_PATH | O_DIRECTORY));
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<LayerStream> stream,
                         LayerStream::Start(input_fd, options.progress));
  ArchivePtr a(archive_read_new());
  if (!a) return Fail(ErrorKind::kResourceExhausted, "create tar reader");
  ReadContext context{stream.get(), std::nullopt};
  if (archive_read_support_format_tar(a.get()) != ARCHIVE_OK ||
      archive_read_open(a.get(), &context, nullptr, ReadCallback, nullptr) != ARCHIVE_OK) {
    return Fail(TarError(a.get(), context));
  }
  TreeWriter writer(root.get(), {.whiteouts = options.whiteouts,
                                 .same_owner = options.same_owner,
                                 .owner = options.owner,
                                 .no_overwrite_dir_non_dir = options.no_overwrite_dir_non_dir});
  BERTH_ASSIGN_OR_RETURN(int64_t entries, ApplyEntries(a.get(), context, writer));
  BERTH_TRY(writer.Finish());
  BERTH_TRY(stream->Drain());
  ApplyResult result{stream->digest(),          stream->diff_id(), stream->compression(),
                     stream->compressed_size(), stream->size(),    entries};
  BERTH_TRY(Verify("digest", result.digest, options.expected_digest));
  BERTH_TRY(Verify("diff id", result.diff_id, options.expected_diff_id));
  return result;
}

}  // namespace

Result<ApplyResult> Apply(int input_fd, const std::string& dir, const ApplyOptions& options) {
  return Annotate(ApplyLayer(input_fd, dir, options), "apply layer");
}

std::vector<Result<ApplyResult>> ApplyParallel(const std::vector<LayerJob>& jobs, size_t parallel) {
  std::vector<Result<ApplyResult>> results(jobs.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&] {
    for (size_t i = next++; i < jobs.size(); i = next++) {
      if (failed) {
        results[i] = Fail(ErrorKind::kCancelled, "apply layer: not started after another failed");
        continue;
      }
      results[i] = Apply(jobs[i].input_fd, jobs[i].dir, jobs[i].options);
      if (!results[i]) failed = true;
    }
  };
  std::vector<std::thread> threads;
  size_t extra = std::min(std::max<size_t>(parallel, 1), jobs.size());
  for (size_t i = 1; i < extra; ++i) {
    try {
      threads.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // fewer threads; the calling thread still does the rest
    }
  }
  work();
  for (std::thread& t : threads) t.join();
  return results;
}

}  // namespace berth::image::layer
