// ImageStore::UnpackImage and PutImage: from a config blob and layer blobs to an image recorded
// with its layers unpacked into snapshots (unpack.h does the unpacking).
#include <unistd.h>

#include <fmt/format.h>

#include <utility>

#include "base/strings.h"
#include "image/layer/compression.h"
#include "image/layer/layer_stream.h"
#include "image/metadata/chain_id.h"
#include "image/store/go_time.h"
#include "image/store/image_store.h"
#include "image/store/unpack.h"
#include "oci/image_spec.h"
#include "oci/image_spec_json.h"

namespace berth::image::store {
namespace {

// LayerMediaType is the OCI layer media type of a blob, from the compression of its first bytes;
// the image spec has none for xz or bzip2.
Result<std::string> LayerMediaType(const content::Store& content, const Digest& blob) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, content.Open(blob));
  std::string head(layer::kCompressionMagicSize, '\0');
  ssize_t n = pread(fd.get(), head.data(), head.size(), 0);
  if (n < 0) return Fail(ErrnoNow("read " + content.BlobPath(blob)));
  head.resize(static_cast<size_t>(n));
  BERTH_ASSIGN_OR_RETURN(layer::Compression compression, layer::DetectCompression(head));
  switch (compression) {
    case layer::Compression::kGzip:
      return std::string(oci::kMediaTypeOciLayerGzip);
    case layer::Compression::kZstd:
      return std::string(oci::kMediaTypeOciLayerZstd);
    case layer::Compression::kXz:
    case layer::Compression::kBzip2:
      return Fail(
          ErrorKind::kInvalidArgument,
          fmt::format("layer {} is compressed with {}: an image layer is gzip, zstd or plain",
                      blob.String(), layer::CompressionName(compression)));
    case layer::Compression::kNone:
      break;
  }
  return std::string(oci::kMediaTypeOciLayer);
}

}  // namespace

Result<std::optional<int64_t>> ImageStore::LayerSize(const std::string& chain) {
  Result<snapshot::Info> info = snapshotter_->Stat(chain);
  if (!info && info.error().kind() == ErrorKind::kNotFound) return std::optional<int64_t>();
  BERTH_TRY(info);
  if (info->kind != snapshot::Kind::kCommitted) {
    return Fail(ErrorKind::kConflict, fmt::format("snapshot {} is {}, not a committed layer", chain,
                                                  snapshot::KindName(info->kind)));
  }
  auto label = info->labels.find(std::string(kLayerSizeLabel));
  if (label == info->labels.end()) {
    return Fail(ErrorKind::kDataLoss,
                fmt::format("snapshot {} has no label {}", chain, kLayerSizeLabel));
  }
  BERTH_ASSIGN_OR_RETURN(uint64_t size, ParseUint64(label->second));
  return std::optional<int64_t>(static_cast<int64_t>(size));
}

Status ImageStore::CheckLayerBlob(const Digest& blob, const Digest& diff_id) {
  if (blob == diff_id) return Ok();  // a plain tar: the content store checked its digest
  BERTH_ASSIGN_OR_RETURN(std::vector<metadata::LayerBlob> known, catalog_.LayerBlobs(diff_id));
  for (const metadata::LayerBlob& b : known) {
    if (b.digest == blob) return Ok();
  }
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, content_.Open(blob));
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<layer::LayerStream> stream,
                         layer::LayerStream::Start(fd.get(), nullptr));
  BERTH_TRY(stream->Drain());
  if (stream->diff_id() != diff_id) {
    return Fail(ErrorKind::kDataLoss,
                fmt::format("blob {} unpacks to {}, not to the config's diff id {}", blob.String(),
                            stream->diff_id().String(), diff_id.String()));
  }
  return Ok();
}

Result<metadata::NewImage> ImageStore::UnpackImage(Lease& lease, const ImageInput& input,
                                                   const ProgressSink& progress,
                                                   PutImageResult* counts) {
  const std::string what = "unpack image " + input.config.String();
  BERTH_TRY(Annotate(lease.HoldBlob(input.config), what));
  BERTH_ASSIGN_OR_RETURN(std::string config_bytes, Annotate(ReadBlob(input.config), what));
  BERTH_ASSIGN_OR_RETURN(oci::ImageConfig config,
                         Annotate(oci::DecodeImageConfig(config_bytes), what));
  const std::vector<Digest>& diff_ids = config.rootfs.diff_ids;
  if (diff_ids.size() != input.layers.size()) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: the config lists {} layers, the manifest {}", what,
                            diff_ids.size(), input.layers.size()));
  }
  const std::vector<Digest> chains = metadata::ChainIds(diff_ids);
  metadata::NewImage image{
      .id = input.config,
      .config_size = static_cast<int64_t>(config_bytes.size()),
      .target = input.target,
      .created = ParseRfc3339(config.created),
      .parent = input.parent,
      .labels = config.config ? config.config->labels : std::map<std::string, std::string>{},
      .layers = {},
      .blobs = input.blobs,
      .names = input.names,
      .layer_blobs = {}};
  for (const auto& [key, value] : input.labels) image.labels[key] = value;
  ProgressSink report = [&](const ProgressEvent& event) { return Report(progress, event); };
  std::vector<LayerPlan> todo;
  std::vector<size_t> todo_at;
  std::vector<int64_t> sizes(diff_ids.size());
  for (size_t i = 0; i < diff_ids.size(); ++i) {
    const Digest& blob = input.layers[i].digest;
    const std::string layer_what = fmt::format("{}: layer {} ({})", what, i, blob.String());
    const std::string chain = chains[i].String();
    for (const metadata::LeaseResource& resource :
         {metadata::LeaseResource{metadata::LeaseResourceKind::kBlob, blob.String()},
          metadata::LeaseResource{metadata::LeaseResourceKind::kLayer, chain},
          metadata::LeaseResource{metadata::LeaseResourceKind::kSnapshot, chain}}) {
      BERTH_TRY(Annotate(lease.Hold(resource), layer_what));
    }
    BERTH_ASSIGN_OR_RETURN(content::Info info, Annotate(content_.Stat(blob), layer_what));
    std::string media_type = input.layers[i].media_type;
    if (media_type.empty()) {
      BERTH_ASSIGN_OR_RETURN(media_type, Annotate(LayerMediaType(content_, blob), layer_what));
    }
    image.blobs.push_back({blob, metadata::BlobKind::kLayer});
    image.layer_blobs.push_back({.digest = blob,
                                 .diff_id = diff_ids[i],
                                 .media_type = media_type,
                                 .size = info.size,
                                 .repositories = input.repositories});
    BERTH_ASSIGN_OR_RETURN(std::optional<int64_t> size, Annotate(LayerSize(chain), layer_what));
    const std::optional<ExtractedLayer>& extracted = input.layers[i].extracted;
    if (size && extracted) {
      // Committed meanwhile by another writer; the extraction checked this blob's diff id.
      BERTH_TRY(Annotate(snapshotter_->Remove(extracted->key), layer_what));
    } else if (size) {
      BERTH_TRY(Annotate(CheckLayerBlob(blob, diff_ids[i]), layer_what));
    }
    if (size) {
      sizes[i] = *size;
      if (counts != nullptr) ++counts->layers_reused;
      BERTH_TRY(report({.action = ProgressAction::kAlreadyExists,
                        .id = ShortId(blob),
                        .current = info.size,
                        .total = info.size}));
      continue;
    }
    todo.push_back({.blob = blob,
                    .blob_size = info.size,
                    .diff_id = diff_ids[i],
                    .chain = chain,
                    .parent = i == 0 ? "" : chains[i - 1].String(),
                    .extracted = extracted});
    todo_at.push_back(i);
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<int64_t> unpacked,
                         Annotate(UnpackLayers(UnpackContextFor(lease, report), todo), what));
  for (size_t j = 0; j < todo.size(); ++j) sizes[todo_at[j]] = unpacked[j];
  if (counts != nullptr) counts->layers_extracted += static_cast<int>(todo.size());
  for (size_t i = 0; i < diff_ids.size(); ++i) {
    image.layers.push_back(
        {.diff_id = diff_ids[i], .snapshot_key = chains[i].String(), .size = sizes[i]});
  }
  return image;
}

UnpackContext ImageStore::UnpackContextFor(Lease& lease, const ProgressSink& report) {
  return UnpackContext{.content = &content_,
                       .snapshotter = snapshotter_.get(),
                       .lease = &lease,
                       .verify_blobs = options_.read_policy == BlobReadPolicy::kVerify,
                       .parallelism = parallelism_,
                       .progress = report};
}

Result<std::unique_ptr<LayerWriter>> ImageStore::NewLayerWriter(Lease& lease,
                                                                const LayerPlan& layer,
                                                                const ProgressSink& progress) {
  BERTH_ASSIGN_OR_RETURN(BlobWriter blob, NewBlobWriter(lease));
  ProgressSink report;
  if (progress) {
    report = [this, progress](const ProgressEvent& event) { return Report(progress, event); };
  }
  return LayerWriter::Start(UnpackContextFor(lease, report), layer, std::move(blob));
}

Result<PutImageResult> ImageStore::PutImage(Lease& lease, const ImageInput& input,
                                            const ProgressSink& progress) {
  PutImageResult result;
  BERTH_ASSIGN_OR_RETURN(metadata::NewImage image, UnpackImage(lease, input, progress, &result));
  BERTH_ASSIGN_OR_RETURN(result.put, catalog_.PutImage(image));
  return result;
}

}  // namespace berth::image::store
