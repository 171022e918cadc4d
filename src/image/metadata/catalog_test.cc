#include "image/metadata/catalog.h"

#include <gtest/gtest.h>

#include "image/metadata/catalog_fixture.h"
#include "image/metadata/schema.h"

namespace berth::image::metadata {
namespace {

using std::chrono::seconds;

TEST_F(CatalogTest, OpenMigratesOnceAndReopens) {
  catalog_.reset();
  Result<Catalog> again = Catalog::Open(*db_);
  ASSERT_TRUE(again) << again.error().message();
  int64_t version = -1;
  ASSERT_TRUE(db_->Read([&](Tx& tx) -> Status {
    return tx.Query("SELECT version FROM schema_versions WHERE owner = ?", {kCatalogOwner},
                    [&](const Row& row) -> Status {
                      version = row.Int(0);
                      return {};
                    });
  }));
  EXPECT_EQ(version, static_cast<int64_t>(CatalogSchema().size()));
}

TEST_F(CatalogTest, PutImageRecordsEverythingAndGetImageReadsItBack) {
  NewImage image = MakeImage("app", {"base", "mid", "top"}, {"app:1", "app:latest"});
  image.created = Time(seconds(1600000000));
  image.labels = {{"maintainer", "me"}, {"version", "1"}};
  image.names.push_back(Ref("app@" + image.target->digest.String()));
  image.layer_blobs.push_back({D("gz-base"),
                               D("base"),
                               "application/vnd.oci.image.layer.v1.tar+gzip",
                               7,
                               {"docker.io/library/app"}});
  const PutResult put = Put(image);
  EXPECT_TRUE(put.created);
  EXPECT_TRUE(put.moved.empty());

  Result<ImageRecord> got = catalog_->GetImage(image.id);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(got->id, image.id);
  EXPECT_EQ(got->target, image.target);
  EXPECT_EQ(got->config_size, 100);
  EXPECT_EQ(got->created, image.created);
  EXPECT_EQ(got->added, now_);
  EXPECT_EQ(got->last_tag_time, now_);
  EXPECT_EQ(got->labels, image.labels);
  EXPECT_EQ(got->size, 10 + 20 + 30);
  EXPECT_FALSE(got->parent);
  EXPECT_EQ(Strings(got->tags), (std::vector<std::string>{"app:1", "app:latest"}));
  EXPECT_EQ(Strings(got->digests),
            (std::vector<std::string>{"app@" + image.target->digest.String()}));

  const std::vector<Digest> chain = ChainIds(std::vector<Digest>{D("base"), D("mid"), D("top")});
  ASSERT_EQ(got->layers.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got->layers[i].chain_id, chain[i]);
    EXPECT_EQ(got->layers[i].diff_id, image.layers[i].diff_id);
    EXPECT_EQ(got->layers[i].snapshot_key, image.layers[i].snapshot_key);
    EXPECT_EQ(got->layers[i].parent, i == 0 ? std::nullopt : std::optional(chain[i - 1]));
  }
  std::vector<BlobRef> blobs = {{image.id, BlobKind::kConfig},
                                {image.target->digest, BlobKind::kManifest}};
  std::sort(blobs.begin(), blobs.end(),
            [](const BlobRef& a, const BlobRef& b) { return a.digest.hex < b.digest.hex; });
  EXPECT_EQ(got->blobs, blobs);

  Result<std::vector<LayerBlob>> known = catalog_->LayerBlobs(D("base"));
  ASSERT_TRUE(known) << known.error().message();
  EXPECT_EQ(*known, image.layer_blobs);
}

TEST_F(CatalogTest, ImagesShareLayersAndKeepTheFirstSnapshotKey) {
  Put(MakeImage("one", {"base", "a"}));
  NewImage two = MakeImage("two", {"base", "b"});
  two.layers[0].snapshot_key = "unpacked-again";
  Put(two);
  EXPECT_EQ(Count("layers"), 3);
  Result<ImageRecord> got = catalog_->GetImage(two.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->layers[0].snapshot_key, SnapshotKey(D("base")));
  Result<LayerRecord> base = catalog_->GetLayer(D("base"));
  ASSERT_TRUE(base) << base.error().message();
  EXPECT_EQ(base->size, 10);
  Result<LayerRecord> missing = catalog_->GetLayer(D("nothing"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(missing.error().message().find(D("nothing").String()), std::string::npos);
}

TEST_F(CatalogTest, PuttingAnExistingImageAddsToIt) {
  Put(MakeImage("app", {"base"}, {"app:1"}));
  NewImage again = MakeImage("app", {"base"}, {"mirror.local/app:1"});
  again.target =
      Target{D("other-manifest"), "application/vnd.docker.distribution.manifest.v2+json"};
  again.blobs = {{D("other-manifest"), BlobKind::kManifest}};
  now_ += seconds(5);
  const PutResult put = Put(again);
  EXPECT_FALSE(put.created);
  Result<ImageRecord> got = catalog_->GetImage(again.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(Strings(got->tags), (std::vector<std::string>{"app:1", "mirror.local/app:1"}));
  EXPECT_EQ(got->target, again.target);
  EXPECT_EQ(got->blobs.size(), 3u);  // config and both manifests
  EXPECT_EQ(got->added, now_ - seconds(5));
  EXPECT_EQ(got->last_tag_time, now_);

  Result<PutResult> different = catalog_->PutImage(MakeImage("app", {"base", "extra"}));
  ASSERT_FALSE(different);
  EXPECT_EQ(different.error().kind(), ErrorKind::kConflict) << different.error().message();
  EXPECT_EQ(Count("layers"), 1);
}

TEST_F(CatalogTest, AFailureMidwayThroughPutLeavesNothing) {
  Put(MakeImage("first", {"x"}));
  // The second layer's snapshot key already holds another stack: the third statement fails.
  NewImage bad = MakeImage("second", {"y", "z"}, {"second:latest"});
  bad.layers[1].snapshot_key = SnapshotKey(D("x"));
  Result<PutResult> put = catalog_->PutImage(bad);
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().kind(), ErrorKind::kAlreadyExists) << put.error().message();
  EXPECT_NE(put.error().message().find("put image " + bad.id.String()), std::string::npos);
  EXPECT_EQ(Count("layers"), 1);
  EXPECT_EQ(Count("images"), 1);
  EXPECT_EQ(Count("names"), 0);

  // A layer blob recorded before with another diff id fails last, after the layers, the image,
  // its blobs and its names are written.
  ASSERT_TRUE(catalog_->RecordLayerBlob({D("gz"), D("tar"), "application/gzip", 1, {}}));
  NewImage late = MakeImage("third", {"y"}, {"third:latest"});
  late.layer_blobs = {{D("gz"), D("y"), "application/gzip", 1, {}}};
  put = catalog_->PutImage(late);
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().kind(), ErrorKind::kConflict) << put.error().message();
  EXPECT_EQ(Count("images"), 1);
  EXPECT_EQ(Count("layers"), 1);
  EXPECT_EQ(Count("names"), 0);
  EXPECT_EQ(Count("image_blobs"), 2);
}

TEST_F(CatalogTest, PutImageRefusesInvalidInputAndMissingParents) {
  NewImage orphan = MakeImage("child", {"a"});
  orphan.parent = D("nobody");
  Result<PutResult> put = catalog_->PutImage(orphan);
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(put.error().message().find("parent: no such image: " + D("nobody").String()),
            std::string::npos)
      << put.error().message();
  EXPECT_EQ(Count("layers"), 0);

  NewImage self = MakeImage("self", {"a"});
  self.parent = self.id;
  NewImage duplicate_key = MakeImage("dup", {"a", "b"});
  duplicate_key.layers[1].snapshot_key = duplicate_key.layers[0].snapshot_key;
  NewImage negative = MakeImage("neg", {"a"});
  negative.layers[0].size = -1;
  NewImage untagged = MakeImage("bare", {"a"});
  untagged.names.push_back(Reference{"docker.io", "library/bare", "", std::nullopt});
  for (const NewImage& bad : {self, duplicate_key, negative, untagged}) {
    put = catalog_->PutImage(bad);
    ASSERT_FALSE(put);
    EXPECT_EQ(put.error().kind(), ErrorKind::kInvalidArgument) << put.error().message();
  }
  EXPECT_EQ(Count("images"), 0);
}

TEST_F(CatalogTest, RetaggingMovesTheNameAndLeavesTheOldImageDangling) {
  const NewImage v1 = MakeImage("v1", {"base"}, {"app:latest"});
  const NewImage v2 = MakeImage("v2", {"base", "fix"});
  Put(v1);
  Put(v2);
  now_ += seconds(3);
  Result<std::optional<Digest>> moved = catalog_->Tag(Ref("app"), v2.id);
  ASSERT_TRUE(moved) << moved.error().message();
  EXPECT_EQ(*moved, v1.id);
  EXPECT_TRUE(catalog_->GetImage(v1.id)->tags.empty());
  EXPECT_EQ(catalog_->GetImage(v2.id)->last_tag_time, now_);
  Result<std::vector<ImageRecord>> dangling = catalog_->ListImages({.dangling = true});
  ASSERT_TRUE(dangling);
  ASSERT_EQ(dangling->size(), 1u);
  EXPECT_EQ(dangling->front().id, v1.id);

  // Tagging the same image again moves nothing.
  moved = catalog_->Tag(Ref("app"), v2.id);
  ASSERT_TRUE(moved);
  EXPECT_FALSE(*moved);

  // Putting an image with a name moves it too, and says so.
  const PutResult put = Put(MakeImage("v3", {"base"}, {"app:latest"}));
  ASSERT_EQ(put.moved.size(), 1u);
  EXPECT_EQ(put.moved[0].name.FamiliarString(), "app:latest");
  EXPECT_EQ(put.moved[0].from, v2.id);

  Result<std::optional<Digest>> unknown = catalog_->Tag(Ref("app:x"), D("nothing"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind(), ErrorKind::kNotFound);
}

TEST_F(CatalogTest, UntagRemovesOneNameAndKeepsTheImage) {
  const NewImage image = MakeImage("app", {"base"}, {"app:1", "app:2"});
  Put(image);
  Result<Digest> untagged = catalog_->Untag(Ref("app:1"));
  ASSERT_TRUE(untagged) << untagged.error().message();
  EXPECT_EQ(*untagged, image.id);
  EXPECT_EQ(Strings(catalog_->GetImage(image.id)->tags), (std::vector<std::string>{"app:2"}));
  untagged = catalog_->Untag(Ref("app:1"));
  ASSERT_FALSE(untagged);
  EXPECT_EQ(untagged.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(untagged.error().message(), "untag docker.io/library/app:1: no such name");
  EXPECT_EQ(Count("images"), 1);
}

TEST_F(CatalogTest, DeleteImageReportsWhatNoOtherImageNeeds) {
  NewImage one = MakeImage("one", {"base", "a"}, {"one:latest"});
  NewImage two = MakeImage("two", {"base", "b"}, {"two:latest", "two:v1"});
  one.blobs.push_back({D("shared-blob"), BlobKind::kLayer});
  two.blobs.push_back({D("shared-blob"), BlobKind::kLayer});
  Put(one);
  Put(two);

  Result<DeleteResult> deleted = catalog_->DeleteImage(two.id);
  ASSERT_TRUE(deleted) << deleted.error().message();
  EXPECT_EQ(Strings(deleted->untagged), (std::vector<std::string>{"two:latest", "two:v1"}));
  const Digest two_top = ChainIds(std::vector<Digest>{D("base"), D("b")})[1];
  ASSERT_EQ(deleted->layers.size(), 1u);
  EXPECT_EQ(deleted->layers[0].chain_id, two_top);
  EXPECT_EQ(deleted->snapshots, (std::vector<std::string>{SnapshotKey(two_top)}));
  std::vector<Digest> blobs = {two.id, two.target->digest};
  std::sort(blobs.begin(), blobs.end(),
            [](const Digest& a, const Digest& b) { return a.hex < b.hex; });
  EXPECT_EQ(deleted->blobs, blobs);
  EXPECT_EQ(Count("names"), 1);
  EXPECT_EQ(Count("layers"), 2);

  deleted = catalog_->DeleteImage(one.id);
  ASSERT_TRUE(deleted);
  ASSERT_EQ(deleted->layers.size(), 2u);
  EXPECT_EQ(deleted->layers[0].diff_id, D("a"));  // the child before its parent
  EXPECT_EQ(deleted->layers[1].diff_id, D("base"));
  EXPECT_EQ(deleted->blobs.size(), 3u);
  for (std::string_view table :
       {"images", "names", "layers", "image_layers", "image_blobs", "image_labels"}) {
    EXPECT_EQ(Count(table), 0) << table;
  }
  EXPECT_EQ(Count("layer_blobs"), 0);

  deleted = catalog_->DeleteImage(one.id);
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(deleted.error().message(),
            "delete image " + one.id.String() + ": no such image: " + one.id.String());
}

TEST_F(CatalogTest, AnImageOthersAreBuiltOnCannotBeDeleted) {
  const NewImage parent = MakeImage("parent", {"base"});
  NewImage child = MakeImage("child", {"base", "step"}, {"child:latest"});
  child.parent = parent.id;
  Put(parent);
  Put(child);
  Result<std::vector<Digest>> children = catalog_->Children(parent.id);
  ASSERT_TRUE(children);
  EXPECT_EQ(*children, std::vector<Digest>{child.id});
  EXPECT_EQ(catalog_->GetImage(child.id)->parent, parent.id);

  Result<DeleteResult> refused = catalog_->DeleteImage(parent.id);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), ErrorKind::kConflict);
  EXPECT_NE(refused.error().message().find("dependent child images"), std::string::npos);
  ASSERT_TRUE(catalog_->DeleteImage(child.id));
  Result<DeleteResult> deleted = catalog_->DeleteImage(parent.id);
  ASSERT_TRUE(deleted) << deleted.error().message();
  EXPECT_EQ(deleted->layers.size(), 1u);
}

TEST_F(CatalogTest, DeleteImageKeepsLayersALiveLeaseHolds) {
  const NewImage image = MakeImage("app", {"base", "top"});
  Put(image);
  const Digest top = ChainIds(std::vector<Digest>{D("base"), D("top")})[1];
  ASSERT_TRUE(catalog_->CreateLease({.id = "container-1", .expires = std::nullopt, .labels = {}}));
  ASSERT_TRUE(catalog_->AddLeaseResource("container-1", {LeaseResourceKind::kLayer, top.String()}));
  ASSERT_TRUE(catalog_->CreateLease({.id = "stale", .expires = now_ + seconds(1), .labels = {}}));
  ASSERT_TRUE(catalog_->AddLeaseResource("stale", {LeaseResourceKind::kBlob, image.id.String()}));
  now_ += seconds(1);

  Result<DeleteResult> deleted = catalog_->DeleteImage(image.id);
  ASSERT_TRUE(deleted) << deleted.error().message();
  EXPECT_TRUE(deleted->layers.empty());  // the lease holds the top layer and the base under it
  EXPECT_EQ(deleted->blobs.size(), 2u);  // the stale lease no longer holds the config
  EXPECT_EQ(Count("layers"), 2);

  ASSERT_TRUE(catalog_->DeleteLease("container-1"));
  Result<GcPlan> plan = catalog_->CommitGc({});
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->layers.size(), 2u);
  EXPECT_EQ(plan->expired_leases, std::vector<std::string>{"stale"});
  EXPECT_EQ(Count("layers"), 0);
}

TEST_F(CatalogTest, LayerBlobsCollectRepositoriesAndRefuseAnotherDiffId) {
  const LayerBlob blob{D("gz"),
                       D("tar"),
                       "application/vnd.docker.image.rootfs.diff.tar.gzip",
                       42,
                       {"docker.io/library/busybox"}};
  ASSERT_TRUE(catalog_->RecordLayerBlob(blob));
  LayerBlob mirrored = blob;
  mirrored.repositories = {"registry.local:5000/tools/busybox", "docker.io/library/busybox"};
  ASSERT_TRUE(catalog_->RecordLayerBlob(mirrored));
  const LayerBlob zstd{D("zst"), D("tar"), "application/vnd.oci.image.layer.v1.tar+zstd", 30, {}};
  ASSERT_TRUE(catalog_->RecordLayerBlob(zstd));

  Result<std::vector<LayerBlob>> known = catalog_->LayerBlobs(D("tar"));
  ASSERT_TRUE(known) << known.error().message();
  ASSERT_EQ(known->size(), 2u);
  const LayerBlob& gz = (*known)[0].digest == blob.digest ? (*known)[0] : (*known)[1];
  EXPECT_EQ(gz.repositories, (std::vector<std::string>{"docker.io/library/busybox",
                                                       "registry.local:5000/tools/busybox"}));
  EXPECT_EQ(gz.size, 42);

  LayerBlob other = blob;
  other.diff_id = D("something else");
  Status conflict = catalog_->RecordLayerBlob(other);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().kind(), ErrorKind::kConflict);
  LayerBlob unnormalised = blob;
  unnormalised.repositories = {"busybox"};
  Status invalid = catalog_->RecordLayerBlob(unnormalised);
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_TRUE(catalog_->LayerBlobs(D("nothing"))->empty());
}

TEST_F(CatalogTest, ADamagedRowIsDataLoss) {
  const NewImage image = MakeImage("app", {"base"});
  Put(image);
  ASSERT_TRUE(db_->Write([](Tx& tx) -> Status {
    return tx.Exec("UPDATE image_blobs SET digest = 'sha256:xyz' WHERE kind = 'manifest'")
        .map([](int64_t) {});
  }));
  Result<ImageRecord> got = catalog_->GetImage(image.id);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind(), ErrorKind::kDataLoss);
  EXPECT_NE(got.error().message().find("read image_blobs.digest"), std::string::npos)
      << got.error().message();
}

}  // namespace
}  // namespace berth::image::metadata
