#include <gtest/gtest.h>

#include "image/metadata/catalog.h"
#include "image/metadata/catalog_fixture.h"

namespace berth::image::metadata {
namespace {

using std::chrono::seconds;

LeaseResource Blob(const Digest& d) { return {LeaseResourceKind::kBlob, d.String()}; }
LeaseResource Layer(const Digest& d) { return {LeaseResourceKind::kLayer, d.String()}; }
LeaseResource Snapshot(std::string key) { return {LeaseResourceKind::kSnapshot, std::move(key)}; }

TEST_F(CatalogTest, LeasesAreCreatedListedAndDeleted) {
  ASSERT_TRUE(catalog_->CreateLease(
      {.id = "pull-1", .expires = now_ + seconds(60), .labels = {{"ref", "busybox"}}}));
  ASSERT_TRUE(catalog_->CreateLease({.id = "build-1", .expires = std::nullopt, .labels = {}}));
  Status taken = catalog_->CreateLease({.id = "pull-1", .expires = std::nullopt, .labels = {}});
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().kind(), ErrorKind::kAlreadyExists);
  EXPECT_EQ(taken.error().message(), "create lease pull-1: a lease has that id");

  Result<LeaseRecord> lease = catalog_->GetLease("pull-1");
  ASSERT_TRUE(lease) << lease.error().message();
  EXPECT_EQ(lease->created, now_);
  EXPECT_EQ(lease->expires, now_ + seconds(60));
  EXPECT_EQ(lease->labels, (std::map<std::string, std::string>{{"ref", "busybox"}}));
  EXPECT_TRUE(lease->resources.empty());
  EXPECT_FALSE(lease->ExpiredAt(now_ + seconds(59)));
  EXPECT_TRUE(lease->ExpiredAt(now_ + seconds(60)));

  Result<std::vector<LeaseRecord>> leases = catalog_->ListLeases();
  ASSERT_TRUE(leases);
  ASSERT_EQ(leases->size(), 2u);
  EXPECT_EQ((*leases)[0].id, "build-1");
  EXPECT_FALSE((*leases)[0].expires);

  ASSERT_TRUE(catalog_->DeleteLease("pull-1"));
  Status gone = catalog_->DeleteLease("pull-1");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(gone.error().message(), "delete lease pull-1: no such lease: pull-1");
  EXPECT_EQ(catalog_->GetLease("pull-1").error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(Count("lease_labels"), 0);
  EXPECT_FALSE(catalog_->CreateLease({.id = "", .expires = std::nullopt, .labels = {}}));
}

TEST_F(CatalogTest, LeaseResourcesAreAddedOnceRemovedAndRefusedWhenExpired) {
  ASSERT_TRUE(catalog_->CreateLease({.id = "pull", .expires = now_ + seconds(10), .labels = {}}));
  ASSERT_TRUE(catalog_->AddLeaseResource("pull", Blob(D("manifest"))));
  ASSERT_TRUE(catalog_->AddLeaseResource("pull", Blob(D("manifest"))));
  ASSERT_TRUE(catalog_->AddLeaseResource("pull", Layer(D("layer"))));
  ASSERT_TRUE(catalog_->AddLeaseResource("pull", Snapshot("extract-1")));
  Result<LeaseRecord> lease = catalog_->GetLease("pull");
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->resources, (std::vector<LeaseResource>{Blob(D("manifest")), Layer(D("layer")),
                                                          Snapshot("extract-1")}));
  ASSERT_TRUE(catalog_->RemoveLeaseResource("pull", Layer(D("layer"))));
  EXPECT_EQ(catalog_->GetLease("pull")->resources.size(), 2u);

  Status invalid = catalog_->AddLeaseResource("pull", {LeaseResourceKind::kBlob, "not-a-digest"});
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().kind(), ErrorKind::kInvalidArgument);
  Status missing = catalog_->AddLeaseResource("nobody", Blob(D("x")));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(catalog_->RemoveLeaseResource("nobody", Blob(D("x"))).error().kind(),
            ErrorKind::kNotFound);

  now_ += seconds(10);
  Status expired = catalog_->AddLeaseResource("pull", Blob(D("late")));
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().kind(), ErrorKind::kFailedPrecondition);
  EXPECT_EQ(catalog_->GetLease("pull")->resources.size(), 2u);
}

TEST_F(CatalogTest, LeaseHoldsItsFirstResourcesFromItsCreation) {
  ASSERT_TRUE(catalog_->CreateLease({.id = "rootfs-c1",
                                     .expires = std::nullopt,
                                     .labels = {},
                                     .resources = {Snapshot("c1"), Layer(D("top"))}}));
  Result<LeaseRecord> lease = catalog_->GetLease("rootfs-c1");
  ASSERT_TRUE(lease) << lease.error().message();
  EXPECT_EQ(lease->resources, (std::vector<LeaseResource>{Layer(D("top")), Snapshot("c1")}));

  // A bad resource refuses the whole lease: nothing is created.
  Status bad =
      catalog_->CreateLease({.id = "rootfs-c2",
                             .expires = std::nullopt,
                             .labels = {{"k", "v"}},
                             .resources = {Snapshot("c2"), {LeaseResourceKind::kLayer, "x"}}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(bad.error().message().find("create lease rootfs-c2"), std::string::npos);
  EXPECT_EQ(catalog_->GetLease("rootfs-c2").error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(Count("lease_labels"), 0);
}

// A pull: the lease holds the blobs and the snapshot being unpacked before the image exists;
// after PutImage the image holds them; when the lease goes, nothing the image needs is garbage.
TEST_F(CatalogTest, GcPlanKeepsWhatImagesAndLiveLeasesHold) {
  const NewImage kept = MakeImage("kept", {"base", "kept"}, {"kept:latest"});
  Put(kept);
  Put(MakeImage("gone", {"base", "gone"}));
  ASSERT_TRUE(catalog_->DeleteImage(D("gone")));
  const NewImage pulling = MakeImage("pulling", {"base", "new"});
  const Digest new_chain = ChainIds(std::vector<Digest>{D("base"), D("new")})[1];
  ASSERT_TRUE(catalog_->CreateLease({.id = "pull", .expires = now_ + seconds(60), .labels = {}}));
  for (const LeaseResource& r : {Blob(pulling.id), Blob(pulling.target->digest), Blob(D("new-gz")),
                                 Layer(new_chain), Snapshot(SnapshotKey(new_chain))}) {
    ASSERT_TRUE(catalog_->AddLeaseResource("pull", r));
  }
  ASSERT_TRUE(catalog_->CreateLease({.id = "stale", .expires = now_ + seconds(1), .labels = {}}));
  ASSERT_TRUE(catalog_->AddLeaseResource("stale", Blob(D("stale-blob"))));
  ASSERT_TRUE(catalog_->AddLeaseResource("stale", Snapshot("stale-snapshot")));
  now_ += seconds(1);

  GcInputs present;
  present.blobs = {kept.id,     kept.target->digest, D("gone"), pulling.id, pulling.target->digest,
                   D("new-gz"), D("stale-blob")};
  present.snapshots = {SnapshotKey(D("base")), SnapshotKey(new_chain), "stale-snapshot", "orphan"};
  Result<GcPlan> plan = catalog_->PlanGc(present);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->expired_leases, std::vector<std::string>{"stale"});
  EXPECT_TRUE(plan->layers.empty());
  EXPECT_EQ(plan->snapshots, (std::vector<std::string>{"stale-snapshot", "orphan"}));
  EXPECT_EQ(plan->blobs, (std::vector<Digest>{D("gone"), D("stale-blob")}));
  EXPECT_EQ(Count("leases"), 2);  // planning changes nothing

  Put(pulling);
  ASSERT_TRUE(catalog_->DeleteLease("pull"));
  plan = catalog_->CommitGc(present);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->blobs, (std::vector<Digest>{D("gone"), D("new-gz"), D("stale-blob")}));
  EXPECT_EQ(Count("leases"), 0);
  plan = catalog_->PlanGc(present);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->expired_leases.empty());
}

TEST_F(CatalogTest, CommitGcDeletesLayerRowsOnlyAnExpiredLeaseHeld) {
  Put(MakeImage("app", {"base", "top"}));
  const Digest top = ChainIds(std::vector<Digest>{D("base"), D("top")})[1];
  ASSERT_TRUE(catalog_->CreateLease({.id = "run", .expires = now_ + seconds(5), .labels = {}}));
  ASSERT_TRUE(catalog_->AddLeaseResource("run", Layer(top)));
  Result<DeleteResult> deleted = catalog_->DeleteImage(D("app"));
  ASSERT_TRUE(deleted);
  EXPECT_TRUE(deleted->layers.empty());
  Result<GcPlan> plan = catalog_->CommitGc({});
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->layers.empty());
  EXPECT_EQ(Count("layers"), 2);

  now_ += seconds(5);
  plan = catalog_->CommitGc({.blobs = {}, .snapshots = {SnapshotKey(D("base")), SnapshotKey(top)}});
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->layers.size(), 2u);
  EXPECT_EQ(plan->layers[0].chain_id, top);
  EXPECT_EQ(plan->snapshots, (std::vector<std::string>{SnapshotKey(top), SnapshotKey(D("base"))}));
  EXPECT_EQ(Count("layers"), 0);
  EXPECT_EQ(Count("leases"), 0);
}

}  // namespace
}  // namespace berth::image::metadata
