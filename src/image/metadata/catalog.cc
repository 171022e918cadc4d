#include "image/metadata/catalog.h"

#include <fmt/format.h>

#include <set>

#include "image/metadata/chain_id.h"
#include "image/metadata/rows.h"
#include "image/metadata/schema.h"

namespace berth::image::metadata {
namespace {

Status CheckName(const Reference& name) {
  if (name.tag.empty() == !name.digest.has_value()) {
    return Fail(
        ErrorKind::kInvalidArgument,
        fmt::format("name {}: a name needs a tag or a digest, not both or neither", name.String()));
  }
  return {};
}

Status CheckNewImage(const NewImage& image) {
  auto invalid = [](std::string why) { return Fail(ErrorKind::kInvalidArgument, std::move(why)); };
  if (image.config_size < 0) return invalid("config size is negative");
  if (image.target && image.target->media_type.empty()) return invalid("target has no media type");
  if (image.parent && *image.parent == image.id) return invalid("image is its own parent");
  std::set<std::string> keys;
  for (const LayerInput& layer : image.layers) {
    if (layer.snapshot_key.empty()) {
      return invalid(fmt::format("layer {} has no snapshot key", layer.diff_id.String()));
    }
    if (layer.size < 0) {
      return invalid(fmt::format("layer {} size is negative", layer.diff_id.String()));
    }
    if (!keys.insert(layer.snapshot_key).second) {
      return invalid(fmt::format("snapshot key {} given for two layers", layer.snapshot_key));
    }
  }
  for (const Reference& name : image.names) BERTH_TRY(CheckName(name));
  return {};
}

Result<bool> ImageExists(Tx& tx, const Digest& id) {
  BERTH_ASSIGN_OR_RETURN(std::optional<int64_t> found,
                         tx.QueryOne<int64_t>("SELECT 1 FROM images WHERE id = ?", {id.String()},
                                              [](const Row& row) { return row.Int(0); }));
  return found.has_value();
}

// PutLayers writes the layer rows that do not exist yet and returns the chain ids of layers.
Result<std::vector<Digest>> PutLayers(Tx& tx, const std::vector<LayerInput>& layers) {
  std::vector<Digest> diff_ids;
  for (const LayerInput& layer : layers) diff_ids.push_back(layer.diff_id);
  std::vector<Digest> chain_ids = ChainIds(diff_ids);
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string chain_id = chain_ids[i].String();
    const std::string diff_id = layers[i].diff_id.String();
    const std::string parent = i == 0 ? "" : chain_ids[i - 1].String();
    Result<int64_t> put = tx.Exec(
        "INSERT INTO layers(chain_id, diff_id, parent, snapshot_key, size)"
        " VALUES(?, ?, ?, ?, ?) ON CONFLICT(chain_id) DO NOTHING",
        {chain_id, diff_id, i == 0 ? Value(nullptr) : Value(parent), layers[i].snapshot_key,
         layers[i].size});
    if (!put) return Fail(std::move(put).error().Wrap(fmt::format("layer {}", chain_id)));
  }
  return chain_ids;
}

// CheckSameLayers checks that the recorded image id stacks chain_ids.
Status CheckSameLayers(Tx& tx, const std::string& id, const std::vector<Digest>& chain_ids) {
  std::vector<Digest> recorded;
  BERTH_TRY(tx.Query("SELECT chain_id FROM image_layers WHERE image_id = ? ORDER BY position", {id},
                     [&](const Row& row) -> Status {
                       BERTH_ASSIGN_OR_RETURN(Digest chain_id,
                                              rows::ReadDigest(row, 0, "image_layers.chain_id"));
                       recorded.push_back(std::move(chain_id));
                       return {};
                     }));
  if (recorded != chain_ids) {
    return Fail(ErrorKind::kConflict, "its layers differ from those of the recorded image");
  }
  return {};
}

// PutImageRow writes the image row, its layers and labels, or checks an existing image's layers
// and updates its target. It returns whether the image is new.
Result<bool> PutImageRow(Tx& tx, const NewImage& image, const std::vector<Digest>& chain_ids,
                         Time now) {
  const std::string id = image.id.String();
  if (image.parent) {
    BERTH_ASSIGN_OR_RETURN(bool parent_exists, ImageExists(tx, *image.parent));
    if (!parent_exists) return Fail(rows::NoSuchImage(image.parent->String()).Wrap("parent"));
  }
  const std::string target = image.target ? image.target->digest.String() : "";
  const Value target_digest = image.target ? Value(target) : Value(nullptr);
  const Value target_media_type = image.target ? Value(image.target->media_type) : Value(nullptr);
  BERTH_ASSIGN_OR_RETURN(bool exists, ImageExists(tx, image.id));
  if (exists) {
    BERTH_TRY(CheckSameLayers(tx, id, chain_ids));
    if (image.target) {
      BERTH_TRY(tx.Exec("UPDATE images SET target_digest = ?, target_media_type = ? WHERE id = ?",
                        {target_digest, target_media_type, id}));
    }
    return false;
  }
  const std::string parent = image.parent ? image.parent->String() : "";
  BERTH_TRY(tx.Exec(
      "INSERT INTO images(id, target_digest, target_media_type, config_size, created, parent,"
      " added) VALUES(?, ?, ?, ?, ?, ?, ?)",
      {id, target_digest, target_media_type, image.config_size,
       image.created ? Value(rows::Nanos(*image.created)) : Value(nullptr),
       image.parent ? Value(parent) : Value(nullptr), rows::Nanos(now)}));
  for (size_t i = 0; i < chain_ids.size(); ++i) {
    BERTH_TRY(tx.Exec("INSERT INTO image_layers(image_id, position, chain_id) VALUES(?, ?, ?)",
                      {id, static_cast<int64_t>(i), chain_ids[i].String()}));
  }
  for (const auto& [key, value] : image.labels) {
    BERTH_TRY(tx.Exec("INSERT INTO image_labels(image_id, key, value) VALUES(?, ?, ?)",
                      {id, key, value}));
  }
  return true;
}

Status PutBlobs(Tx& tx, const NewImage& image) {
  const std::string id = image.id.String();
  std::vector<BlobRef> blobs = {{image.id, BlobKind::kConfig}};
  blobs.insert(blobs.end(), image.blobs.begin(), image.blobs.end());
  for (const BlobRef& blob : blobs) {
    BERTH_TRY(tx.Exec("INSERT OR IGNORE INTO image_blobs(image_id, digest, kind) VALUES(?, ?, ?)",
                      {id, blob.digest.String(), BlobKindName(blob.kind)}));
  }
  return {};
}

// TagIn points name at image_id and returns the image it pointed at before, if another.
Result<std::optional<Digest>> TagIn(Tx& tx, const Reference& name, const Digest& image_id,
                                    Time now) {
  BERTH_TRY(CheckName(name));
  BERTH_ASSIGN_OR_RETURN(bool exists, ImageExists(tx, image_id));
  if (!exists) return Fail(rows::NoSuchImage(image_id.String()));
  const std::string full = name.String();
  std::optional<Digest> before;
  BERTH_TRY(
      tx.Query("SELECT image_id FROM names WHERE name = ?", {full}, [&](const Row& row) -> Status {
        BERTH_ASSIGN_OR_RETURN(before, rows::ReadDigest(row, 0, "names.image_id"));
        return {};
      }));
  const std::string repository = name.Name();
  const std::string digest = name.digest ? name.digest->String() : "";
  BERTH_TRY(tx.Exec(
      "INSERT INTO names(name, repository, tag, digest, image_id, tagged) VALUES(?, ?, ?, ?, ?, ?)"
      " ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id, tagged = excluded.tagged",
      {full, repository, name.digest ? Value(nullptr) : Value(name.tag),
       name.digest ? Value(digest) : Value(nullptr), image_id.String(), rows::Nanos(now)}));
  if (before && *before == image_id) before.reset();
  return before;
}

Status CheckRepository(std::string_view repository) {
  Result<Reference> ref = ParseNormalizedNamed(repository);
  if (!ref) return Fail(std::move(ref).error().Wrap(fmt::format("repository {}", repository)));
  if (!ref->tag.empty() || ref->digest || ref->Name() != repository) {
    return Fail(
        ErrorKind::kInvalidArgument,
        fmt::format("repository {}: not a normalised name without tag or digest", repository));
  }
  return {};
}

Status RecordLayerBlobIn(Tx& tx, const LayerBlob& blob) {
  if (blob.size < 0 || blob.media_type.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "size is negative or media type empty");
  }
  for (const std::string& repository : blob.repositories) BERTH_TRY(CheckRepository(repository));
  const std::string digest = blob.digest.String();
  std::optional<Digest> recorded;
  BERTH_TRY(tx.Query(
      "SELECT diff_id FROM layer_blobs WHERE digest = ?", {digest}, [&](const Row& row) -> Status {
        BERTH_ASSIGN_OR_RETURN(recorded, rows::ReadDigest(row, 0, "layer_blobs.diff_id"));
        return {};
      }));
  if (recorded && *recorded != blob.diff_id) {
    return Fail(ErrorKind::kConflict, fmt::format("recorded with diff id {}, not {}",
                                                  recorded->String(), blob.diff_id.String()));
  }
  BERTH_TRY(
      tx.Exec("INSERT INTO layer_blobs(digest, diff_id, media_type, size) VALUES(?, ?, ?, ?)"
              " ON CONFLICT(digest) DO NOTHING",
              {digest, blob.diff_id.String(), blob.media_type, blob.size}));
  for (const std::string& repository : blob.repositories) {
    BERTH_TRY(tx.Exec("INSERT OR IGNORE INTO layer_blob_sources(digest, repository) VALUES(?, ?)",
                      {digest, repository}));
  }
  return {};
}

}  // namespace

Result<Catalog> Catalog::Open(Database& db, CatalogOptions options) {
  BERTH_TRY(db.Migrate(kCatalogOwner, CatalogSchema()));
  return Catalog(&db, std::move(options));
}

Result<PutResult> Catalog::PutImage(const NewImage& image) {
  const std::string what = fmt::format("put image {}", image.id.String());
  BERTH_TRY(Annotate(CheckNewImage(image), what));
  const Time now = options_.clock();
  PutResult result;
  Status written = db_->Write([&](Tx& tx) -> Status {
    result = {};
    BERTH_ASSIGN_OR_RETURN(std::vector<Digest> chain_ids, PutLayers(tx, image.layers));
    BERTH_ASSIGN_OR_RETURN(result.created, PutImageRow(tx, image, chain_ids, now));
    BERTH_TRY(PutBlobs(tx, image));
    for (const Reference& name : image.names) {
      BERTH_ASSIGN_OR_RETURN(std::optional<Digest> from, TagIn(tx, name, image.id, now));
      if (from) result.moved.push_back({name, std::move(*from)});
    }
    for (const LayerBlob& blob : image.layer_blobs) {
      BERTH_TRY(Annotate(RecordLayerBlobIn(tx, blob),
                         fmt::format("layer blob {}", blob.digest.String())));
    }
    return {};
  });
  BERTH_TRY(Annotate(std::move(written), what));
  return result;
}

Result<ImageRecord> Catalog::GetImage(const Digest& id) const {
  std::optional<ImageRecord> image;
  Status read = db_->Read([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(image, rows::LoadImage(tx, id));
    return {};
  });
  BERTH_TRY(read);
  if (!image) return Fail(rows::NoSuchImage(id.String()));
  return std::move(*image);
}

Result<std::vector<Digest>> Catalog::Children(const Digest& id) const {
  std::vector<Digest> children;
  Status read = db_->Read([&](Tx& tx) -> Status {
    return tx.Query("SELECT id FROM images WHERE parent = ? ORDER BY id", {id.String()},
                    [&](const Row& row) -> Status {
                      BERTH_ASSIGN_OR_RETURN(Digest child, rows::ReadDigest(row, 0, "images.id"));
                      children.push_back(std::move(child));
                      return {};
                    });
  });
  BERTH_TRY(read);
  return children;
}

Result<DeleteResult> Catalog::DeleteImage(const Digest& id) {
  const Time now = options_.clock();
  DeleteResult result;
  Status written = db_->Write([&](Tx& tx) -> Status {
    result = {};
    BERTH_ASSIGN_OR_RETURN(std::optional<ImageRecord> image, rows::LoadImage(tx, id));
    if (!image) return Fail(rows::NoSuchImage(id.String()));
    BERTH_ASSIGN_OR_RETURN(
        std::optional<int64_t> child,
        tx.QueryOne<int64_t>("SELECT 1 FROM images WHERE parent = ? LIMIT 1", {id.String()},
                             [](const Row& row) { return row.Int(0); }));
    if (child) return Fail(ErrorKind::kConflict, "image has dependent child images");
    BERTH_TRY(tx.Exec("DELETE FROM names WHERE image_id = ?", {id.String()}));
    BERTH_TRY(tx.Exec("DELETE FROM images WHERE id = ?", {id.String()}));
    result.untagged = image->tags;
    result.untagged.insert(result.untagged.end(), image->digests.begin(), image->digests.end());

    BERTH_ASSIGN_OR_RETURN(GcGraph graph, rows::LoadGcGraph(tx));
    const LiveSet live = ComputeLive(graph, now);
    result.layers = DeadLayers(graph, live);
    for (const LayerRecord& layer : result.layers) {
      BERTH_TRY(tx.Exec("DELETE FROM layers WHERE chain_id = ?", {layer.chain_id.String()}));
      if (!live.snapshots.contains(layer.snapshot_key)) {
        result.snapshots.push_back(layer.snapshot_key);
      }
    }
    for (const BlobRef& blob : image->blobs) {
      if (!live.blobs.contains(blob.digest.String())) result.blobs.push_back(blob.digest);
    }
    return {};
  });
  BERTH_TRY(Annotate(std::move(written), fmt::format("delete image {}", id.String())));
  return result;
}

Result<std::optional<Digest>> Catalog::Tag(const Reference& name, const Digest& image_id) {
  const Time now = options_.clock();
  std::optional<Digest> before;
  Status written = db_->Write([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(before, TagIn(tx, name, image_id, now));
    return {};
  });
  BERTH_TRY(
      Annotate(std::move(written), fmt::format("tag {} as {}", image_id.String(), name.String())));
  return before;
}

Result<Digest> Catalog::Untag(const Reference& name) {
  const std::string what = fmt::format("untag {}", name.String());
  BERTH_TRY(Annotate(CheckName(name), what));
  std::optional<Digest> image_id;
  Status written = db_->Write([&](Tx& tx) -> Status {
    BERTH_TRY(tx.Query("SELECT image_id FROM names WHERE name = ?", {name.String()},
                       [&](const Row& row) -> Status {
                         BERTH_ASSIGN_OR_RETURN(image_id,
                                                rows::ReadDigest(row, 0, "names.image_id"));
                         return {};
                       }));
    if (!image_id) return Fail(ErrorKind::kNotFound, "no such name");
    return tx.Exec("DELETE FROM names WHERE name = ?", {name.String()}).map([](int64_t) {});
  });
  BERTH_TRY(Annotate(std::move(written), what));
  return std::move(*image_id);
}

Result<LayerRecord> Catalog::GetLayer(const Digest& chain_id) const {
  std::optional<LayerRecord> layer;
  Status read = db_->Read([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(layer, rows::LoadLayer(tx, chain_id));
    return {};
  });
  BERTH_TRY(read);
  if (!layer) {
    return Fail(ErrorKind::kNotFound, fmt::format("no such layer: {}", chain_id.String()));
  }
  return std::move(*layer);
}

Status Catalog::RecordLayerBlob(const LayerBlob& blob) {
  return Annotate(db_->Write([&](Tx& tx) { return RecordLayerBlobIn(tx, blob); }),
                  fmt::format("record layer blob {}", blob.digest.String()));
}

Result<std::vector<LayerBlob>> Catalog::LayerBlobs(const Digest& diff_id) const {
  std::vector<LayerBlob> blobs;
  Status read = db_->Read([&](Tx& tx) -> Status {
    blobs.clear();
    BERTH_TRY(tx.Query(
        "SELECT digest, media_type, size FROM layer_blobs WHERE diff_id = ? ORDER BY digest",
        {diff_id.String()}, [&](const Row& row) -> Status {
          BERTH_ASSIGN_OR_RETURN(Digest digest, rows::ReadDigest(row, 0, "layer_blobs.digest"));
          blobs.push_back({std::move(digest), diff_id, row.Text(1), row.Int(2), {}});
          return {};
        }));
    for (LayerBlob& blob : blobs) {
      BERTH_TRY(
          tx.Query("SELECT repository FROM layer_blob_sources WHERE digest = ? ORDER BY repository",
                   {blob.digest.String()}, [&](const Row& row) -> Status {
                     blob.repositories.push_back(row.Text(0));
                     return {};
                   }));
    }
    return {};
  });
  BERTH_TRY(read);
  return blobs;
}

}  // namespace berth::image::metadata
