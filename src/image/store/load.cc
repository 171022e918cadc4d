#include "image/store/load.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

#include "base/log.h"
#include "base/strings.h"
#include "image/store/archive_source.h"
#include "oci/image_layout.h"
#include "oci/image_spec_json.h"
#include "oci/platform.h"

namespace berth::image::store {
namespace {

// How deep indexes may nest (an index of indexes of manifests is 2).
constexpr int kMaxIndexDepth = 4;

// Planner turns the index files of an archive into the images to put.
class Planner {
 public:
  Planner(ImageStore& store, ArchiveSource& source, oci::Platform platform)
      : store_(store), source_(source), matcher_(platform), platform_(std::move(platform)) {}

  Result<std::vector<ImageInput>> Plan() {
    if (std::optional<std::string> json = source_.IndexFile(oci::kSaveManifestFile)) {
      BERTH_TRY(FromSaveManifest(*json));
    } else if (std::optional<std::string> index = source_.IndexFile(oci::kOciIndexFile)) {
      BERTH_TRY(FromLayoutIndex(*index));
    } else {
      return Fail(ErrorKind::kInvalidArgument,
                  "not an image archive: it has neither manifest.json nor index.json");
    }
    if (images_.empty()) {
      return Fail(ErrorKind::kNotFound,
                  skipped_.empty()
                      ? "the archive holds no image"
                      : fmt::format("the archive holds no image for {} (only {})",
                                    oci::FormatPlatform(platform_), Join(skipped_, ", ")));
    }
    return std::move(images_);
  }

 private:
  // Add puts input among the images, or adds its names to the image of the same id.
  void Add(ImageInput input) {
    for (ImageInput& image : images_) {
      if (image.config != input.config) continue;
      for (Reference& name : input.names) {
        if (std::find(image.names.begin(), image.names.end(), name) == image.names.end()) {
          image.names.push_back(std::move(name));
        }
      }
      return;
    }
    images_.push_back(std::move(input));
  }

  // Described returns the blob of a descriptor, checking that the archive holds it whole.
  Result<content::Info> Described(const oci::Descriptor& descriptor) {
    BERTH_ASSIGN_OR_RETURN(content::Info info, source_.Blob(BlobPathOf(descriptor.digest)));
    if (info.size != descriptor.size) {
      return Fail(ErrorKind::kDataLoss,
                  fmt::format("blob {} has {} bytes, its descriptor says {}",
                              descriptor.digest.String(), info.size, descriptor.size));
    }
    return info;
  }

  Result<oci::Manifest> ReadManifest(const oci::Descriptor& descriptor) {
    BERTH_TRY(Described(descriptor));
    BERTH_ASSIGN_OR_RETURN(std::string json, store_.ReadBlob(descriptor.digest));
    return oci::DecodeManifest(json);
  }

  // ManifestTargets maps the config digest of each manifest that a docker 25 index.json lists
  // to that manifest, so the images of manifest.json keep the manifest they were saved with.
  Result<std::map<std::string, oci::Descriptor>> ManifestTargets() {
    std::map<std::string, oci::Descriptor> targets;
    std::optional<std::string> json = source_.IndexFile(oci::kOciIndexFile);
    if (!json) return targets;
    BERTH_ASSIGN_OR_RETURN(oci::Index index, Annotate(oci::DecodeLayoutIndex(*json), "index.json"));
    for (const oci::Descriptor& descriptor : index.manifests) {
      if (!oci::IsManifestMediaType(descriptor.media_type)) continue;
      Result<oci::Manifest> manifest = ReadManifest(descriptor);
      // An entry whose manifest the archive lacks names no image of manifest.json.
      if (!manifest && manifest.error().kind() == ErrorKind::kNotFound) continue;
      BERTH_TRY(Annotate(manifest, "index.json"));
      targets[manifest->config.digest.String()] = descriptor;
    }
    return targets;
  }

  Status FromSaveManifest(const std::string& json) {
    BERTH_ASSIGN_OR_RETURN(std::vector<oci::SaveManifestEntry> entries,
                           oci::DecodeSaveManifest(json));
    BERTH_ASSIGN_OR_RETURN(auto targets, ManifestTargets());
    for (size_t i = 0; i < entries.size(); ++i) {
      BERTH_TRY(
          Annotate(FromSaveEntry(entries[i], targets), fmt::format("manifest.json: [{}]", i)));
    }
    return Ok();
  }

  Status FromSaveEntry(const oci::SaveManifestEntry& entry,
                       const std::map<std::string, oci::Descriptor>& targets) {
    ImageInput input;
    BERTH_ASSIGN_OR_RETURN(content::Info config, Annotate(source_.Blob(entry.config), "Config"));
    input.config = config.digest;
    for (size_t i = 0; i < entry.layers.size(); ++i) {
      BERTH_ASSIGN_OR_RETURN(content::Info layer,
                             Annotate(source_.Blob(entry.layers[i]), fmt::format("Layers[{}]", i)));
      input.layers.push_back({.digest = layer.digest, .media_type = ""});
    }
    for (size_t i = 0; i < entry.repo_tags.size(); ++i) {
      Result<Reference> name = ParseNormalizedNamed(entry.repo_tags[i]);
      if (name && (name->tag.empty() || name->digest)) {
        name = Fail(ErrorKind::kInvalidArgument, "a repo tag needs a tag and no digest");
      }
      BERTH_TRY(Annotate(name, fmt::format("RepoTags[{}] \"{}\"", i, entry.repo_tags[i])));
      input.names.push_back(std::move(*name));
    }
    if (entry.parent) input.parent = KnownParent(*entry.parent);
    if (auto target = targets.find(input.config.String()); target != targets.end()) {
      const oci::Descriptor& manifest = target->second;
      input.target = metadata::Target{manifest.digest, manifest.media_type};
      input.blobs.push_back({manifest.digest, metadata::BlobKind::kManifest});
    }
    Add(std::move(input));
    return Ok();
  }

  // KnownParent keeps a parent image id that the store or this archive (earlier) holds; docker
  // records a parent only for images built on the same host.
  std::optional<Digest> KnownParent(const Digest& parent) {
    for (const ImageInput& image : images_) {
      if (image.config == parent) return parent;
    }
    if (store_.catalog().GetImage(parent)) return parent;
    return std::nullopt;
  }

  Status FromLayoutIndex(const std::string& json) {
    std::optional<std::string> layout = source_.IndexFile(oci::kOciLayoutFile);
    if (!layout) {
      return Fail(ErrorKind::kInvalidArgument, "index.json: no oci-layout file beside it");
    }
    BERTH_TRY(oci::DecodeOciLayout(*layout));
    BERTH_ASSIGN_OR_RETURN(oci::Index index, oci::DecodeLayoutIndex(json));
    for (size_t i = 0; i < index.manifests.size(); ++i) {
      const oci::Descriptor& descriptor = index.manifests[i];
      if (descriptor.platform && !matcher_.Matches(*descriptor.platform)) {
        skipped_.push_back(oci::FormatPlatform(*descriptor.platform));
        continue;
      }
      BERTH_TRY(
          Annotate(FromDescriptor(descriptor, NamesOf(descriptor), {}, 0),
                   fmt::format("index.json: manifests[{}] ({})", i, descriptor.digest.String())));
    }
    return Ok();
  }

  // NamesOf reads the names an index entry gives its image: containerd's full name, else an
  // OCI ref name that is a whole reference (one that is only a tag, as docker writes it, names
  // no repository and is left out).
  static std::vector<Reference> NamesOf(const oci::Descriptor& descriptor) {
    for (std::string_view key : {oci::kAnnotationContainerdImageName, oci::kAnnotationRefName}) {
      auto it = descriptor.annotations.find(std::string(key));
      if (it == descriptor.annotations.end()) continue;
      if (key == oci::kAnnotationRefName && it->second.find_first_of("/:") == std::string::npos) {
        continue;
      }
      Result<Reference> name = ParseReference(it->second);
      if (name) return {std::move(*name)};
      log::Warn("load: ignoring the image name \"{}\": {}", it->second, name.error().message());
    }
    return {};
  }

  // FromDescriptor loads the image a manifest describes, or the one an index selects for the
  // platform; parents are the indexes passed on the way.
  Status FromDescriptor(const oci::Descriptor& descriptor, std::vector<Reference> names,
                        std::vector<metadata::BlobRef> parents, int depth) {
    if (oci::IsIndexMediaType(descriptor.media_type)) {
      if (depth >= kMaxIndexDepth) {
        return Fail(ErrorKind::kInvalidArgument, "indexes nest too deep");
      }
      BERTH_TRY(Described(descriptor));
      BERTH_ASSIGN_OR_RETURN(std::string json, store_.ReadBlob(descriptor.digest));
      BERTH_ASSIGN_OR_RETURN(oci::Index index, oci::DecodeIndex(json));
      BERTH_ASSIGN_OR_RETURN(oci::Descriptor selected, oci::SelectManifest(index, platform_));
      parents.push_back({descriptor.digest, metadata::BlobKind::kIndex});
      return FromDescriptor(selected, std::move(names), std::move(parents), depth + 1);
    }
    if (!oci::IsManifestMediaType(descriptor.media_type)) {
      log::Info("load: skipping {} of media type {}", descriptor.digest.String(),
                descriptor.media_type);
      return Ok();
    }
    BERTH_ASSIGN_OR_RETURN(oci::Manifest manifest, ReadManifest(descriptor));
    if (!oci::IsConfigMediaType(manifest.config.media_type)) {
      log::Info("load: skipping {}: an artifact, not an image ({})", descriptor.digest.String(),
                manifest.config.media_type);
      return Ok();
    }
    ImageInput input{.config = manifest.config.digest,
                     .layers = {},
                     .target = metadata::Target{descriptor.digest, descriptor.media_type},
                     .blobs = std::move(parents),
                     .names = std::move(names)};
    input.blobs.push_back({descriptor.digest, metadata::BlobKind::kManifest});
    BERTH_TRY(Annotate(Described(manifest.config), "config"));
    for (size_t i = 0; i < manifest.layers.size(); ++i) {
      const oci::Descriptor& layer = manifest.layers[i];
      BERTH_TRY(Annotate(Described(layer), fmt::format("layers[{}]", i)));
      input.layers.push_back({.digest = layer.digest, .media_type = layer.media_type});
    }
    Add(std::move(input));
    return Ok();
  }

  ImageStore& store_;
  ArchiveSource& source_;
  oci::PlatformMatcher matcher_;
  oci::Platform platform_;
  std::vector<ImageInput> images_;
  std::vector<std::string> skipped_;  // platforms of index entries not taken
};

// LoadFrom plans the images of source, unpacks all of them, then records them.
Result<LoadResult> LoadFrom(ImageStore& store, Lease& lease, ArchiveSource& source,
                            const LoadOptions& options) {
  Planner planner(store, source, options.platform ? *options.platform : oci::HostPlatform());
  BERTH_ASSIGN_OR_RETURN(std::vector<ImageInput> inputs, planner.Plan());
  std::vector<metadata::NewImage> images;
  for (const ImageInput& input : inputs) {
    BERTH_ASSIGN_OR_RETURN(metadata::NewImage image,
                           store.UnpackImage(lease, input, options.progress));
    images.push_back(std::move(image));
  }
  LoadResult result;
  for (const metadata::NewImage& image : images) {
    BERTH_TRY(store.catalog().PutImage(image));
    result.images.push_back({image.id, image.names});
  }
  return result;
}

// Finish collects what a failed load wrote (its lease is gone by now) and returns its error.
Result<LoadResult> Finish(ImageStore& store, Result<LoadResult> result, std::string_view what) {
  if (result) return result;
  if (Result<GcReport> gc = store.Gc(); !gc) {
    log::Warn("{}: collect what it wrote: {}", what, gc.error().message());
  }
  return Annotate(std::move(result), what);
}

}  // namespace

Result<LoadResult> Load(ImageStore& store, int fd, const LoadOptions& options) {
  Result<LoadResult> result = [&]() -> Result<LoadResult> {
    BERTH_ASSIGN_OR_RETURN(Lease lease, store.NewLease("load"));
    BERTH_ASSIGN_OR_RETURN(std::unique_ptr<ArchiveSource> source,
                           ReadTarArchive(store, lease, fd, options.progress));
    return LoadFrom(store, lease, *source, options);
  }();
  return Finish(store, std::move(result), "load");
}

Result<LoadResult> LoadLayoutDir(ImageStore& store, const std::string& dir,
                                 const LoadOptions& options) {
  Result<LoadResult> result = [&]() -> Result<LoadResult> {
    BERTH_ASSIGN_OR_RETURN(Lease lease, store.NewLease("load"));
    BERTH_ASSIGN_OR_RETURN(std::unique_ptr<ArchiveSource> source,
                           OpenLayoutDir(store, lease, dir, options.progress));
    return LoadFrom(store, lease, *source, options);
  }();
  return Finish(store, std::move(result), "load " + dir);
}

}  // namespace berth::image::store
