#include "image/store/image_views.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::image::store {
namespace {

using nlohmann::ordered_json;
using TimePoint = std::chrono::system_clock::time_point;

Reference Ref(std::string_view s) {
  Result<Reference> ref = ParseReference(s);
  EXPECT_TRUE(ref) << ref.error().message();
  return ref ? *ref : Reference{};
}

Reference DigestRef(std::string_view name, const Digest& digest) {
  Reference ref = Ref(name);
  ref.tag.clear();
  ref.digest = digest;
  return ref;
}

std::vector<std::string> Keys(const ordered_json& object) {
  std::vector<std::string> keys;
  for (const auto& item : object.items()) keys.push_back(item.key());
  return keys;
}

metadata::ImageRecord Record() {
  metadata::ImageRecord image;
  image.id = Digest::OfSha256("config");
  image.parent = Digest::OfSha256("parent");
  image.created = TimePoint(std::chrono::seconds(1'700'000'000));
  image.size = 4096;
  image.labels = {{"maintainer", "team"}};
  image.tags = {Ref("busybox:latest"), Ref("localhost:5000/app:v1")};
  image.digests = {DigestRef("busybox", Digest::OfSha256("manifest"))};
  image.last_tag_time = TimePoint(std::chrono::seconds(1'700'000'100));
  return image;
}

oci::ImageConfig Config() {
  oci::ImageConfig config;
  config.created = "2023-11-14T22:13:20.5Z";
  config.author = "someone";
  config.architecture = "arm64";
  config.variant = "v8";
  config.os = "linux";
  oci::ContainerConfig container;
  container.env = {"PATH=/bin"};
  container.cmd = std::vector<std::string>{"sh"};
  container.exposed_ports = {"80/tcp"};
  config.config = container;
  config.rootfs.diff_ids = {Digest::OfSha256("l1"), Digest::OfSha256("l2")};
  config.history = {{.created = "2023-11-14T22:13:20Z", .comment = "first"},
                    {.created = "2023-11-14T22:13:20Z", .comment = "last comment"}};
  return config;
}

TEST(ImageViewsTest, MatchLabelsWantsEveryLabel) {
  const std::map<std::string, std::string> labels = {{"tier", "web"}, {"team", "a"}};
  EXPECT_TRUE(MatchLabels({}, labels));
  EXPECT_TRUE(MatchLabels({}, {}));
  EXPECT_TRUE(MatchLabels({"tier", "team=a"}, labels));
  EXPECT_FALSE(MatchLabels({"tier", "team=b"}, labels));
  EXPECT_FALSE(MatchLabels({"tier=we"}, labels));
  EXPECT_FALSE(MatchLabels({"owner"}, labels));
  EXPECT_FALSE(MatchLabels({"tier"}, {}));
}

TEST(ImageViewsTest, MatchPruneLabelsWantsEveryLabelAndNotAllUnwantedOnes) {
  const std::map<std::string, std::string> labels = {{"tier", "web"}, {"team", "a"}};
  EXPECT_TRUE(MatchPruneLabels({}, labels));
  EXPECT_TRUE(MatchPruneLabels({{"label", {"tier=web"}}}, labels));
  EXPECT_FALSE(MatchPruneLabels({{"label", {"tier=db"}}}, labels));
  EXPECT_FALSE(MatchPruneLabels({{"label!", {"tier"}}}, labels));
  // label! excludes only when all its values hold, as docker's prune does.
  EXPECT_TRUE(MatchPruneLabels({{"label!", {"tier", "owner"}}}, labels));
  EXPECT_FALSE(MatchPruneLabels({{"label!", {"tier", "team=a"}}}, labels));
  EXPECT_TRUE(MatchPruneLabels({{"label!", {"owner"}}, {"label", {"team"}}}, labels));
}

TEST(ImageViewsJsonTest, InspectHasDockersShape) {
  const GraphDriver driver{
      .name = "overlay2",
      .data = {{"UpperDir", "/s/2/fs"}, {"WorkDir", "/s/2/work"}, {"LowerDir", "/s/1/fs"}}};
  ordered_json j = InspectJson(Record(), Config(), driver);
  EXPECT_EQ(Keys(j), (std::vector<std::string>{"Id", "RepoTags", "RepoDigests", "Parent", "Comment",
                                               "Created", "DockerVersion", "Author", "Config",
                                               "Architecture", "Variant", "Os", "Size",
                                               "GraphDriver", "RootFS", "Metadata"}));
  EXPECT_EQ(j["Id"], Digest::OfSha256("config").String());
  EXPECT_EQ(j["RepoTags"], ordered_json({"busybox:latest", "localhost:5000/app:v1"}));
  EXPECT_EQ(j["RepoDigests"], ordered_json({"busybox@" + Digest::OfSha256("manifest").String()}));
  EXPECT_EQ(j["Parent"], Digest::OfSha256("parent").String());
  EXPECT_EQ(j["Comment"], "last comment");
  EXPECT_EQ(j["Created"], "2023-11-14T22:13:20.5Z");
  EXPECT_EQ(j["DockerVersion"], "");
  EXPECT_EQ(j["Author"], "someone");
  EXPECT_EQ(j["Config"].dump(),
            R"({"ExposedPorts":{"80/tcp":{}},"Env":["PATH=/bin"],"Cmd":["sh"]})");
  EXPECT_EQ(j["Architecture"], "arm64");
  EXPECT_EQ(j["Variant"], "v8");
  EXPECT_EQ(j["Os"], "linux");
  EXPECT_EQ(j["Size"], 4096);
  EXPECT_EQ(j["GraphDriver"].dump(),
            R"({"Data":{"LowerDir":"/s/1/fs","UpperDir":"/s/2/fs","WorkDir":"/s/2/work"},)"
            R"("Name":"overlay2"})");
  EXPECT_EQ(j["RootFS"]["Type"], "layers");
  EXPECT_EQ(j["RootFS"]["Layers"],
            ordered_json({Digest::OfSha256("l1").String(), Digest::OfSha256("l2").String()}));
  EXPECT_EQ(j["Metadata"].dump(), R"({"LastTagTime":"2023-11-14T22:15:00Z"})");
}

TEST(ImageViewsJsonTest, InspectOfABareImage) {
  metadata::ImageRecord image;
  image.id = Digest::OfSha256("bare");
  oci::ImageConfig config;
  config.architecture = "amd64";
  config.os = "linux";
  ordered_json j = InspectJson(image, config, GraphDriver{.name = "native", .data = {}});
  EXPECT_EQ(j["RepoTags"], ordered_json::array());
  EXPECT_EQ(j["RepoDigests"], ordered_json::array());
  EXPECT_EQ(j["Parent"], "");
  EXPECT_EQ(j["Comment"], "");
  EXPECT_FALSE(j.contains("Created"));
  EXPECT_FALSE(j.contains("Variant"));
  EXPECT_EQ(j["Config"], ordered_json::object());
  EXPECT_EQ(j["GraphDriver"].dump(), R"({"Data":null,"Name":"native"})");
  EXPECT_EQ(j["RootFS"].dump(), R"({"Type":"layers"})");
  EXPECT_EQ(j["Metadata"], ordered_json::object());
}

TEST(ImageViewsJsonTest, Summary) {
  ordered_json j = SummaryJson({.image = Record(), .containers = 2});
  EXPECT_EQ(Keys(j), (std::vector<std::string>{"Containers", "Created", "Id", "Labels", "ParentId",
                                               "RepoDigests", "RepoTags", "SharedSize", "Size"}));
  EXPECT_EQ(j["Containers"], 2);
  EXPECT_EQ(j["Created"], 1'700'000'000);
  EXPECT_EQ(j["Labels"].dump(), R"({"maintainer":"team"})");
  EXPECT_EQ(j["ParentId"], Digest::OfSha256("parent").String());
  EXPECT_EQ(j["RepoTags"], ordered_json({"busybox:latest", "localhost:5000/app:v1"}));
  EXPECT_EQ(j["SharedSize"], -1);
  EXPECT_EQ(j["Size"], 4096);

  metadata::ImageRecord dangling;
  dangling.id = Digest::OfSha256("d");
  j = SummaryJson({.image = dangling});
  EXPECT_EQ(j["Containers"], -1);
  EXPECT_EQ(j["Created"], 0);
  EXPECT_EQ(j["Labels"], ordered_json::object());
  EXPECT_EQ(j["ParentId"], "");
  EXPECT_EQ(j["RepoTags"], ordered_json::array());
  EXPECT_EQ(j["RepoDigests"], ordered_json::array());
}

TEST(ImageViewsTest, LayerSizesCountSharedLayersOnce) {
  auto layer = [](std::string_view chain, int64_t size) {
    return metadata::LayerRecord{.chain_id = Digest::OfSha256(chain), .size = size};
  };
  metadata::ImageRecord base, app, other;
  base.id = Digest::OfSha256("base");
  base.layers = {layer("b", 100)};
  app.id = Digest::OfSha256("app");
  app.layers = {layer("b", 100), layer("a", 10)};
  other.id = Digest::OfSha256("other");
  other.layers = {layer("o", 7)};
  LayerSizes sizes = MeasureLayers({base, app, other});
  EXPECT_EQ(sizes.total, 117);
  EXPECT_EQ(sizes.shared.at(base.id.String()), 100);
  EXPECT_EQ(sizes.shared.at(app.id.String()), 100);
  EXPECT_EQ(sizes.shared.at(other.id.String()), 0);
  EXPECT_EQ(SummaryJson({.image = app, .shared_size = 100})["SharedSize"], 100);
}

TEST(ImageViewsJsonTest, HistoryDeleteAndPrune) {
  ordered_json history = HistoryJson(
      {{.id = "sha256:abc", .created = 5, .created_by = "sh", .tags = {"a:1"}, .size = 9},
       {.id = "<missing>", .comment = "Imported from -"}});
  EXPECT_EQ(history.dump(),
            R"([{"Id":"sha256:abc","Created":5,"CreatedBy":"sh","Tags":["a:1"],"Size":9,)"
            R"("Comment":""},{"Id":"<missing>","Created":0,"CreatedBy":"","Tags":null,"Size":0,)"
            R"("Comment":"Imported from -"}])");
  std::vector<DeleteItem> items = {{.untagged = "busybox:latest"}, {.deleted = "sha256:1"}};
  EXPECT_EQ(DeleteJson(items).dump(), R"([{"Untagged":"busybox:latest"},{"Deleted":"sha256:1"}])");
  EXPECT_EQ(PruneJson({.deleted = items, .space_reclaimed = 42}).dump(),
            R"({"ImagesDeleted":[{"Untagged":"busybox:latest"},{"Deleted":"sha256:1"}],)"
            R"("SpaceReclaimed":42})");
  EXPECT_EQ(PruneJson({}).dump(), R"({"ImagesDeleted":null,"SpaceReclaimed":0})");
}

TEST(ImageViewsJsonTest, GraphDriverNames) {
  EXPECT_EQ(GraphDriverName("overlay"), "overlay2");
  EXPECT_EQ(GraphDriverName("native"), "native");
}

}  // namespace
}  // namespace berth::image::store
