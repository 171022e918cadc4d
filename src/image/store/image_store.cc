#include "image/store/image_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <thread>
#include <utility>

#include "base/file.h"
#include "base/log.h"
#include "base/scope_exit.h"
#include "image/snapshot/native.h"
#include "image/snapshot/overlay.h"
#include "image/snapshot/tree.h"
#include "image/store/unpack.h"

namespace berth::image::store {
namespace {

// Leases of work in progress carry this label (its value names the work); the next Open deletes
// them, since the process that made them is gone.
constexpr std::string_view kWorkLabel = "berth.store.work";
// Leases of containers' rootfs snapshots carry this label (its value is the snapshot key).
constexpr std::string_view kRootfsLabel = "berth.store.rootfs";

std::string RootfsLeaseId(std::string_view key) { return fmt::format("rootfs-{}", key); }

Result<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (getrandom(raw.data(), raw.size(), 0) != static_cast<ssize_t>(raw.size())) {
    return Fail(ErrnoNow("getrandom"));
  }
  std::string hex;
  for (unsigned char c : raw) hex += fmt::format("{:02x}", c);
  return hex;
}

// HasSnapshots says whether the snapshotter rooted at root has made any tree.
bool HasSnapshots(const std::string& root) {
  Result<std::vector<std::string>> names = snapshot::ListDir(root + "/snapshots");
  return names && !names->empty();
}

Status CheckDigest(const Digest& digest, std::string_view data) {
  if (digest.algorithm != "sha256") {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("blob {}: unsupported digest algorithm", digest.String()));
  }
  const std::string hex = Sha256Hex(data);
  if (hex != digest.hex) {
    return Fail(
        ErrorKind::kDataLoss,
        fmt::format("blob {} is corrupt: its content hashes to sha256:{}", digest.String(), hex));
  }
  return Ok();
}

Result<std::string> ReadAll(int fd, int64_t size, const std::string& what) {
  std::string data(static_cast<size_t>(size), '\0');
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = pread(fd, data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrnoNow("read " + what));
    if (n == 0) return Fail(ErrorKind::kDataLoss, "read " + what + ": blob shrank");
    done += static_cast<size_t>(n);
  }
  return data;
}

}  // namespace

Result<SnapshotterKind> ParseSnapshotterKind(std::string_view name) {
  if (name == "auto") return SnapshotterKind::kAuto;
  if (name == "overlay") return SnapshotterKind::kOverlay;
  if (name == "native") return SnapshotterKind::kNative;
  return Fail(ErrorKind::kInvalidArgument,
              fmt::format("unknown snapshotter \"{}\": want auto, overlay or native", name));
}

Result<BlobReadPolicy> ParseBlobReadPolicy(std::string_view name) {
  if (name == "verify") return BlobReadPolicy::kVerify;
  if (name == "trust") return BlobReadPolicy::kTrust;
  return Fail(ErrorKind::kInvalidArgument,
              fmt::format("unknown blob read policy \"{}\": want verify or trust", name));
}

std::string_view ProgressActionName(ProgressAction action) {
  switch (action) {
    case ProgressAction::kLoading:
      return "Loading layer";
    case ProgressAction::kExtracting:
      return "Extracting";
    case ProgressAction::kAlreadyExists:
      return "Already exists";
    case ProgressAction::kLayerDone:
      return "Extracted";
    case ProgressAction::kWriting:
      return "Writing";
    case ProgressAction::kVerifying:
      return "Verifying";
  }
  return "?";
}

// ---- Lease ----

Lease::Lease(Lease&& other) noexcept
    : store_(std::exchange(other.store_, nullptr)), id_(std::move(other.id_)) {}

Lease::~Lease() {
  if (store_ != nullptr) store_->DropLease(id_);
}

Status Lease::Hold(const metadata::LeaseResource& resource) {
  return store_->HoldIn(id_, resource);
}

Status Lease::HoldBlob(const Digest& digest) {
  return Hold({metadata::LeaseResourceKind::kBlob, digest.String()});
}

Status Lease::HoldLayer(const Digest& chain_id) {
  return Hold({metadata::LeaseResourceKind::kLayer, chain_id.String()});
}

Status Lease::HoldSnapshot(std::string_view key) {
  return Hold({metadata::LeaseResourceKind::kSnapshot, std::string(key)});
}

// ---- BlobWriter ----

Status BlobWriter::Write(std::string_view data) { return writer_.Write(data); }

Result<content::Info> BlobWriter::Commit(const std::optional<Digest>& expected) {
  const Digest digest = writer_.digest();
  if (expected && *expected != digest) {
    return Fail(ErrorKind::kDataLoss, fmt::format("digest mismatch: content is {}, expected {}",
                                                  digest.String(), expected->String()));
  }
  const int64_t size = writer_.offset();
  // Held before the blob appears under its digest: a GC never sees it unheld.
  BERTH_TRY(lease_->HoldBlob(digest));
  BERTH_TRY(writer_.Commit(size, digest));
  return content::Info{.digest = digest, .size = size};
}

// ---- ImageStore ----

ImageStore::ImageStore(StoreOptions options, content::Store content, UniqueFd lock,
                       std::unique_ptr<metadata::Database> db, metadata::Catalog catalog)
    : options_(std::move(options)),
      content_(std::move(content)),
      lock_(std::move(lock)),
      db_(std::move(db)),
      catalog_(std::move(catalog)) {
  parallelism_ = options_.parallelism > 0
                     ? options_.parallelism
                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

ImageStore::~ImageStore() = default;

Result<std::unique_ptr<ImageStore>> ImageStore::Open(StoreOptions options) {
  const std::string what = "open image store at " + options.root;
  if (!options.root.starts_with('/')) {
    return Fail(ErrorKind::kInvalidArgument, what + ": the root must be an absolute path");
  }
  while (options.root.size() > 1 && options.root.ends_with('/')) options.root.pop_back();
  const std::string& root = options.root;
  BERTH_TRY(Annotate(MakeDirs(root, 0711), what));
  const std::string lock_path = root + "/lock";
  UniqueFd lock(open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock) return Fail(ErrnoNow("open " + lock_path).Wrap(what));
  if (flock(lock.get(), LOCK_EX | LOCK_NB) < 0) {
    if (errno == EWOULDBLOCK) {
      return Fail(ErrorKind::kUnavailable, what + ": another process has it open");
    }
    return Fail(ErrnoNow("flock " + lock_path).Wrap(what));
  }
  BERTH_ASSIGN_OR_RETURN(
      content::Store content,
      Annotate(content::Store::Create(root + "/content", options.content), what));
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<metadata::Database> db,
                         Annotate(metadata::Database::Open(root + "/metadata.db"), what));
  BERTH_ASSIGN_OR_RETURN(metadata::Catalog catalog,
                         Annotate(metadata::Catalog::Open(*db, options.catalog), what));
  std::unique_ptr<ImageStore> store(new ImageStore(
      std::move(options), std::move(content), std::move(lock), std::move(db), std::move(catalog)));
  BERTH_TRY(Annotate(store->OpenSnapshotter(), what));
  BERTH_TRY(Annotate(store->CleanUp(), what));
  return store;
}

Status ImageStore::OpenSnapshotter() {
  const std::string overlay_root = root() + "/snapshots/overlay";
  const std::string native_root = root() + "/snapshots/native";
  SnapshotterKind kind = options_.snapshotter;
  if (kind == SnapshotterKind::kAuto) {
    // A root keeps the snapshotter that holds its layers; a new one takes overlay if it works.
    if (HasSnapshots(overlay_root) != HasSnapshots(native_root)) {
      kind = HasSnapshots(overlay_root) ? SnapshotterKind::kOverlay : SnapshotterKind::kNative;
    } else if (Status probe = snapshot::ProbeOverlay(overlay_root); probe) {
      kind = SnapshotterKind::kOverlay;
    } else {
      log::Info("image store: using the native snapshotter: {}", probe.error().message());
      kind = SnapshotterKind::kNative;
    }
  }
  if (kind == SnapshotterKind::kOverlay) {
    BERTH_TRY(snapshot::ProbeOverlay(overlay_root));
    BERTH_ASSIGN_OR_RETURN(snapshotter_,
                           snapshot::OpenOverlay(db_.get(), overlay_root, options_.snapshots));
  } else {
    BERTH_ASSIGN_OR_RETURN(snapshotter_,
                           snapshot::OpenNative(db_.get(), native_root, options_.snapshots));
  }
  return Ok();
}

Status ImageStore::CleanUp() {
  BERTH_TRY(content_.CleanIngests());
  BERTH_TRY(snapshotter_->Cleanup());
  const std::string tmp = root() + "/tmp";
  BERTH_TRY(snapshot::RemoveTree(tmp));
  BERTH_TRY(MakeDirs(tmp, 0700));
  BERTH_ASSIGN_OR_RETURN(std::vector<metadata::LeaseRecord> leases, catalog_.ListLeases());
  for (const metadata::LeaseRecord& lease : leases) {
    if (!lease.labels.contains(std::string(kWorkLabel))) continue;
    log::Info("image store: dropping lease {} of work that did not finish", lease.id);
    BERTH_TRY(catalog_.DeleteLease(lease.id));
  }
  BERTH_ASSIGN_OR_RETURN(GcReport report, Gc());
  if (!report.blobs.empty() || !report.snapshots.empty()) {
    log::Info("image store: removed {} blobs and {} snapshots nothing held ({} bytes)",
              report.blobs.size(), report.snapshots.size(), report.bytes);
  }
  return Ok();
}

Result<Lease> ImageStore::NewLease(std::string_view purpose) {
  BERTH_ASSIGN_OR_RETURN(std::string suffix, RandomHex(8));
  const std::string id = fmt::format("{}-{}", purpose, suffix);
  const metadata::Time now =
      options_.catalog.clock ? options_.catalog.clock() : std::chrono::system_clock::now();
  BERTH_TRY(catalog_.CreateLease({.id = id,
                                  .expires = now + options_.work_lease_ttl,
                                  .labels = {{std::string(kWorkLabel), std::string(purpose)}}}));
  return Lease(this, id);
}

Status ImageStore::HoldIn(std::string_view lease_id, const metadata::LeaseResource& resource) {
  std::shared_lock lock(files_mu_);
  return catalog_.AddLeaseResource(lease_id, resource);
}

void ImageStore::DropLease(const std::string& id) {
  if (Status deleted = catalog_.DeleteLease(id); !deleted) {
    log::Warn("image store: delete lease {}: {}", id, deleted.error().message());
  }
}

Status ImageStore::Report(const ProgressSink& sink, const ProgressEvent& event) {
  if (!sink) return Ok();
  std::lock_guard lock(progress_mu_);
  return sink(event);
}

Result<BlobWriter> ImageStore::NewBlobWriter(Lease& lease) {
  BERTH_ASSIGN_OR_RETURN(content::Writer writer, content_.NewWriter());
  return BlobWriter(&lease, std::move(writer));
}

Result<content::Info> ImageStore::WriteBlob(Lease& lease, std::string_view data) {
  BERTH_ASSIGN_OR_RETURN(BlobWriter writer, NewBlobWriter(lease));
  BERTH_TRY(writer.Write(data));
  return writer.Commit();
}

Result<UniqueFd> ImageStore::OpenBlob(const Digest& digest) const {
  if (options_.read_policy == BlobReadPolicy::kVerify) BERTH_TRY(content_.Verify(digest));
  return content_.Open(digest);
}

Result<std::string> ImageStore::ReadBlob(const Digest& digest, int64_t max_size) const {
  const std::string what = "read blob " + digest.String();
  BERTH_ASSIGN_OR_RETURN(content::Info info, Annotate(content_.Stat(digest), what));
  if (info.size > max_size) {
    return Fail(ErrorKind::kResourceExhausted,
                fmt::format("{}: {} bytes, more than the {} allowed", what, info.size, max_size));
  }
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, Annotate(content_.Open(digest), what));
  BERTH_ASSIGN_OR_RETURN(std::string data, ReadAll(fd.get(), info.size, content_.BlobPath(digest)));
  BERTH_TRY(CheckDigest(digest, data));
  return data;
}

// ---- Containers' rootfs ----

Result<PrepareRootfsResult> ImageStore::PrepareRootfs(std::string_view key,
                                                      const Digest& image_id) {
  const std::string what = fmt::format("prepare rootfs {} of image {}", key, image_id.String());
  BERTH_ASSIGN_OR_RETURN(metadata::ImageRecord image, Annotate(catalog_.GetImage(image_id), what));
  const std::string lease_id = RootfsLeaseId(key);
  // The lease holds the image's top layer and the new snapshot from its first transaction on.
  metadata::NewLease lease{
      .id = lease_id,
      .expires = std::nullopt,
      .labels = {{std::string(kRootfsLabel), std::string(key)}},
      .resources = {{metadata::LeaseResourceKind::kSnapshot, std::string(key)}}};
  std::string parent;
  if (!image.layers.empty()) {
    const metadata::LayerRecord& top = image.layers.back();
    lease.resources.push_back({metadata::LeaseResourceKind::kLayer, top.chain_id.String()});
    parent = top.snapshot_key;
  }
  {
    std::shared_lock lock(files_mu_);
    BERTH_TRY(Annotate(catalog_.CreateLease(lease), what));
  }
  ScopeExit drop([&] { DropLease(lease_id); });
  BERTH_ASSIGN_OR_RETURN(std::vector<snapshot::Mount> mounts,
                         Annotate(snapshotter_->Prepare(key, parent), what));
  drop.Dismiss();
  return PrepareRootfsResult{.mounts = std::move(mounts)};
}

Status ImageStore::RemoveRootfs(std::string_view key) {
  const std::string what = fmt::format("remove rootfs {}", key);
  Status removed = snapshotter_->Remove(key);
  if (!removed && removed.error().kind() != ErrorKind::kNotFound) {
    return Fail(std::move(removed).error().Wrap(what));
  }
  Status dropped = catalog_.DeleteLease(RootfsLeaseId(key));
  if (!dropped && dropped.error().kind() != ErrorKind::kNotFound) {
    return Fail(std::move(dropped).error().Wrap(what));
  }
  if (!removed && !dropped) {
    return Fail(ErrorKind::kNotFound, fmt::format("{}: no such rootfs", what));
  }
  return Ok();
}

// ---- Verify ----

Result<VerifyReport> ImageStore::Verify(const ProgressSink& progress) {
  VerifyReport report;
  BERTH_ASSIGN_OR_RETURN(std::vector<Digest> blobs, content_.List());
  for (const Digest& digest : blobs) {
    Result<content::Info> info = content_.Stat(digest);
    if (!info && info.error().kind() == ErrorKind::kNotFound) continue;  // collected meanwhile
    BERTH_TRY(info);
    Status verified = content_.Verify(digest);
    if (!verified && verified.error().kind() == ErrorKind::kNotFound) continue;
    if (!verified && verified.error().kind() != ErrorKind::kDataLoss) return Fail(verified.error());
    if (!verified) report.corrupt.push_back({digest, verified.error().message()});
    BERTH_TRY(Report(progress, {.action = ProgressAction::kVerifying,
                                .id = ShortId(digest),
                                .current = info->size,
                                .total = info->size}));
    ++report.blobs;
    report.bytes += info->size;
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<metadata::ImageRecord> images,
                         catalog_.ListImages({.all = true}));
  for (const metadata::ImageRecord& image : images) {
    for (const metadata::BlobRef& blob : image.blobs) {
      BERTH_ASSIGN_OR_RETURN(bool exists, content_.Exists(blob.digest));
      if (!exists) report.missing.push_back({image.id, blob.digest});
    }
  }
  return report;
}

}  // namespace berth::image::store
