#include "image/metadata/gc.h"

#include <gtest/gtest.h>

#include "image/metadata/chain_id.h"

namespace berth::image::metadata {
namespace {

Digest D(std::string_view seed) { return Digest::OfSha256(seed); }

const Time kNow = Time(std::chrono::seconds(1000));

// Stack returns the layer rows of a stack of diff ids D(seeds...), with keys "k-<seed>".
std::vector<LayerRecord> Stack(const std::vector<std::string>& seeds) {
  std::vector<Digest> diff_ids;
  for (const std::string& s : seeds) diff_ids.push_back(D(s));
  const std::vector<Digest> chain = ChainIds(diff_ids);
  std::vector<LayerRecord> out;
  for (size_t i = 0; i < seeds.size(); ++i) {
    out.push_back({chain[i], diff_ids[i], i == 0 ? std::nullopt : std::optional(chain[i - 1]),
                   "k-" + seeds[i], 1});
  }
  return out;
}

std::vector<std::string> Keys(const std::vector<LayerRecord>& layers) {
  std::vector<std::string> out;
  for (const LayerRecord& l : layers) out.push_back(l.snapshot_key);
  return out;
}

LeaseRecord Lease(std::string id, std::optional<Time> expires,
                  std::vector<LeaseResource> resources) {
  LeaseRecord lease;
  lease.id = std::move(id);
  lease.expires = expires;
  lease.resources = std::move(resources);
  return lease;
}

TEST(GcTest, ImagesKeepTheirLayersAndBlobsTheRestIsGarbageChildrenFirst) {
  const std::vector<LayerRecord> stack = Stack({"a", "b", "c", "d"});  // a <- b <- c <- d
  GcGraph graph;
  graph.layers = {stack[3], stack[1], stack[0], stack[2]};
  graph.image_chain_ids = {stack[0].chain_id, stack[1].chain_id};
  graph.image_blobs = {D("config"), D("manifest")};
  GcInputs inputs;
  inputs.blobs = {D("stray"), D("config"), D("manifest"), D("other")};
  inputs.snapshots = {"k-a", "k-b", "k-c", "k-d", "k-orphan"};

  const GcPlan plan = PlanGc(graph, inputs, kNow);
  EXPECT_TRUE(plan.expired_leases.empty());
  EXPECT_EQ(Keys(plan.layers), (std::vector<std::string>{"k-d", "k-c"}));
  EXPECT_EQ(plan.snapshots, (std::vector<std::string>{"k-d", "k-c", "k-orphan"}));
  EXPECT_EQ(plan.blobs, (std::vector<Digest>{D("stray"), D("other")}));
}

TEST(GcTest, LiveLeasesHoldWhatTheyListExpiredOnesDoNot) {
  const std::vector<LayerRecord> stack = Stack({"a", "b", "c"});
  GcGraph graph;
  graph.layers = stack;
  graph.leases = {
      Lease("pull", kNow + std::chrono::seconds(1),
            {{LeaseResourceKind::kLayer, stack[1].chain_id.String()},
             {LeaseResourceKind::kBlob, D("layer-blob").String()},
             {LeaseResourceKind::kSnapshot, "k-unpacking"}}),
      // Expiring exactly now counts as expired.
      Lease("old", kNow,
            {{LeaseResourceKind::kLayer, stack[2].chain_id.String()},
             {LeaseResourceKind::kBlob, D("old-blob").String()},
             {LeaseResourceKind::kSnapshot, "k-old"}}),
      Lease("forever", std::nullopt, {{LeaseResourceKind::kSnapshot, "k-container"}}),
  };
  GcInputs inputs;
  inputs.blobs = {D("layer-blob"), D("old-blob")};
  inputs.snapshots = {"k-old", "k-container", "k-unpacking", "k-a", "k-b", "k-c"};

  const LiveSet live = ComputeLive(graph, kNow);
  EXPECT_TRUE(live.chain_ids.contains(stack[0].chain_id.String()));  // under the held layer
  EXPECT_TRUE(live.chain_ids.contains(stack[1].chain_id.String()));
  EXPECT_FALSE(live.chain_ids.contains(stack[2].chain_id.String()));

  const GcPlan plan = PlanGc(graph, inputs, kNow);
  EXPECT_EQ(plan.expired_leases, (std::vector<std::string>{"old"}));
  EXPECT_EQ(Keys(plan.layers), (std::vector<std::string>{"k-c"}));
  EXPECT_EQ(plan.snapshots, (std::vector<std::string>{"k-c", "k-old"}));
  EXPECT_EQ(plan.blobs, (std::vector<Digest>{D("old-blob")}));

  // A second later the pull's lease has expired too: everything goes.
  const GcPlan later = PlanGc(graph, inputs, kNow + std::chrono::seconds(1));
  EXPECT_EQ(later.expired_leases, (std::vector<std::string>{"old", "pull"}));
  EXPECT_EQ(Keys(later.layers), (std::vector<std::string>{"k-c", "k-b", "k-a"}));
  EXPECT_EQ(later.blobs, (std::vector<Digest>{D("layer-blob"), D("old-blob")}));
}

TEST(GcTest, ALeaseMayHoldALayerNotRecordedYet) {
  GcGraph graph;
  graph.leases = {Lease("pull", std::nullopt, {{LeaseResourceKind::kLayer, D("x").String()}})};
  const LiveSet live = ComputeLive(graph, kNow);
  EXPECT_TRUE(live.chain_ids.contains(D("x").String()));
  EXPECT_TRUE(PlanGc(graph, {}, kNow).layers.empty());
}

TEST(GcTest, ASnapshotHeldByALeaseStaysWhenItsLayerRowGoes) {
  const std::vector<LayerRecord> stack = Stack({"a"});
  GcGraph graph;
  graph.layers = stack;
  graph.leases = {Lease("build", std::nullopt, {{LeaseResourceKind::kSnapshot, "k-a"}})};
  const GcPlan plan = PlanGc(graph, {.blobs = {}, .snapshots = {"k-a"}}, kNow);
  EXPECT_EQ(Keys(plan.layers), (std::vector<std::string>{"k-a"}));
  EXPECT_TRUE(plan.snapshots.empty());
}

TEST(GcTest, DeadLayersComeChildrenFirstWhateverTheRowOrder) {
  const std::vector<LayerRecord> stack = Stack({"a", "b", "c", "d", "e"});
  const std::vector<LayerRecord> fork = Stack({"a", "x"});  // a second child of "a"
  GcGraph graph;
  graph.layers = {stack[2], stack[0], fork[1], stack[4], stack[1], stack[3]};
  const std::vector<LayerRecord> dead = DeadLayers(graph, LiveSet{});
  ASSERT_EQ(dead.size(), 6u);
  for (size_t i = 0; i < dead.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      EXPECT_NE(dead[j].chain_id, dead[i].parent) << dead[i].snapshot_key << " after its parent";
    }
  }
  EXPECT_EQ(dead.front().snapshot_key, "k-e");
  EXPECT_EQ(dead.back().snapshot_key, "k-a");
}

}  // namespace
}  // namespace berth::image::metadata
