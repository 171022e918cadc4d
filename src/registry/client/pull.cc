#include "registry/client/pull.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/log.h"
#include "image/store/unpack.h"
#include "oci/image_spec_json.h"
#include "oci/platform.h"
#include "registry/client/blob_fetch.h"

namespace berth::registry::client {
namespace {

namespace store = image::store;
namespace metadata = image::metadata;
namespace content = image::content;

// StoreEvent turns the store's unpack events into docker's pull lines.
std::optional<ProgressLine> StoreEvent(const store::ProgressEvent& event) {
  switch (event.action) {
    case store::ProgressAction::kExtracting:
      return ProgressLine{.status = "Extracting",
                          .id = event.id,
                          .current = event.current,
                          .total = event.total,
                          .with_bar = true};
    case store::ProgressAction::kLayerDone:
      return Line("Pull complete", event.id);
    default:
      return std::nullopt;
  }
}

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

Result<std::unique_ptr<Pull>> Pull::Resolve(store::ImageStore& store, image::Reference reference,
                                            PullOptions options) {
  BERTH_TRY(ValidateRegistryConfig(options.registry));
  auto session = std::make_unique<Session>(Endpoints(options.registry, reference.domain),
                                           reference.path, options.credentials, "pull");
  const std::string wanted = reference.digest ? reference.digest->String() : reference.tag;
  Result<FetchedManifest> top = FetchManifest(*session, wanted);
  if (!top && top.error().kind() == ErrorKind::kNotFound) {
    return Fail(ErrorKind::kNotFound,
                fmt::format("manifest for {} not found: {}", reference.FamiliarString(),
                            top.error().message().substr(top.error().message().find(": ") + 2)));
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

Status Pull::FetchLayers(store::Lease& lease, const std::vector<oci::Descriptor>& layers,
                         const LineSink& sink) {
  return RunParallel(layers.size(), options_.concurrent_downloads,
                     [&](size_t i, const std::function<bool()>& stop) -> Status {
                       const oci::Descriptor& layer = layers[i];
                       const std::string id = store::ShortId(layer.digest);
                       BERTH_TRY(FetchBlob(
                           *session_, store_, lease, layer,
                           [&](int64_t current) {
                             return sink({.status = "Downloading",
                                          .id = id,
                                          .current = current,
                                          .total = layer.size,
                                          .with_bar = true});
                           },
                           stop));
                       BERTH_TRY(sink(Line("Verifying Checksum", id)));
                       return sink(Line("Download complete", id));
                     });
}

Result<PullResult> Pull::RunHeld(store::Lease& lease, const LineSink& raw_sink) {
  SerialisedSink sink(raw_sink);
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

  std::vector<oci::Descriptor> missing;
  BERTH_TRY(lease.HoldBlob(manifest.config.digest));
  BERTH_ASSIGN_OR_RETURN(bool have_config, store_.content().Exists(manifest.config.digest));
  if (!have_config) missing.push_back(manifest.config);
  std::vector<oci::Descriptor> layers_missing;
  for (const oci::Descriptor& layer : manifest.layers) {
    BERTH_TRY(lease.HoldBlob(layer.digest));
    BERTH_ASSIGN_OR_RETURN(bool have, store_.content().Exists(layer.digest));
    input.layers.push_back({.digest = layer.digest, .media_type = layer.media_type});
    BERTH_TRY(
        sink(Line(have ? "Already exists" : "Pulling fs layer", store::ShortId(layer.digest))));
    if (!have) missing.push_back(layer);
  }
  BERTH_TRY(FetchLayers(lease, missing, [&](const ProgressLine& event) {
    // The config is fetched like a layer but, as docker does, not shown.
    if (!have_config && event.id == store::ShortId(manifest.config.digest)) return Status(Ok());
    return sink(event);
  }));
  BERTH_TRY(store_.PutImage(lease, input, [&](const store::ProgressEvent& event) -> Status {
    std::optional<ProgressLine> line = StoreEvent(event);
    return line ? sink(*line) : Ok();
  }));
  BERTH_TRY(sink(Line("Digest: " + top.String())));
  BERTH_TRY(sink(Line(fmt::format("Status: {} for {}",
                                  up_to_date ? "Image is up to date" : "Downloaded newer image",
                                  reference_.FamiliarString()))));
  return PullResult{.id = manifest.config.digest, .digest = top, .up_to_date = up_to_date};
}

Result<PullResult> Pull::Run(const LineSink& sink) {
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

}  // namespace berth::registry::client
