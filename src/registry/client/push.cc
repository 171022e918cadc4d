#include "registry/client/push.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/unique_fd.h"
#include "image/store/save.h"
#include "image/store/unpack.h"
#include "registry/client/session.h"

namespace berth::registry::client {
namespace {

namespace store = image::store;
namespace metadata = image::metadata;

// Pusher pushes the images of one repository through one session.
class Pusher {
 public:
  Pusher(store::ImageStore& store, const image::Reference& name, const PushOptions& options,
         const LineSink& sink)
      : store_(store),
        name_(name),
        options_(options),
        sink_(sink),
        session_(Endpoints(options.registry, name.domain), name.path, options.credentials,
                 "pull,push") {}

  Result<PushedTag> PushTag(const image::Reference& tagged);

 private:
  Status PushBlob(const oci::Descriptor& blob, const std::optional<Digest>& diff_id, bool show,
                  const std::function<bool()>& stop);
  Result<bool> Exists(const Digest& digest);
  // Mount tries the repositories of the same registry known to hold the blob; returns the one
  // it was mounted from, or the upload's Location when the registry started an upload instead.
  Result<std::string> Mount(const Digest& digest, const std::optional<Digest>& diff_id,
                            std::string* location);
  Status Upload(const oci::Descriptor& blob, std::string location, bool show,
                const std::function<bool()>& stop);
  Status Report(const ProgressLine& line, bool show) { return show ? sink_(line) : Ok(); }

  store::ImageStore& store_;
  const image::Reference& name_;
  const PushOptions& options_;
  SerialisedSink sink_;
  Session session_;
};

std::string BlobsPath(const Session& session, std::string_view rest) {
  return fmt::format("/v2/{}/blobs/{}", session.repository(), rest);
}

Result<bool> Pusher::Exists(const Digest& digest) {
  BERTH_ASSIGN_OR_RETURN(HttpResponse response,
                         session_.Do({.method = "HEAD"}, BlobsPath(session_, digest.String())));
  if (response.status == 404) return false;
  BERTH_TRY(CheckStatus(response, "check blob " + digest.String()));
  return true;
}

Result<std::string> Pusher::Mount(const Digest& digest, const std::optional<Digest>& diff_id,
                                  std::string* location) {
  std::vector<std::string> sources;
  if (diff_id) {
    BERTH_ASSIGN_OR_RETURN(std::vector<metadata::LayerBlob> known,
                           store_.catalog().LayerBlobs(*diff_id));
    for (const metadata::LayerBlob& blob : known) {
      if (blob.digest != digest) continue;
      for (const std::string& repository : blob.repositories) {
        const std::string prefix = name_.domain + "/";
        if (repository.starts_with(prefix) && repository != name_.Name()) {
          sources.push_back(repository.substr(prefix.size()));
        }
      }
    }
  }
  std::string query;
  if (!sources.empty()) {
    session_.AddScope(fmt::format("repository:{}:pull", sources.front()));
    query =
        fmt::format("?mount={}&from={}", UrlEscape(digest.String()), UrlEscape(sources.front()));
  }
  BERTH_ASSIGN_OR_RETURN(HttpResponse response,
                         session_.Do({.method = "POST"}, BlobsPath(session_, "uploads/" + query)));
  BERTH_TRY(CheckStatus(response, "start the upload of " + digest.String()));
  if (response.status == 201 && !sources.empty()) return sources.front();
  std::optional<std::string> at = response.Header("Location");
  if (!at) {
    return Fail(ErrorKind::kUnavailable,
                "start the upload of " + digest.String() + ": the registry gave no Location");
  }
  *location = *at;
  return std::string();
}

Status Pusher::Upload(const oci::Descriptor& blob, std::string location, bool show,
                      const std::function<bool()>& stop) {
  const std::string id = store::ShortId(blob.digest);
  // Not re-hashed before it is sent: the registry checks the digest of what it receives (the
  // final PUT's ?digest=) and refuses a blob that does not match.
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, store_.content().Open(blob.digest));
  auto progress = [&](int64_t done) {
    // Progress lines from libcurl's thread are best effort: the sink's error surfaces at the end.
    (void)Report(
        {.status = "Pushing", .id = id, .current = done, .total = blob.size, .with_bar = true},
        show);
  };
  const int64_t chunk = options_.chunk_size > 0 ? options_.chunk_size : blob.size;
  int64_t offset = 0;
  while (blob.size > chunk && offset < blob.size) {
    if (stop && stop()) return Fail(ErrorKind::kCancelled, "cancelled");
    const int64_t length = std::min(chunk, blob.size - offset);
    HttpRequest patch{
        .method = "PATCH",
        .headers = {{"Content-Type", "application/octet-stream"},
                    {"Content-Range", fmt::format("{}-{}", offset, offset + length - 1)}},
        .body_fd = fd.get(),
        .body_offset = offset,
        .body_size = length,
        .on_upload = [&](int64_t sent) { progress(offset + sent); }};
    BERTH_ASSIGN_OR_RETURN(HttpResponse response, session_.Do(std::move(patch), location));
    BERTH_TRY(CheckStatus(response, "upload blob " + blob.digest.String()));
    location = response.Header("Location").value_or(location);
    offset += length;
  }
  HttpRequest put{.method = "PUT",
                  .headers = {{"Content-Type", "application/octet-stream"}},
                  .body_fd = offset < blob.size ? fd.get() : -1,
                  .body_offset = offset,
                  .body_size = blob.size - offset,
                  .on_upload = [&](int64_t sent) { progress(offset + sent); }};
  BERTH_ASSIGN_OR_RETURN(
      HttpResponse response,
      session_.Do(std::move(put),
                  UploadUrl(location, "digest=" + UrlEscape(blob.digest.String()))));
  return CheckStatus(response, "upload blob " + blob.digest.String());
}

Status Pusher::PushBlob(const oci::Descriptor& blob, const std::optional<Digest>& diff_id,
                        bool show, const std::function<bool()>& stop) {
  const std::string id = store::ShortId(blob.digest);
  BERTH_ASSIGN_OR_RETURN(bool exists, Exists(blob.digest));
  if (exists) return Report(Line("Layer already exists", id), show);
  std::string location;
  BERTH_ASSIGN_OR_RETURN(std::string mounted, Mount(blob.digest, diff_id, &location));
  if (!mounted.empty()) return Report(Line("Mounted from " + mounted, id), show);
  BERTH_TRY(Upload(blob, location, show, stop));
  return Report(Line("Pushed", id), show);
}

Result<PushedTag> Pusher::PushTag(const image::Reference& tagged) {
  Result<metadata::ImageRecord> found = store_.catalog().Resolve(tagged.String());
  if (!found && found.error().kind() == ErrorKind::kNotFound) {
    return Fail(ErrorKind::kNotFound,
                "An image does not exist locally with the tag: " + name_.FamiliarString());
  }
  BERTH_TRY(found);
  BERTH_ASSIGN_OR_RETURN(store::ImageManifest manifest, store::ManifestOf(store_, *found));
  const std::vector<oci::Descriptor>& layers = manifest.manifest.layers;
  for (size_t i = layers.size(); i-- > 0;) {
    BERTH_TRY(sink_(Line("Preparing", store::ShortId(layers[i].digest))));
  }
  BERTH_TRY(RunParallel(layers.size(), options_.concurrent_uploads,
                        [&](size_t i, const std::function<bool()>& stop) -> Status {
                          // Layers are listed top first, as docker lists them.
                          const size_t at = layers.size() - 1 - i;
                          std::optional<Digest> diff_id;
                          if (at < found->layers.size()) diff_id = found->layers[at].diff_id;
                          return PushBlob(layers[at], diff_id, true, stop);
                        }));
  BERTH_TRY(PushBlob(manifest.manifest.config, std::nullopt, false, {}));
  HttpRequest put{
      .method = "PUT", .headers = {{"Content-Type", manifest.media_type}}, .body = manifest.bytes};
  BERTH_ASSIGN_OR_RETURN(
      HttpResponse response,
      session_.Do(std::move(put),
                  fmt::format("/v2/{}/manifests/{}", session_.repository(), tagged.tag)));
  BERTH_TRY(CheckStatus(response, "push manifest " + tagged.tag));
  // What the registry now holds: the repo digest, and the repository for later mounts.
  BERTH_TRY(store_.catalog().Tag(
      {.domain = name_.domain, .path = name_.path, .tag = "", .digest = manifest.digest},
      found->id));
  for (size_t i = 0; i < layers.size() && i < found->layers.size(); ++i) {
    BERTH_TRY(store_.catalog().RecordLayerBlob({.digest = layers[i].digest,
                                                .diff_id = found->layers[i].diff_id,
                                                .media_type = layers[i].media_type,
                                                .size = layers[i].size,
                                                .repositories = {name_.Name()}}));
  }
  const auto size = static_cast<int64_t>(manifest.bytes.size());
  BERTH_TRY(sink_(
      Line(fmt::format("{}: digest: {} size: {}", tagged.tag, manifest.digest.String(), size))));
  return PushedTag{.tag = tagged.tag, .digest = manifest.digest, .size = size};
}

// TagsOf lists the tags of name's repository in the store, sorted.
Result<std::vector<image::Reference>> TagsOf(store::ImageStore& store,
                                             const image::Reference& name) {
  std::vector<image::Reference> tags;
  BERTH_ASSIGN_OR_RETURN(std::vector<metadata::ImageRecord> images, store.catalog().ListImages());
  for (const metadata::ImageRecord& image : images) {
    for (const image::Reference& tag : image.tags) {
      if (tag.Name() == name.Name()) tags.push_back(tag);
    }
  }
  std::sort(tags.begin(), tags.end(),
            [](const image::Reference& a, const image::Reference& b) { return a.tag < b.tag; });
  if (tags.empty()) {
    return Fail(ErrorKind::kNotFound,
                "An image does not exist locally with the tag: " + name.FamiliarString());
  }
  return tags;
}

}  // namespace

std::string UploadUrl(std::string_view location, std::string_view query) {
  return fmt::format("{}{}{}", location, location.find('?') == std::string_view::npos ? "?" : "&",
                     query);
}

Result<std::vector<PushedTag>> Push(store::ImageStore& store, const image::Reference& name,
                                    const PushOptions& options, const LineSink& sink) {
  BERTH_TRY(ValidateRegistryConfig(options.registry));
  std::vector<image::Reference> tags = {name};
  if (name.tag.empty()) {
    BERTH_ASSIGN_OR_RETURN(tags, TagsOf(store, name));
  }
  Pusher pusher(store, name, options, sink);
  if (sink) BERTH_TRY(sink(Line("The push refers to repository [" + name.Name() + "]")));
  std::vector<PushedTag> pushed;
  for (const image::Reference& tag : tags) {
    BERTH_ASSIGN_OR_RETURN(PushedTag done, pusher.PushTag(tag));
    pushed.push_back(std::move(done));
  }
  return pushed;
}

}  // namespace berth::registry::client
