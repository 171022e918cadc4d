#include "image/metadata/rows.h"

#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

namespace berth::image::metadata::rows {
namespace {

Error Damaged(std::string_view column, const Error& cause) {
  return Error(ErrorKind::kDataLoss, fmt::format("read {}: {}", column, cause.message()));
}

Result<Reference> ReadName(const Row& row, int index) {
  Result<Reference> ref = ParseNormalizedNamed(row.Text(index));
  if (!ref) return Fail(Damaged("names.name", ref.error()));
  return ref;
}

Status LoadImageParts(Tx& tx, const Digest& id, ImageRecord& image) {
  const std::string key = id.String();
  BERTH_TRY(tx.Query("SELECT key, value FROM image_labels WHERE image_id = ?", {key},
                     [&](const Row& row) -> Status {
                       image.labels.emplace(row.Text(0), row.Text(1));
                       return {};
                     }));
  BERTH_TRY(tx.Query(
      "SELECT l.chain_id, l.diff_id, l.parent, l.snapshot_key, l.size FROM image_layers il"
      " JOIN layers l ON l.chain_id = il.chain_id WHERE il.image_id = ? ORDER BY il.position",
      {key}, [&](const Row& row) -> Status {
        BERTH_ASSIGN_OR_RETURN(LayerRecord layer, ReadLayer(row, 0));
        image.size += layer.size;
        image.layers.push_back(std::move(layer));
        return {};
      }));
  BERTH_TRY(
      tx.Query("SELECT name, tag IS NOT NULL, tagged FROM names WHERE image_id = ?"
               " ORDER BY name",
               {key}, [&](const Row& row) -> Status {
                 BERTH_ASSIGN_OR_RETURN(Reference name, ReadName(row, 0));
                 (row.Int(1) != 0 ? image.tags : image.digests).push_back(std::move(name));
                 Time tagged = FromNanos(row.Int(2));
                 if (!image.last_tag_time || *image.last_tag_time < tagged) {
                   image.last_tag_time = tagged;
                 }
                 return {};
               }));
  return tx.Query("SELECT digest, kind FROM image_blobs WHERE image_id = ? ORDER BY digest", {key},
                  [&](const Row& row) -> Status {
                    BERTH_ASSIGN_OR_RETURN(Digest digest, ReadDigest(row, 0, "image_blobs.digest"));
                    BERTH_ASSIGN_OR_RETURN(BlobKind kind, ParseBlobKind(row.Text(1)));
                    image.blobs.push_back({std::move(digest), kind});
                    return {};
                  });
}

}  // namespace

Error NoSuchImage(std::string_view what) {
  return Error(ErrorKind::kNotFound, fmt::format("no such image: {}", what));
}

int64_t Nanos(Time t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

Time FromNanos(int64_t nanos) {
  return Time(std::chrono::duration_cast<Time::duration>(std::chrono::nanoseconds(nanos)));
}

Result<Digest> ReadDigest(const Row& row, int index, std::string_view column) {
  Result<Digest> digest = Digest::Parse(row.Text(index));
  if (!digest) return Fail(Damaged(column, digest.error()));
  return digest;
}

Result<std::optional<Digest>> ReadOptionalDigest(const Row& row, int index,
                                                 std::string_view column) {
  if (row.IsNull(index)) return std::optional<Digest>();
  BERTH_ASSIGN_OR_RETURN(Digest digest, ReadDigest(row, index, column));
  return std::optional<Digest>(std::move(digest));
}

Result<BlobKind> ParseBlobKind(std::string_view name) {
  for (BlobKind kind :
       {BlobKind::kIndex, BlobKind::kManifest, BlobKind::kConfig, BlobKind::kLayer}) {
    if (BlobKindName(kind) == name) return kind;
  }
  return Fail(ErrorKind::kDataLoss,
              fmt::format("read image_blobs.kind: unknown kind \"{}\"", name));
}

Result<LeaseResourceKind> ParseLeaseResourceKind(std::string_view name) {
  for (LeaseResourceKind kind :
       {LeaseResourceKind::kBlob, LeaseResourceKind::kLayer, LeaseResourceKind::kSnapshot}) {
    if (LeaseResourceKindName(kind) == name) return kind;
  }
  return Fail(ErrorKind::kDataLoss,
              fmt::format("read lease_resources.kind: unknown kind \"{}\"", name));
}

Result<LayerRecord> ReadLayer(const Row& row, int index) {
  LayerRecord layer;
  BERTH_ASSIGN_OR_RETURN(layer.chain_id, ReadDigest(row, index, "layers.chain_id"));
  BERTH_ASSIGN_OR_RETURN(layer.diff_id, ReadDigest(row, index + 1, "layers.diff_id"));
  BERTH_ASSIGN_OR_RETURN(layer.parent, ReadOptionalDigest(row, index + 2, "layers.parent"));
  layer.snapshot_key = row.Text(index + 3);
  layer.size = row.Int(index + 4);
  return layer;
}

Result<std::optional<ImageRecord>> LoadImage(Tx& tx, const Digest& id) {
  std::optional<ImageRecord> image;
  BERTH_TRY(
      tx.Query("SELECT target_digest, target_media_type, config_size, created, parent, added"
               " FROM images WHERE id = ?",
               {id.String()}, [&](const Row& row) -> Status {
                 ImageRecord& out = image.emplace();
                 out.id = id;
                 BERTH_ASSIGN_OR_RETURN(std::optional<Digest> target,
                                        ReadOptionalDigest(row, 0, "images.target_digest"));
                 if (target) out.target = Target{std::move(*target), row.Text(1)};
                 out.config_size = row.Int(2);
                 if (!row.IsNull(3)) out.created = FromNanos(row.Int(3));
                 BERTH_ASSIGN_OR_RETURN(out.parent, ReadOptionalDigest(row, 4, "images.parent"));
                 out.added = FromNanos(row.Int(5));
                 return {};
               }));
  if (image) BERTH_TRY(LoadImageParts(tx, id, *image));
  return image;
}

Result<std::optional<LayerRecord>> LoadLayer(Tx& tx, const Digest& chain_id) {
  std::optional<LayerRecord> layer;
  BERTH_TRY(tx.Query(
      "SELECT chain_id, diff_id, parent, snapshot_key, size FROM layers WHERE chain_id = ?",
      {chain_id.String()}, [&](const Row& row) -> Status {
        BERTH_ASSIGN_OR_RETURN(layer, ReadLayer(row, 0));
        return {};
      }));
  return layer;
}

Result<std::optional<LeaseRecord>> LoadLease(Tx& tx, std::string_view id) {
  std::optional<LeaseRecord> lease;
  BERTH_TRY(tx.Query("SELECT created, expires FROM leases WHERE id = ?", {id},
                     [&](const Row& row) -> Status {
                       LeaseRecord& out = lease.emplace();
                       out.id = std::string(id);
                       out.created = FromNanos(row.Int(0));
                       if (!row.IsNull(1)) out.expires = FromNanos(row.Int(1));
                       return {};
                     }));
  if (!lease) return lease;
  BERTH_TRY(tx.Query("SELECT key, value FROM lease_labels WHERE lease_id = ?", {id},
                     [&](const Row& row) -> Status {
                       lease->labels.emplace(row.Text(0), row.Text(1));
                       return {};
                     }));
  // The kinds' names sort as the enum does: blob, layer, snapshot.
  BERTH_TRY(tx.Query("SELECT kind, id FROM lease_resources WHERE lease_id = ? ORDER BY kind, id",
                     {id}, [&](const Row& row) -> Status {
                       BERTH_ASSIGN_OR_RETURN(LeaseResourceKind kind,
                                              ParseLeaseResourceKind(row.Text(0)));
                       lease->resources.push_back({kind, row.Text(1)});
                       return {};
                     }));
  return lease;
}

Result<std::vector<LeaseRecord>> LoadLeases(Tx& tx) {
  std::vector<std::string> ids;
  BERTH_TRY(tx.Query("SELECT id FROM leases ORDER BY id", {}, [&](const Row& row) -> Status {
    ids.push_back(row.Text(0));
    return {};
  }));
  std::vector<LeaseRecord> leases;
  for (const std::string& id : ids) {
    BERTH_ASSIGN_OR_RETURN(std::optional<LeaseRecord> lease, LoadLease(tx, id));
    if (lease) leases.push_back(std::move(*lease));
  }
  return leases;
}

Result<GcGraph> LoadGcGraph(Tx& tx) {
  GcGraph graph;
  BERTH_TRY(tx.Query("SELECT DISTINCT digest FROM image_blobs", {}, [&](const Row& row) -> Status {
    BERTH_ASSIGN_OR_RETURN(Digest digest, ReadDigest(row, 0, "image_blobs.digest"));
    graph.image_blobs.push_back(std::move(digest));
    return {};
  }));
  BERTH_TRY(
      tx.Query("SELECT DISTINCT chain_id FROM image_layers", {}, [&](const Row& row) -> Status {
        BERTH_ASSIGN_OR_RETURN(Digest chain_id, ReadDigest(row, 0, "image_layers.chain_id"));
        graph.image_chain_ids.push_back(std::move(chain_id));
        return {};
      }));
  BERTH_TRY(tx.Query("SELECT chain_id, diff_id, parent, snapshot_key, size FROM layers", {},
                     [&](const Row& row) -> Status {
                       BERTH_ASSIGN_OR_RETURN(LayerRecord layer, ReadLayer(row, 0));
                       graph.layers.push_back(std::move(layer));
                       return {};
                     }));
  BERTH_ASSIGN_OR_RETURN(graph.leases, LoadLeases(tx));
  return graph;
}

}  // namespace berth::image::metadata::rows
