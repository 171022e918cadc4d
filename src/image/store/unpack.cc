#include "image/store/unpack.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <utility>

#include "base/scope_exit.h"
#include "image/layer/apply.h"

namespace berth::image::store {
namespace {

std::string ExtractKey(const UnpackContext& context, const LayerPlan& layer) {
  return fmt::format("extract-{}-{}", context.lease->id(), layer.chain);
}

std::string What(const LayerPlan& layer) {
  return fmt::format("unpack layer {}", layer.blob.String());
}

layer::ApplyOptions OptionsFor(const UnpackContext& context, const LayerPlan& layer,
                               layer::WhiteoutMode whiteouts) {
  layer::ApplyOptions options;
  options.whiteouts = whiteouts;
  if (context.verify_blobs) options.expected_digest = layer.blob;
  // The config's diff id is checked always: it names the snapshot that other images will share.
  options.expected_diff_id = layer.diff_id;
  options.progress = [&context, &layer](int64_t bytes_read) -> Status {
    if (!context.progress) return Ok();
    return context.progress({.action = ProgressAction::kExtracting,
                             .id = ShortId(layer.blob),
                             .current = bytes_read,
                             .total = layer.blob_size});
  };
  return options;
}

layer::WhiteoutMode ModeOf(snapshot::Whiteouts whiteouts) {
  return whiteouts == snapshot::Whiteouts::kOverlay ? layer::WhiteoutMode::kOverlay
                                                    : layer::WhiteoutMode::kApply;
}

// Commit names the unpacked snapshot key after the layer's chain id. When another writer
// committed the same layer meanwhile, that snapshot serves and key is dropped.
Status Commit(const UnpackContext& context, const LayerPlan& layer, const std::string& key,
              int64_t size) {
  snapshot::Snapshotter& snapshots = *context.snapshotter;
  Status committed =
      snapshots.Commit(layer.chain, key, {{std::string(kLayerSizeLabel), std::to_string(size)}});
  if (!committed && committed.error().kind() == ErrorKind::kAlreadyExists) {
    BERTH_TRY(snapshots.Remove(key));
    return Ok();
  }
  BERTH_TRY(committed);
  if (!context.progress) return Ok();
  return context.progress({.action = ProgressAction::kLayerDone,
                           .id = ShortId(layer.blob),
                           .current = layer.blob_size,
                           .total = layer.blob_size});
}

// Flusher syncs the filesystem of a tree being written (syncfs) every kPeriod on a thread of its
// own until it is destroyed, so that the disk writes while the layer is extracted and the
// commit's sync waits for the last files only. The writeback is the kernel's flusher threads'
// work, not the extracting thread's. A sync that fails is left to the commit's sync to report.
class Flusher {
 public:
  explicit Flusher(const std::string& dir)
      : fd_(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (!fd_) return;
    try {
      thread_ = std::thread([this] { Run(); });
    } catch (const std::system_error&) {
      // Without the thread the commit's sync does all the work, as it would anyway.
    }
  }
  ~Flusher() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  Flusher(const Flusher&) = delete;
  Flusher& operator=(const Flusher&) = delete;

 private:
  static constexpr std::chrono::milliseconds kPeriod{250};

  void Run() {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, kPeriod, [this] { return stop_; })) {
      lock.unlock();
      (void)syncfs(fd_.get());
      lock.lock();
    }
  }

  UniqueFd fd_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// Prepared is one layer's active snapshot, held by the work's lease, and its directory.
struct Prepared {
  std::string key;
  snapshot::LayerDir dir;
};

// PrepareLayer makes the active snapshot of layer, held by the work's lease: on its (committed)
// parent, or ahead of it when ahead is set.
Result<Prepared> PrepareLayer(const UnpackContext& context, const LayerPlan& layer, bool ahead) {
  snapshot::Snapshotter& snapshots = *context.snapshotter;
  Prepared prepared{.key = ExtractKey(context, layer), .dir = {}};
  BERTH_TRY(context.lease->HoldSnapshot(prepared.key));
  if (ahead) {
    BERTH_ASSIGN_OR_RETURN(prepared.dir, snapshots.PrepareAhead(prepared.key, layer.parent));
    return prepared;
  }
  BERTH_TRY(snapshots.Prepare(prepared.key, layer.parent));
  Result<snapshot::LayerDir> dir = snapshots.Path(prepared.key);
  if (!dir) {
    (void)snapshots.Remove(prepared.key);
    return Fail(std::move(dir).error());
  }
  prepared.dir = std::move(*dir);
  return prepared;
}

// UnpackInPlace extracts a layer straight into the snapshot prepared on its parent.
Result<int64_t> UnpackInPlace(const UnpackContext& context, const LayerPlan& layer) {
  BERTH_ASSIGN_OR_RETURN(Prepared prepared, PrepareLayer(context, layer, false));
  ScopeExit remove([&] { (void)context.snapshotter->Remove(prepared.key); });
  BERTH_ASSIGN_OR_RETURN(UniqueFd blob, context.content->Open(layer.blob));
  BERTH_ASSIGN_OR_RETURN(layer::ApplyResult applied,
                         layer::Apply(blob.get(), prepared.dir.path,
                                      OptionsFor(context, layer, ModeOf(prepared.dir.whiteouts))));
  remove.Dismiss();
  BERTH_TRY(Commit(context, layer, prepared.key, applied.size));
  return applied.size;
}

// UnpackAhead prepares every layer's snapshot ahead of its parent, extracts the layers at once
// (up to the context's parallelism) and commits them base first.
Result<std::vector<int64_t>> UnpackAhead(const UnpackContext& context,
                                         const std::vector<LayerPlan>& layers) {
  std::vector<Prepared> prepared;
  size_t committed = 0;
  ScopeExit remove([&] {
    for (size_t i = committed; i < prepared.size(); ++i) {
      (void)context.snapshotter->Remove(prepared[i].key);
    }
  });
  std::vector<UniqueFd> blobs;
  std::vector<layer::LayerJob> jobs;
  std::vector<size_t> job_of(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerPlan& layer = layers[i];
    if (layer.extracted) {
      prepared.push_back({.key = layer.extracted->key, .dir = {}});
      continue;
    }
    BERTH_ASSIGN_OR_RETURN(Prepared p, Annotate(PrepareLayer(context, layer, true), What(layer)));
    prepared.push_back(std::move(p));
    BERTH_ASSIGN_OR_RETURN(UniqueFd blob, Annotate(context.content->Open(layer.blob), What(layer)));
    const snapshot::LayerDir& dir = prepared.back().dir;
    job_of[i] = jobs.size();
    jobs.push_back({.input_fd = blob.get(),
                    .dir = dir.path,
                    .options = OptionsFor(context, layer, ModeOf(dir.whiteouts))});
    blobs.push_back(std::move(blob));
  }
  std::vector<Result<layer::ApplyResult>> jobs_applied =
      layer::ApplyParallel(jobs, static_cast<size_t>(context.parallelism));
  std::vector<Result<layer::ApplyResult>> applied;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!layers[i].extracted) {
      applied.push_back(std::move(jobs_applied[job_of[i]]));
    } else {
      applied.push_back(layer::ApplyResult{.size = layers[i].extracted->size});
    }
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    // The first real failure, not the cancellations it caused.
    if (!applied[i] && applied[i].error().kind() != ErrorKind::kCancelled) {
      return Fail(std::move(applied[i]).error().Wrap(What(layers[i])));
    }
  }
  std::vector<int64_t> sizes;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!applied[i]) return Fail(std::move(applied[i]).error().Wrap(What(layers[i])));
    BERTH_TRY(
        Annotate(Commit(context, layers[i], prepared[i].key, applied[i]->size), What(layers[i])));
    ++committed;
    sizes.push_back(applied[i]->size);
  }
  return sizes;
}

}  // namespace

// ---- LayerWriter ----

LayerWriter::LayerWriter(const UnpackContext& context, LayerPlan layer, BlobWriter blob,
                         std::string key, UniqueFd socket)
    : context_(context),
      layer_(std::move(layer)),
      blob_(std::move(blob)),
      key_(std::move(key)),
      socket_(std::move(socket)) {}

Result<std::unique_ptr<LayerWriter>> LayerWriter::Start(const UnpackContext& context,
                                                        const LayerPlan& layer, BlobWriter blob) {
  if (!context.snapshotter->PreparesAhead()) {
    return Fail(ErrorKind::kFailedPrecondition,
                What(layer) + ": the snapshotter cannot extract a layer before its parent");
  }
  BERTH_ASSIGN_OR_RETURN(Prepared prepared,
                         Annotate(PrepareLayer(context, layer, true), What(layer)));
  ScopeExit remove([&] { (void)context.snapshotter->Remove(prepared.key); });
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
    return Fail(ErrnoNow("socketpair").Wrap(What(layer)));
  }
  UniqueFd ours(pair[0]);
  auto input = std::make_shared<UniqueFd>(pair[1]);
  // A few chunks in flight, so the download and the extraction need not take turns.
  const int buffer = 4 << 20;
  (void)setsockopt(ours.get(), SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  (void)setsockopt(input->get(), SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  std::unique_ptr<LayerWriter> writer(
      new LayerWriter(context, layer, std::move(blob), prepared.key, std::move(ours)));
  layer::ApplyOptions options =
      OptionsFor(writer->context_, writer->layer_, ModeOf(prepared.dir.whiteouts));
  // The blob writer hashes the bytes; Commit compares that digest, which covers the whole blob
  // even when the extraction stopped early.
  options.expected_digest.reset();
  try {
    writer->extractor_ = std::thread(
        [w = writer.get(), input, dir = prepared.dir.path, options = std::move(options)] {
          Flusher flusher(dir);
          w->applied_ = layer::Apply(input->get(), dir, options);
          // Closed here so that Write sees at once that nobody reads any more.
          input->Reset();
        });
  } catch (const std::system_error& e) {
    writer->key_.clear();  // removed by `remove`
    return Fail(ErrorKind::kResourceExhausted,
                fmt::format("{}: start the extraction thread: {}", What(layer), e.what()));
  }
  remove.Dismiss();
  return writer;
}

LayerWriter::~LayerWriter() {
  StopExtraction();
  if (!key_.empty()) (void)context_.snapshotter->Remove(key_);
}

void LayerWriter::StopExtraction() {
  if (socket_) (void)shutdown(socket_.get(), SHUT_WR);
  if (extractor_.joinable()) extractor_.join();
  socket_.Reset();
}

Status LayerWriter::Write(std::string_view data) {
  BERTH_TRY(blob_.Write(data));
  while (socket_ && !data.empty()) {
    ssize_t n = send(socket_.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      // The extractor stopped (its error is Commit's to report, after the digest's); the blob
      // is still written whole.
      if (errno != EPIPE && errno != ECONNRESET) return Fail(ErrnoNow("send to the extractor"));
      socket_.Reset();
      break;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Ok();
}

Result<ExtractedLayer> LayerWriter::Commit() {
  StopExtraction();
  const std::string what = What(layer_);
  const Digest& digest = blob_.digest();
  if (digest != layer_.blob) {
    return Fail(ErrorKind::kDataLoss, fmt::format("{}: digest mismatch: content is {}, expected {}",
                                                  what, digest.String(), layer_.blob.String()));
  }
  if (!applied_) return Fail(ErrorKind::kInternal, what + ": the extraction did not run");
  if (!*applied_) return Fail(std::move(*applied_).error().Wrap(what));
  BERTH_TRY(Annotate(blob_.Commit(layer_.blob), what));
  ExtractedLayer extracted{.key = std::exchange(key_, {}), .size = (*applied_)->size};
  return extracted;
}

std::string ShortId(const Digest& digest) { return digest.hex.substr(0, 12); }

Result<std::vector<int64_t>> UnpackLayers(const UnpackContext& context,
                                          const std::vector<LayerPlan>& layers) {
  if (context.snapshotter->PreparesAhead()) return UnpackAhead(context, layers);
  std::vector<int64_t> sizes;
  for (const LayerPlan& layer : layers) {
    BERTH_ASSIGN_OR_RETURN(int64_t size, Annotate(UnpackInPlace(context, layer), What(layer)));
    sizes.push_back(size);
  }
  return sizes;
}

}  // namespace berth::image::store
