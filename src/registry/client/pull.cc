#include "registry/client/pull.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/log.h"
#include "image/metadata/chain_id.h"
#include "oci/image_spec_json.h"
#include "oci/platform.h"
#include "registry/client/blob_fetch.h"
#include "registry/client/tags.h"

namespace berth::registry::client {
namespace {

namespace store = image::store;
namespace metadata = image::metadata;
namespace content = image::content;

// StoreProgress sends the store's unpack events to sink (which must outlive it) as docker's pull
// lines; the other events are not shown.
store::ProgressSink StoreProgress(const LineSink& sink) {
  return [&sink](const store::ProgressEvent& event) -> Status {
    switch (event.action) {
      case store::ProgressAction::kExtracting:
        return sink({.status = "Extracting",
                     .id = event.id,
                     .current = event.current,
                     .total = event.total,
                     .with_bar = true});
      case store::ProgressAction::kLayerDone:
        return sink(Line("Pull complete", event.id));
      default:
        return Ok();
    }
  };
}

// StatusLine is docker's last line of a pull: whether name (a tag, or a repository whose tags
// were all pulled) now leads to something new.
ProgressLine StatusLine(bool up_to_date, const image::Reference& name) {
  return Line(fmt::format("Status: {} for {}",
                          up_to_date ? "Image is up to date" : "Downloaded newer image",
                          name.FamiliarString()));
}

// LayerSink writes a layer blob through a LayerWriter and keeps the extracted layer for PutImage.
class LayerSink : public BlobSink {
 public:
  LayerSink(std::unique_ptr<store::LayerWriter> writer,
            std::optional<store::ExtractedLayer>& extracted)
      : writer_(std::move(writer)), extracted_(extracted) {}
  Status Write(std::string_view data) override { return writer_->Write(data); }
  int64_t size() const override { return writer_->size(); }
  Status Commit() override {
    BERTH_ASSIGN_OR_RETURN(extracted_, writer_->Commit());
    return Ok();
  }

 private:
  std::unique_ptr<store::LayerWriter> writer_;
  std::optional<store::ExtractedLayer>& extracted_;
};

}  // namespace

Result<oci::Descriptor> PlatformManifest(std::string_view index_json,
                                         const oci::Platform& platform) {
  BERTH_ASSIGN_OR_RETURN(oci::Index index, oci::DecodeIndex(index_json));
  Result<oci::Descriptor> selected = oci::SelectManifest(index, platform);
  if (!selected && selected.error().kind() == ErrorKind::kNotFound) {
    return Fail(ErrorKind::kNotFound,
                fmt::format("no matching manifest for {} in the manifest list entries",
                            oci::FormatPlatform(platform)));
  }
  return selected;
}

Error NotFoundError(std::string_view what, const Error& error) {
  std::string_view words = error.message();
  if (size_t context = words.find(": "); context != std::string_view::npos) {
    words.remove_prefix(context + 2);
  }
  return Error(ErrorKind::kNotFound, fmt::format("{} not found: {}", what, words));
}

Result<std::unique_ptr<Pull>> Pull::Resolve(store::ImageStore& store, image::Reference reference,
                                            PullOptions options) {
  BERTH_TRY(ValidateRegistryConfig(options.registry));
  auto session = std::make_shared<Session>(Endpoints(options.registry, reference.domain),
                                           reference.path, options.credentials, "pull");
  return ResolveIn(store, std::move(reference), std::move(options), std::move(session));
}

Result<std::unique_ptr<Pull>> Pull::ResolveIn(store::ImageStore& store, image::Reference reference,
                                              PullOptions options,
                                              std::shared_ptr<Session> session) {
  const std::string wanted = reference.digest ? reference.digest->String() : reference.tag;
  Result<FetchedManifest> top = FetchManifest(*session, wanted);
  if (!top && top.error().kind() == ErrorKind::kNotFound) {
    return Fail(NotFoundError("manifest for " + reference.FamiliarString(), top.error()));
  }
  if (!top && top.error().kind() == ErrorKind::kUnauthenticated) {
    return Fail(ErrorKind::kNotFound,
                fmt::format("pull access denied for {}, repository does not exist or may "
                            "require 'docker login': {}",
                            reference.Name(), top.error().message()));
  }
  BERTH_TRY(top);
  std::unique_ptr<Pull> pull(
      new Pull(store, std::move(reference), std::move(options), std::move(session)));
  if (oci::IsIndexMediaType(top->media_type)) {
    const oci::Platform platform =
        pull->options_.platform ? *pull->options_.platform : oci::HostPlatform();
    BERTH_ASSIGN_OR_RETURN(oci::Descriptor selected, PlatformManifest(top->body, platform));
    BERTH_ASSIGN_OR_RETURN(FetchedManifest manifest,
                           FetchManifest(*pull->session_, selected.digest.String()));
    if (!oci::IsManifestMediaType(manifest.media_type)) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("manifest {} of the index is a {}, not an image manifest",
                              selected.digest.String(), manifest.media_type));
    }
    pull->index_ = std::move(top->body);
    pull->index_digest_ = top->digest;
    pull->manifest_ = std::move(manifest.body);
    pull->manifest_media_type_ = manifest.media_type;
    pull->manifest_digest_ = manifest.digest;
  } else {
    pull->manifest_ = std::move(top->body);
    pull->manifest_media_type_ = top->media_type;
    pull->manifest_digest_ = top->digest;
  }
  return pull;
}

Status Pull::FetchLayers(store::Lease& lease, const std::vector<LayerFetch>& fetches,
                         store::ImageInput& input, const LineSink& sink) {
  return RunParallel(
      fetches.size(), options_.concurrent_downloads,
      [&](size_t i, const std::function<bool()>& stop) -> Status {
        const LayerFetch& fetch = fetches[i];
        const oci::Descriptor& layer = fetch.descriptor;
        const std::string id = store::ShortId(layer.digest);
        const BlobProgress progress = [&](int64_t current) {
          return sink({.status = "Downloading",
                       .id = id,
                       .current = current,
                       .total = layer.size,
                       .with_bar = true});
        };
        if (fetch.plan) {
          const store::ProgressSink extracting = StoreProgress(sink);
          std::optional<store::ExtractedLayer>& extracted = input.layers[fetch.index].extracted;
          BERTH_TRY(FetchBlobInto(
              *session_, layer,
              [&]() -> Result<std::unique_ptr<BlobSink>> {
                BERTH_ASSIGN_OR_RETURN(std::unique_ptr<store::LayerWriter> writer,
                                       store_.NewLayerWriter(lease, *fetch.plan, extracting));
                return std::make_unique<LayerSink>(std::move(writer), extracted);
              },
              progress, stop));
        } else {
          BERTH_TRY(FetchBlob(*session_, store_, lease, layer, progress, stop));
        }
        BERTH_TRY(sink(Line("Verifying Checksum", id)));
        return sink(Line("Download complete", id));
      });
}

Result<std::vector<Pull::LayerFetch>> Pull::PlanLayers(store::Lease& lease,
                                                       const oci::Manifest& manifest,
                                                       store::ImageInput& input,
                                                       const LineSink& sink) {
  BERTH_ASSIGN_OR_RETURN(std::string config_bytes, store_.ReadBlob(manifest.config.digest));
  BERTH_ASSIGN_OR_RETURN(oci::ImageConfig config, oci::DecodeImageConfig(config_bytes));
  const std::vector<Digest>& diff_ids = config.rootfs.diff_ids;
  if (diff_ids.size() != manifest.layers.size()) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("the config lists {} layers, the manifest {}", diff_ids.size(),
                            manifest.layers.size()));
  }
  const std::vector<Digest> chains = metadata::ChainIds(diff_ids);
  // A layer is extracted while it downloads where the snapshotter can extract it before its
  // parent, unless its snapshot exists already (from a blob compressed otherwise, say).
  const bool stream = store_.snapshotter().PreparesAhead();
  std::vector<LayerFetch> fetches;
  for (size_t i = 0; i < manifest.layers.size(); ++i) {
    const oci::Descriptor& layer = manifest.layers[i];
    BERTH_TRY(lease.HoldBlob(layer.digest));
    BERTH_ASSIGN_OR_RETURN(bool have, store_.content().Exists(layer.digest));
    input.layers.push_back({.digest = layer.digest, .media_type = layer.media_type});
    BERTH_TRY(
        sink(Line(have ? "Already exists" : "Pulling fs layer", store::ShortId(layer.digest))));
    if (have) continue;
    LayerFetch fetch{.descriptor = layer, .index = i, .plan = {}};
    const std::string chain = chains[i].String();
    // Held before the Stat below (image_store.h's lock discipline): the snapshot, and through the
    // layer the snapshots under it, until PutImage holds them again.
    BERTH_TRY(lease.HoldLayer(chains[i]));
    BERTH_TRY(lease.HoldSnapshot(chain));
    Result<image::snapshot::Info> committed = store_.snapshotter().Stat(chain);
    if (!committed && committed.error().kind() != ErrorKind::kNotFound) {
      return Fail(std::move(committed).error());
    }
    if (stream && !committed) {
      fetch.plan = store::LayerPlan{.blob = layer.digest,
                                    .blob_size = layer.size,
                                    .diff_id = diff_ids[i],
                                    .chain = chain,
                                    .parent = i == 0 ? "" : chains[i - 1].String(),
                                    .extracted = {}};
    }
    fetches.push_back(std::move(fetch));
  }
  return fetches;
}

Result<PullResult> Pull::RunHeld(store::Lease& lease, const LineSink& raw_sink) {
  SerialisedSink serialised(raw_sink);
  const LineSink sink = [&](const ProgressLine& line) { return serialised(line); };
  const bool by_digest = reference_.digest.has_value();
  BERTH_TRY(sink(Line("Pulling from " + reference_.path,
                      by_digest ? reference_.digest->String() : reference_.tag)));
  BERTH_ASSIGN_OR_RETURN(oci::Manifest manifest, oci::DecodeManifest(manifest_));
  store::ImageInput input{.config = manifest.config.digest,
                          .layers = {},
                          .target = metadata::Target{manifest_digest_, manifest_media_type_},
                          .blobs = {},
                          .names = {},
                          .repositories = {reference_.Name()}};
  if (index_) {
    BERTH_ASSIGN_OR_RETURN(content::Info stored, store_.WriteBlob(lease, *index_));
    input.blobs.push_back({stored.digest, metadata::BlobKind::kIndex});
  }
  BERTH_TRY(store_.WriteBlob(lease, manifest_));
  input.blobs.push_back({manifest_digest_, metadata::BlobKind::kManifest});
  const Digest& top = index_ ? index_digest_ : manifest_digest_;
  if (!by_digest) input.names.push_back(reference_);
  input.names.push_back(
      {.domain = reference_.domain, .path = reference_.path, .tag = "", .digest = top});
  // Before: does the name already lead to this image?
  Result<metadata::ImageRecord> before = store_.catalog().Resolve(reference_.String());
  const bool up_to_date = before && before->id == manifest.config.digest;

  // The config first (it is small): its diff ids name the snapshots the layers are extracted
  // into while they download. As docker does, its download is not shown.
  BERTH_TRY(lease.HoldBlob(manifest.config.digest));
  BERTH_ASSIGN_OR_RETURN(bool have_config, store_.content().Exists(manifest.config.digest));
  if (!have_config) BERTH_TRY(FetchBlob(*session_, store_, lease, manifest.config, {}));
  BERTH_ASSIGN_OR_RETURN(std::vector<LayerFetch> fetches, PlanLayers(lease, manifest, input, sink));
  BERTH_TRY(FetchLayers(lease, fetches, input, sink));
  BERTH_TRY(store_.PutImage(lease, input, StoreProgress(sink)));
  BERTH_TRY(sink(Line("Digest: " + top.String())));
  return PullResult{.id = manifest.config.digest, .digest = top, .up_to_date = up_to_date};
}

Result<PullResult> Pull::RunTag(const LineSink& sink) {
  Result<PullResult> result = [&]() -> Result<PullResult> {
    BERTH_ASSIGN_OR_RETURN(store::Lease lease, store_.NewLease("pull"));
    return RunHeld(lease, sink);
  }();
  if (!result) {
    if (Result<store::GcReport> gc = store_.Gc(); !gc) {
      log::Warn("pull: collect what it wrote: {}", gc.error().message());
    }
  }
  return Annotate(std::move(result), "pull " + reference_.FamiliarString());
}

Result<PullResult> Pull::Run(const LineSink& sink) {
  BERTH_ASSIGN_OR_RETURN(PullResult result, RunTag(sink));
  BERTH_TRY(sink(StatusLine(result.up_to_date, reference_)));
  return result;
}

Result<std::vector<std::unique_ptr<Pull>>> Pull::ResolveAll(store::ImageStore& store,
                                                            const image::Reference& repository,
                                                            const PullOptions& options) {
  BERTH_TRY(ValidateRegistryConfig(options.registry));
  // One session for every tag: one endpoint probe and one token for the whole repository.
  auto session = std::make_shared<Session>(Endpoints(options.registry, repository.domain),
                                           repository.path, options.credentials, "pull");
  Result<std::vector<std::string>> tags = ListTags(*session);
  if (!tags && tags.error().kind() == ErrorKind::kNotFound) {
    return Fail(NotFoundError("repository " + repository.FamiliarString(), tags.error()));
  }
  BERTH_TRY(tags);
  std::vector<std::unique_ptr<Pull>> pulls;
  for (const std::string& tag : *tags) {
    image::Reference reference = repository;
    reference.tag = tag;
    BERTH_ASSIGN_OR_RETURN(std::unique_ptr<Pull> pull,
                           ResolveIn(store, std::move(reference), options, session));
    pulls.push_back(std::move(pull));
  }
  return pulls;
}

Result<bool> Pull::RunAll(const std::vector<std::unique_ptr<Pull>>& pulls,
                          const image::Reference& repository, const LineSink& sink) {
  bool up_to_date = true;
  for (const std::unique_ptr<Pull>& pull : pulls) {
    BERTH_ASSIGN_OR_RETURN(PullResult result, pull->RunTag(sink));
    up_to_date = up_to_date && result.up_to_date;
  }
  BERTH_TRY(sink(StatusLine(up_to_date, repository)));
  return up_to_date;
}

}  // namespace berth::registry::client
