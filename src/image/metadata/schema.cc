#include "image/metadata/schema.h"

#include <array>

namespace berth::image::metadata {
namespace {

// The catalog's tables. Conventions: a digest is its "algorithm:hex" text; a time is INTEGER
// nanoseconds since the Unix epoch (UTC); a name is a normalised reference as image/reference
// prints it ("docker.io/library/busybox:latest"). Foreign keys are enforced.
//
// images: one row per image.
//   id                 the config digest: docker's image ID.
//   target_digest      the manifest or index the image was loaded or pulled through; NULL for an
//                      image built here.
//   target_media_type  the media type of target_digest; NULL exactly when it is.
//   config_size        bytes of the config blob.
//   created            the config's "created"; NULL when the config has none.
//   parent             the local image this one was built on (docker's Parent); such an image
//                      cannot be deleted while this row exists.
//   added              when the row was written.
//   An image's size is not stored: it is the sum of the sizes of its layers.
// image_labels: the config's labels, a row per (image, key); gone with the image.
// names: a row per tag or repo digest.
//   name        the full reference, unique: tagging a name that exists moves it to another
//               image (which may become dangling: left without a tag).
//   repository  the name without tag or digest ("docker.io/library/busybox").
//   tag         the tag for a tag; NULL for a repo digest.
//   digest      the manifest or index digest for a repo digest ("name@digest"); NULL for a tag.
//   image_id    the image the name points to; an image is deleted with its names.
//   tagged      when the name was last pointed at image_id (docker's LastTagTime).
// layers: a row per chain id (OCI image spec, config.md "Layer ChainID"), shared by every image
// that stacks it.
//   chain_id      the identity of the stack ending with this layer.
//   diff_id       the digest of the layer's uncompressed tar.
//   parent        the chain id of the stack under it; NULL for a base layer, whose chain id is
//                 its diff id.
//   snapshot_key  the snapshot that holds the unpacked stack (owned by a snapshotter, whose own
//                 tables live in the same database).
//   size          bytes of the layer's uncompressed tar.
//   A row lives while an image stacks it, an unexpired lease holds it, or a live row is stacked
//   on it; the transaction that drops the last such holder deletes it.
// image_layers: the layers of an image, a row per position (0 = base layer); gone with the image.
// image_blobs: the blobs an image needs (index, manifest, config, layer blobs), so that GC keeps
// them; gone with the image.
//   kind  'index', 'manifest', 'config' or 'layer'.
// layer_blobs: what is known about layer blobs as manifests list them (usually compressed), kept
// after the images that had them are gone: a push uses it to skip or cross-mount uploads.
//   digest      the blob's digest.
//   diff_id     the digest of the uncompressed tar it holds.
//   media_type  its media type in the manifest.
//   size        its size in bytes.
// layer_blob_sources: the repositories ("docker.io/library/busybox") known to hold a layer blob.
// leases: holders of blobs, layers and snapshots for the duration of a pull, a build or a
// container's life, so GC leaves them alone.
//   id       chosen by the holder.
//   created  when the lease was made.
//   expires  after this the lease holds nothing and GC deletes it; NULL: until deleted.
// lease_labels: a row per (lease, key); gone with the lease.
// lease_resources: what a lease holds; gone with the lease.
//   kind  'blob' (id is a digest), 'layer' (id is a chain id; the rows under it are held too,
//         and the row need not exist yet) or 'snapshot' (id is a snapshot key).
constexpr std::array<std::string_view, 1> kSteps = {
    R"sql(
CREATE TABLE images (
  id TEXT PRIMARY KEY,
  target_digest TEXT,
  target_media_type TEXT,
  config_size INTEGER NOT NULL CHECK (config_size >= 0),
  created INTEGER,
  parent TEXT REFERENCES images(id),
  added INTEGER NOT NULL,
  CHECK ((target_digest IS NULL) = (target_media_type IS NULL))
);
CREATE INDEX images_parent ON images(parent);

CREATE TABLE image_labels (
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (image_id, key)
) WITHOUT ROWID;

CREATE TABLE names (
  name TEXT PRIMARY KEY,
  repository TEXT NOT NULL,
  tag TEXT,
  digest TEXT,
  image_id TEXT NOT NULL REFERENCES images(id),
  tagged INTEGER NOT NULL,
  CHECK ((tag IS NULL) <> (digest IS NULL))
);
CREATE INDEX names_image ON names(image_id);

CREATE TABLE layers (
  chain_id TEXT PRIMARY KEY,
  diff_id TEXT NOT NULL,
  parent TEXT REFERENCES layers(chain_id),
  snapshot_key TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL CHECK (size >= 0),
  CHECK (parent IS NOT NULL OR chain_id = diff_id)
);
CREATE INDEX layers_parent ON layers(parent);

CREATE TABLE image_layers (
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  position INTEGER NOT NULL CHECK (position >= 0),
  chain_id TEXT NOT NULL REFERENCES layers(chain_id),
  PRIMARY KEY (image_id, position)
) WITHOUT ROWID;
CREATE INDEX image_layers_chain ON image_layers(chain_id);

CREATE TABLE image_blobs (
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  digest TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('index', 'manifest', 'config', 'layer')),
  PRIMARY KEY (image_id, digest)
) WITHOUT ROWID;
CREATE INDEX image_blobs_digest ON image_blobs(digest);

CREATE TABLE layer_blobs (
  digest TEXT PRIMARY KEY,
  diff_id TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL CHECK (size >= 0)
);
CREATE INDEX layer_blobs_diff_id ON layer_blobs(diff_id);

CREATE TABLE layer_blob_sources (
  digest TEXT NOT NULL REFERENCES layer_blobs(digest) ON DELETE CASCADE,
  repository TEXT NOT NULL,
  PRIMARY KEY (digest, repository)
) WITHOUT ROWID;

CREATE TABLE leases (
  id TEXT PRIMARY KEY,
  created INTEGER NOT NULL,
  expires INTEGER
);

CREATE TABLE lease_labels (
  lease_id TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (lease_id, key)
) WITHOUT ROWID;

CREATE TABLE lease_resources (
  lease_id TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('blob', 'layer', 'snapshot')),
  id TEXT NOT NULL,
  PRIMARY KEY (lease_id, kind, id)
) WITHOUT ROWID;
CREATE INDEX lease_resources_resource ON lease_resources(kind, id);
)sql"};

}  // namespace

std::span<const std::string_view> CatalogSchema() { return kSteps; }

}  // namespace berth::image::metadata
