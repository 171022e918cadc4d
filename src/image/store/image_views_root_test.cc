// tag, rm, history, images, prune and inspect over a real store, with either snapshotter.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/file.h"
#include "image/metadata/chain_id.h"
#include "image/store/image_views.h"
#include "image/store/store_fixture.h"
#include "image/store/store_testing.h"
#include "oci/image_spec_json.h"
#include "oci/platform.h"

namespace berth::image::store {
namespace {

using testing::ImageOf;
using testing::LayerOf;
using testing::TestImage;
using testing::TestLayer;
using Items = std::vector<DeleteItem>;

// ImageWithHistory is an image whose config has the given history entries.
TestImage ImageWithHistory(std::vector<TestLayer> layers, std::vector<std::string> tags,
                           std::vector<oci::History> history) {
  oci::ImageConfig config{.created = history.empty() ? "" : history.back().created,
                          .architecture = oci::HostPlatform().architecture,
                          .os = "linux"};
  for (const TestLayer& layer : layers) config.rootfs.diff_ids.push_back(layer.diff_id);
  config.history = std::move(history);
  return {.config = oci::EncodeImageConfig(config),
          .layers = std::move(layers),
          .tags = std::move(tags)};
}

Items Untagged(const std::string& name) { return {{.untagged = name}}; }

class ViewsTest : public testing::StoreTest {
 protected:
  // Put records image (built on parent, when given) under a lease of its own.
  Digest Put(const TestImage& image, std::optional<Digest> parent = std::nullopt) {
    Result<Lease> lease = store_->NewLease("test");
    EXPECT_TRUE(lease) << lease.error().message();
    EXPECT_TRUE(store_->WriteBlob(*lease, image.config));
    ImageInput input{.config = image.id(), .parent = parent};
    for (const TestLayer& layer : image.layers) {
      Result<content::Info> blob = store_->WriteBlob(*lease, layer.blob);
      EXPECT_TRUE(blob) << blob.error().message();
      input.layers.push_back({.digest = layer.digest()});
    }
    for (const std::string& tag : image.tags) input.names.push_back(*ParseNormalizedNamed(tag));
    Result<PutImageResult> put = store_->PutImage(*lease, input);
    EXPECT_TRUE(put) << put.error().message();
    return image.id();
  }

  // Names lists the familiar tags and repo digests of an image; {"<gone>"} when it is deleted.
  std::set<std::string> Names(const Digest& id) const {
    Result<metadata::ImageRecord> image = store_->catalog().GetImage(id);
    if (!image) return {"<gone>"};
    std::set<std::string> names;
    for (const Reference& r : image->tags) names.insert(r.FamiliarString());
    for (const Reference& r : image->digests) names.insert(r.FamiliarString());
    return names;
  }

  Items Rm(std::string_view ref, RemoveOptions options = {}) {
    Result<Items> items = Remove(*store_, ref, options);
    EXPECT_TRUE(items) << items.error().message();
    return items.value_or(Items{{.deleted = "<error>"}});
  }

  std::string RmError(std::string_view ref, RemoveOptions options = {}) {
    Result<Items> items = Remove(*store_, ref, options);
    EXPECT_FALSE(items);
    if (items) return "";
    EXPECT_EQ(items.error().kind(), ErrorKind::kConflict);
    return items.error().message();
  }

  std::map<std::string, std::vector<ContainerUse>> users_;
  ImageUsers Users() {
    return [this](const Digest& id) {
      auto it = users_.find(id.String());
      return it == users_.end() ? std::vector<ContainerUse>() : it->second;
    };
  }
};
BERTH_STORE_FLAVORS(ViewsTest);

std::string Short(const Digest& id) { return id.hex.substr(0, 12); }
std::string Chain(std::vector<Digest> diff_ids) {
  return metadata::ChainIds(diff_ids).back().String();
}

TEST_P(ViewsTest, TagPointsANameAndMovesIt) {
  const Digest a = Put(ImageOf({LayerOf({{"a", "1"}})}, {"a:1"}));
  const Digest b = Put(ImageOf({LayerOf({{"b", "2"}})}, {}));
  Result<Digest> tagged = Tag(*store_, "a:1", "b");
  ASSERT_TRUE(tagged) << tagged.error().message();
  EXPECT_EQ(*tagged, a);
  EXPECT_EQ(Names(a), (std::set<std::string>{"a:1", "b:latest"}));
  ASSERT_TRUE(Tag(*store_, Short(b), "b"));
  EXPECT_EQ(Names(a), std::set<std::string>{"a:1"});
  EXPECT_EQ(Names(b), std::set<std::string>{"b:latest"});
  ASSERT_TRUE(Tag(*store_, b.String(), "localhost:5000/b:v2"));
  EXPECT_EQ(Names(b), (std::set<std::string>{"b:latest", "localhost:5000/b:v2"}));

  Result<Digest> refused = Tag(*store_, "a:1", "x@" + a.String());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message(),
            "tag a:1 as x@" + a.String() + ": refusing to create a tag with a digest reference");
  refused = Tag(*store_, "nothing", "y");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), ErrorKind::kNotFound);
}

TEST_P(ViewsTest, RemoveByNameUntagsUntilTheLastNameThenDeletes) {
  const TestLayer layer = LayerOf({{"f", "x"}});
  const Digest a = Put(ImageOf({layer}, {"a:1", "a:2"}));
  EXPECT_EQ(Rm("a:1"), Untagged("a:1"));
  EXPECT_EQ(Names(a), std::set<std::string>{"a:2"});
  EXPECT_EQ(
      Rm("a:2"),
      (Items{{.untagged = "a:2"}, {.deleted = a.String()}, {.deleted = layer.diff_id.String()}}));
  EXPECT_EQ(Names(a), std::set<std::string>{"<gone>"});
  EXPECT_FALSE(Blobs().contains(layer.digest().String()));
  EXPECT_FALSE(Blobs().contains(a.String()));
  EXPECT_TRUE(Snapshots().empty());
}

TEST_P(ViewsTest, RemoveByIdNeedsForceWhenNamesSpanRepositories) {
  const TestLayer layer = LayerOf({{"f", "y"}});
  const Digest a = Put(ImageOf({layer}, {"a:1", "b:1"}));
  EXPECT_EQ(RmError(Short(a)), "remove image " + Short(a) + ": conflict: unable to delete " +
                                   Short(a) +
                                   " (must be forced) - image is referenced in multiple "
                                   "repositories");
  EXPECT_EQ(Names(a), (std::set<std::string>{"a:1", "b:1"}));
  EXPECT_EQ(Rm(a.hex, {.force = true}), (Items{{.untagged = "a:1"},
                                               {.untagged = "b:1"},
                                               {.deleted = a.String()},
                                               {.deleted = layer.diff_id.String()}}));
  EXPECT_EQ(Names(a), std::set<std::string>{"<gone>"});
}

TEST_P(ViewsTest, RemoveByIdTakesATagAndDigestsOfOneRepository) {
  const Digest manifest = Digest::OfSha256("manifest");
  TestImage image = ImageOf({LayerOf({{"f", "z"}})}, {"a:1", "a@" + manifest.String()});
  const Digest a = Put(image);
  EXPECT_EQ(Rm(a.String()), (Items{{.untagged = "a:1"},
                                   {.untagged = "a@" + manifest.String()},
                                   {.deleted = a.String()},
                                   {.deleted = image.layers[0].diff_id.String()}}));
}

TEST_P(ViewsTest, RemoveRefusesAnImageAContainerUsesUnlessForced) {
  const Digest a = Put(ImageOf({LayerOf({{"f", "u"}})}, {"a:1"}));
  users_[a.String()] = {{.id = "c0ffee0123456789abcdef", .running = false}};
  EXPECT_EQ(RmError("a:1", {.users = Users()}),
            "remove image a:1: conflict: unable to remove repository reference \"a:1\" (must "
            "force) - container c0ffee012345 is using its referenced image " +
                Short(a));
  EXPECT_EQ(RmError(a.hex, {.users = Users()}),
            "remove image " + a.hex + ": conflict: unable to delete " + Short(a) +
                " (must be forced) - image is being used by stopped container c0ffee012345");
  users_[a.String()][0].running = true;
  EXPECT_EQ(RmError(a.hex, {.force = true, .users = Users()}),
            "remove image " + a.hex + ": conflict: unable to delete " + Short(a) +
                " (cannot be forced) - image is being used by running container c0ffee012345");
  EXPECT_EQ(Names(a), std::set<std::string>{"a:1"});
  users_[a.String()][0].running = false;
  Items items = Rm("a:1", {.force = true, .users = Users()});
  ASSERT_GE(items.size(), 2u);
  EXPECT_EQ(items[0], DeleteItem{.untagged = "a:1"});
  EXPECT_EQ(items[1], DeleteItem{.deleted = a.String()});
}

TEST_P(ViewsTest, ParentsStayWhileChildrenNeedThemAndGoWithTheLast) {
  const TestLayer l1 = LayerOf({{"base", "1"}});
  const TestLayer l2 = LayerOf({{"child", "2"}});
  const Digest base = Put(ImageOf({l1}, {"base:1"}));
  const Digest child = Put(ImageOf({l1, l2}, {"child:1"}), base);
  EXPECT_EQ(RmError(base.hex, {.force = true}),
            "remove image " + base.hex + ": conflict: unable to delete " + Short(base) +
                " (cannot be forced) - image has dependent child images");
  EXPECT_EQ(Rm("base:1"), Untagged("base:1"));
  EXPECT_EQ(Names(base), std::set<std::string>{});
  EXPECT_EQ(Rm("child:1"), (Items{{.untagged = "child:1"},
                                  {.deleted = child.String()},
                                  {.deleted = Chain({l1.diff_id, l2.diff_id})},
                                  {.deleted = base.String()},
                                  {.deleted = l1.diff_id.String()}}));
  EXPECT_EQ(Names(base), std::set<std::string>{"<gone>"});
  EXPECT_TRUE(Snapshots().empty());
}

TEST_P(ViewsTest, NoPruneKeepsTheUnnamedParent) {
  const TestLayer l1 = LayerOf({{"base", "1"}});
  const Digest base = Put(ImageOf({l1}, {}));
  const Digest child = Put(ImageOf({l1, LayerOf({{"c", "2"}})}, {"child:1"}), base);
  Items items = Rm("child:1", {.prune_parents = false});
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[1], DeleteItem{.deleted = child.String()});
  EXPECT_EQ(Names(base), std::set<std::string>{});
  EXPECT_EQ(Snapshots(), std::set<std::string>{l1.diff_id.String()});
}

TEST_P(ViewsTest, HistoryNamesTheImageAndItsLocalParents) {
  const TestLayer l1 = LayerOf({{"bin/sh", "sh"}});
  const TestLayer l2 = LayerOf({{"app", "built"}, {"lib/", ""}});
  const oci::History add{.created = "2024-01-01T00:00:00Z", .created_by = "ADD rootfs.tar /"};
  const Digest base = Put(ImageWithHistory({l1}, {"base:1"}, {add}));
  const Digest child = Put(
      ImageWithHistory(
          {l1, l2}, {"child:1", "child:2"},
          {add,
           {.created = "2024-01-02T00:00:00Z", .created_by = "RUN make", .comment = "built"},
           {.created = "2024-01-03T00:00:00+01:00", .created_by = "ENV A=1", .empty_layer = true}}),
      base);
  Result<std::vector<HistoryItem>> history = History(*store_, "child:1");
  ASSERT_TRUE(history) << history.error().message();
  ASSERT_EQ(history->size(), 3u);
  const HistoryItem& env = (*history)[0];
  EXPECT_EQ(env.id, child.String());
  EXPECT_EQ(env.created, 1704236400);
  EXPECT_EQ(env.created_by, "ENV A=1");
  EXPECT_EQ(env.tags, (std::vector<std::string>{"child:1", "child:2"}));
  EXPECT_EQ(env.size, 0);
  const HistoryItem& run = (*history)[1];
  EXPECT_EQ(run.id, base.String());
  EXPECT_EQ(run.tags, std::vector<std::string>{"base:1"});
  EXPECT_EQ(run.created, 1704153600);
  EXPECT_EQ(run.comment, "built");
  EXPECT_EQ(run.size, static_cast<int64_t>(l2.blob.size()));
  const HistoryItem& first = (*history)[2];
  EXPECT_EQ(first.id, "<missing>");
  EXPECT_TRUE(first.tags.empty());
  EXPECT_EQ(first.created_by, "ADD rootfs.tar /");
  EXPECT_EQ(first.size, static_cast<int64_t>(l1.blob.size()));

  history = History(*store_, base.hex.substr(0, 8));
  ASSERT_TRUE(history) << history.error().message();
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].id, base.String());
}

class ListTest : public ViewsTest {
 protected:
  void SetUp() override {
    ViewsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    TestImage a = ImageOf({LayerOf({{"a", "1"}})}, {"a:1"}, "2024-01-01T00:00:00Z");
    oci::ImageConfig labelled = *oci::DecodeImageConfig(a.config);
    labelled.config->labels = {{"x", "1"}, {"keep", "yes"}};
    a.config = oci::EncodeImageConfig(labelled);
    a_ = Put(a);
    b_ = Put(ImageOf({LayerOf({{"b", "2"}})}, {"b:1"}, "2024-01-02T00:00:00Z"));
    d_layer_ = LayerOf({{"d", "dangling"}});
    d_ = Put(ImageOf({d_layer_}, {}, "2024-01-03T00:00:00Z"));
    const TestLayer p = LayerOf({{"p", "parent"}});
    p_ = Put(ImageOf({p}, {}, "2024-01-04T00:00:00Z"));
    q_ = Put(ImageOf({p, LayerOf({{"q", "child"}})}, {"q:1"}, "2024-01-05T00:00:00Z"), p_);
  }

  std::vector<std::string> Ids(const ListOptions& options) {
    Result<std::vector<ImageSummary>> listed = List(*store_, options);
    EXPECT_TRUE(listed) << listed.error().message();
    std::vector<std::string> out;
    for (const ImageSummary& s : listed.value_or(std::vector<ImageSummary>{})) {
      out.push_back(s.image.id == a_   ? "a"
                    : s.image.id == b_ ? "b"
                    : s.image.id == d_ ? "d"
                    : s.image.id == p_ ? "p"
                    : s.image.id == q_ ? "q"
                                       : "?");
    }
    return out;
  }

  Digest a_, b_, d_, p_, q_;
  TestLayer d_layer_;
};
BERTH_STORE_FLAVORS(ListTest);

using Strings = std::vector<std::string>;

TEST_P(ListTest, ListsAsDockerImagesDoes) {
  EXPECT_EQ(Ids({}), (Strings{"q", "d", "b", "a"}));
  EXPECT_EQ(Ids({.all = true}), (Strings{"q", "p", "d", "b", "a"}));
  EXPECT_EQ(Ids({.filters = {{"dangling", {"true"}}}}), Strings{"d"});
  EXPECT_EQ(Ids({.filters = {{"dangling", {"false"}}}}), (Strings{"q", "b", "a"}));
  EXPECT_EQ(Ids({.filters = {{"label", {"x=1"}}}}), Strings{"a"});
  EXPECT_EQ(Ids({.filters = {{"label", {"x=2"}}}}), Strings{});
  EXPECT_EQ(Ids({.filters = {{"before", {d_.hex.substr(0, 12)}}}}), (Strings{"b", "a"}));
  // Several values: the oldest "before" and the newest "since" count.
  EXPECT_EQ(Ids({.filters = {{"before", {"b:1", d_.hex}}}}), Strings{"a"});
  EXPECT_EQ(Ids({.filters = {{"since", {"a:1", "b:1"}}}}), (Strings{"q", "d"}));
  EXPECT_EQ(Ids({.filters = {{"reference", {"q*"}}}}), Strings{"q"});
  EXPECT_EQ(Ids({.filters = {{"until", {"2024-01-02T12:00:00Z"}}}}), (Strings{"b", "a"}));

  users_[a_.String()] = {{.id = "1"}, {.id = "2", .running = true}};
  Result<std::vector<ImageSummary>> listed =
      List(*store_, {.filters = {{"reference", {"a"}}}, .users = Users()});
  ASSERT_TRUE(listed) << listed.error().message();
  ASSERT_EQ(listed->size(), 1u);
  nlohmann::ordered_json row = SummaryJson(listed->front());
  EXPECT_EQ(row["Containers"], 2);
  EXPECT_EQ(row["Id"], a_.String());
  EXPECT_EQ(row["Created"], 1704067200);
  EXPECT_EQ(row["RepoTags"], nlohmann::ordered_json({"a:1"}));
  EXPECT_EQ(row["Labels"].dump(), R"({"keep":"yes","x":"1"})");

  for (const auto& [filters, message] : std::vector<std::pair<Filters, std::string>>{
           {{{"color", {"red"}}}, "list images: invalid filter 'color'"},
           {{{"dangling", {"maybe"}}}, "list images: invalid filter 'dangling=[maybe]'"},
           {{{"until", {"soon"}}},
            "list images: invalid value for 'until' filter: failed to parse value as time or "
            "duration: \"soon\""}}) {
    Result<std::vector<ImageSummary>> refused = List(*store_, {.filters = filters});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(refused.error().message(), message);
  }
}

TEST_P(ListTest, PruneTakesDanglingImagesOnly) {
  Result<PruneReport> pruned = Prune(*store_, {});
  ASSERT_TRUE(pruned) << pruned.error().message();
  EXPECT_EQ(pruned->deleted,
            (Items{{.deleted = d_.String()}, {.deleted = d_layer_.diff_id.String()}}));
  EXPECT_EQ(pruned->space_reclaimed, static_cast<int64_t>(d_layer_.blob.size()));
  EXPECT_EQ(Ids({.all = true}), (Strings{"q", "p", "b", "a"}));
  EXPECT_EQ(PruneJson(*pruned)["SpaceReclaimed"], pruned->space_reclaimed);
}

TEST_P(ListTest, PruneAllSkipsUsedImagesAndHonoursFilters) {
  users_[b_.String()] = {{.id = "cafe"}};
  Result<PruneReport> pruned =
      Prune(*store_, {{"dangling", {"false"}}, {"label!", {"keep=yes"}}}, Users());
  ASSERT_TRUE(pruned) << pruned.error().message();
  EXPECT_EQ(Ids({.all = true}), (Strings{"b", "a"}));
  std::set<std::string> deleted;
  for (const DeleteItem& item : pruned->deleted) {
    deleted.insert(item.untagged.empty() ? item.deleted : "untagged " + item.untagged);
  }
  EXPECT_TRUE(deleted.contains("untagged q:1"));
  EXPECT_TRUE(deleted.contains(q_.String()));
  EXPECT_TRUE(deleted.contains(p_.String()));
  EXPECT_TRUE(deleted.contains(d_.String()));
  EXPECT_FALSE(deleted.contains(b_.String()));

  pruned = Prune(*store_, {{"dangling", {"0"}}, {"until", {"2023-12-31T00:00:00Z"}}});
  ASSERT_TRUE(pruned) << pruned.error().message();
  EXPECT_TRUE(pruned->deleted.empty());
  pruned = Prune(*store_, {{"dangling", {"0"}}, {"label", {"x"}}});
  ASSERT_TRUE(pruned) << pruned.error().message();
  EXPECT_EQ(Ids({.all = true}), Strings{"b"});

  Result<PruneReport> refused = Prune(*store_, {{"reference", {"b"}}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message(), "prune images: invalid filter 'reference'");
}

TEST_P(ViewsTest, InspectReportsTheStoredImage) {
  const TestLayer layer = LayerOf({{"etc/os-release", "ID=test\n"}});
  const Digest id = Put(ImageOf({layer}, {"inspected:1"}));
  Result<nlohmann::ordered_json> j = Inspect(*store_, "inspected:1");
  ASSERT_TRUE(j) << j.error().message();
  EXPECT_EQ((*j)["Id"], id.String());
  EXPECT_EQ((*j)["RepoTags"], nlohmann::ordered_json({"inspected:1"}));
  EXPECT_EQ((*j)["Created"], "2024-01-02T03:04:05Z");
  EXPECT_EQ((*j)["Config"].dump(), R"({"Cmd":["/bin/sh"]})");
  EXPECT_EQ((*j)["Size"], static_cast<int64_t>(layer.blob.size()));
  const bool overlay = GetParam() == SnapshotterKind::kOverlay;
  EXPECT_EQ((*j)["GraphDriver"]["Name"], overlay ? "overlay2" : "native");
  const nlohmann::ordered_json& data = (*j)["GraphDriver"]["Data"];
  EXPECT_EQ(ReadFile(data.value("UpperDir", "") + "/etc/os-release").value_or(""), "ID=test\n");
  EXPECT_EQ(data.contains("WorkDir"), overlay);
  EXPECT_FALSE(data.contains("LowerDir")) << "a single layer has nothing beneath";
  EXPECT_FALSE(data.contains("MergedDir")) << "an image's layers are not mounted as one";
  // Two layers on overlay: the top's upper directory over the base's.
  const Digest two = Put(ImageOf({layer, LayerOf({{"top", "t"}})}, {"inspected:2"}));
  Result<nlohmann::ordered_json> j2 = Inspect(*store_, two.String());
  ASSERT_TRUE(j2) << j2.error().message();
  const nlohmann::ordered_json& data2 = (*j2)["GraphDriver"]["Data"];
  EXPECT_EQ(ReadFile(data2.value("UpperDir", "") + "/top").value_or(""), "t");
  if (overlay) {
    EXPECT_EQ(data2.value("LowerDir", ""), data.value("UpperDir", ""));
    struct stat st {};
    ASSERT_EQ(stat(data2.value("WorkDir", "").c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
  } else {
    EXPECT_EQ(ReadFile(data2.value("UpperDir", "") + "/etc/os-release").value_or(""), "ID=test\n");
  }
  EXPECT_EQ((*j)["RootFS"]["Layers"], nlohmann::ordered_json({layer.diff_id.String()}));
  EXPECT_TRUE((*j)["Metadata"].contains("LastTagTime"));
  Result<nlohmann::ordered_json> missing = Inspect(*store_, "absent");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace berth::image::store
