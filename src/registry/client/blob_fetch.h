// Fetching blobs and manifests of one repository through a Session. A blob streams into the
// content store through a BlobWriter (hashed while written, committed only when its digest
// matches the descriptor's), resumed with a Range request after a broken connection; a manifest
// or index is read whole (it is small) and checked against the digest it is asked by or the
// registry's Docker-Content-Digest. Thread-safe as the session is; one blob per call.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/digest.h"
#include "base/result.h"
#include "image/store/image_store.h"
#include "oci/image_spec.h"
#include "registry/client/session.h"

namespace berth::registry::client {

// The manifest media types asked for, best first.
inline constexpr std::string_view kManifestAccept =
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

struct FetchedManifest {
  std::string body;
  std::string media_type;  // oci/docker manifest or index
  Digest digest;
};

// FetchManifest reads the manifest or index that reference (a tag or "sha256:...") names.
// kNotFound when the registry lacks it; kInvalidArgument for a media type berth cannot pull
// (docker schema 1).
Result<FetchedManifest> FetchManifest(Session& session, const std::string& reference);

// MediaTypeOf chooses a manifest's media type: the Content-Type when it names a manifest or an
// index, else the body's mediaType, else (an OCI document without one) index when the body has
// "manifests", manifest otherwise.
std::string MediaTypeOf(std::string_view content_type, std::string_view body);

// Called with the bytes of the blob received so far.
using BlobProgress = std::function<Status(int64_t current)>;

// BlobSink receives the bytes of one blob in order: the content store's BlobWriter, or a
// LayerWriter that also extracts the layer (image/store/unpack.h).
class BlobSink {
 public:
  virtual ~BlobSink() = default;
  virtual Status Write(std::string_view data) = 0;
  virtual int64_t size() const = 0;
  // Commit checks the bytes against the blob's digest (kDataLoss) and keeps them.
  virtual Status Commit() = 0;
};

// OpenBlobSink makes a fresh sink each time a transfer starts (over); the previous one is
// destroyed (discarding what it held) before the next is made.
using OpenBlobSink = std::function<Result<std::unique_ptr<BlobSink>>()>;

// FetchBlobInto streams the blob of descriptor into a sink from open, resumed after a broken
// connection, and returns once the sink has committed it. stop, when it returns true, cancels
// the download (kCancelled).
Status FetchBlobInto(Session& session, const oci::Descriptor& descriptor, const OpenBlobSink& open,
                     const BlobProgress& progress, const std::function<bool()>& stop = {});

// FetchBlob streams the blob of descriptor into the store, held by lease, and returns once it is
// committed.
Status FetchBlob(Session& session, image::store::ImageStore& store, image::store::Lease& lease,
                 const oci::Descriptor& descriptor, const BlobProgress& progress,
                 const std::function<bool()>& stop = {});

}  // namespace berth::registry::client
