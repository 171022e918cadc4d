// Pulling an image from a registry into the image store, as `docker pull` does: the manifest of
// a tag or digest (OCI or docker schema 2), through an index or manifest list to the manifest of
// the wanted platform; the config, then the layers not yet in the content store fetched in
// parallel (each streamed into the store, hashed, verified, resumed after a broken connection,
// and on overlay extracted into its snapshot while it downloads: image/store's LayerWriter);
// then the image recorded by the store (PutImage commits the extracted layers base first and
// unpacks any other) with its tag and its repo digest. Progress is docker's pull stream.
// Everything is held by one lease: on error nothing is recorded and what was written is
// collected. A Pull belongs to one thread; its work runs on threads of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.h"
#include "base/result.h"
#include "image/reference/reference.h"
#include "image/store/image_store.h"
#include "image/store/unpack.h"
#include "oci/image_spec.h"
#include "registry/client/auth.h"
#include "registry/client/hosts.h"
#include "registry/client/parallel.h"
#include "registry/client/session.h"

namespace berth::registry::client {

inline constexpr int kDefaultConcurrentDownloads = 3;

struct PullOptions {
  RegistryConfig registry;
  Credentials credentials;
  std::optional<oci::Platform> platform;  // the host's when unset
  int concurrent_downloads = kDefaultConcurrentDownloads;
};

struct PullResult {
  Digest id;      // the image id (its config's digest)
  Digest digest;  // the manifest or index the reference resolved to
  bool up_to_date = false;
};

// PlatformManifest selects the manifest of an index for platform (oci::SelectManifest) and
// names the index's platforms in the error when none matches: "no matching manifest for
// linux/s390x in the manifest list entries".
Result<oci::Descriptor> PlatformManifest(std::string_view index_json,
                                         const oci::Platform& platform);

// NotFoundError restates a registry's kNotFound error in docker's words: "<what> not found:
// <the registry's words>", which follow the first ": " of the error's message (after the
// request's context); the whole message when it has none.
Error NotFoundError(std::string_view what, const Error& error);

class Pull {
 public:
  // Resolve reads the manifest reference names (and the platform's manifest of an index), so
  // that an unknown repository or tag fails before any progress is sent. reference carries a
  // tag or a digest.
  static Result<std::unique_ptr<Pull>> Resolve(image::store::ImageStore& store,
                                               image::Reference reference, PullOptions options);

  // Run fetches what the store lacks, unpacks and records the image, sending docker's progress
  // lines to sink (serialised) from "Pulling from" to "Status: ...".
  Result<PullResult> Run(const LineSink& sink);

  // ResolveAll resolves every tag the registry lists for repository (a reference without tag or
  // digest), as `docker pull --all-tags` does, all through one session; an unknown repository
  // fails before any progress.
  static Result<std::vector<std::unique_ptr<Pull>>> ResolveAll(image::store::ImageStore& store,
                                                               const image::Reference& repository,
                                                               const PullOptions& options);
  // RunAll runs pulls one after the other, each with its lines up to "Digest: ...", then sends
  // one status line for repository: "Image is up to date" when every tag was. Stops at the first
  // failure (the tags pulled before it stay).
  static Result<bool> RunAll(const std::vector<std::unique_ptr<Pull>>& pulls,
                             const image::Reference& repository, const LineSink& sink);

  const image::Reference& reference() const { return reference_; }

 private:
  Pull(image::store::ImageStore& store, image::Reference reference, PullOptions options,
       std::shared_ptr<Session> session)
      : store_(store),
        reference_(std::move(reference)),
        options_(std::move(options)),
        session_(std::move(session)) {}

  // A layer blob to download: into the content store alone, or extracted meanwhile (plan).
  struct LayerFetch {
    oci::Descriptor descriptor;
    size_t index = 0;  // in the manifest
    std::optional<image::store::LayerPlan> plan;
  };

  // ResolveIn is Resolve through session (a session of reference's repository).
  static Result<std::unique_ptr<Pull>> ResolveIn(image::store::ImageStore& store,
                                                 image::Reference reference, PullOptions options,
                                                 std::shared_ptr<Session> session);
  // RunTag is Run without the status line.
  Result<PullResult> RunTag(const LineSink& sink);
  Result<PullResult> RunHeld(image::store::Lease& lease, const LineSink& sink);
  // PlanLayers fills input's layers from the manifest (the config read from the store), sends
  // "Already exists" or "Pulling fs layer" for each, and returns the blobs to download.
  Result<std::vector<LayerFetch>> PlanLayers(image::store::Lease& lease,
                                             const oci::Manifest& manifest,
                                             image::store::ImageInput& input, const LineSink& sink);
  Status FetchLayers(image::store::Lease& lease, const std::vector<LayerFetch>& fetches,
                     image::store::ImageInput& input, const LineSink& sink);

  image::store::ImageStore& store_;
  image::Reference reference_;
  PullOptions options_;
  std::shared_ptr<Session> session_;  // shared by the pulls of one ResolveAll
  std::optional<std::string> index_;  // the index the reference named, if any
  Digest index_digest_;
  std::string manifest_;
  std::string manifest_media_type_;
  Digest manifest_digest_;
};

}  // namespace berth::registry::client
