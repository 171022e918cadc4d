// Root tests of Load and Save with each snapshotter: archives in the forms docker, podman and OCI
// tools write, built here with libarchive, load into images with their names and shared layers;
// save and load again give the same images; hostile archives are refused by name and leave
// nothing behind.
#include "image/store/load.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "base/file.h"
#include "image/layer/test_tar.h"
#include "image/store/save.h"
#include "image/store/store_fixture.h"
#include "image/store/store_testing.h"
#include "oci/image_layout.h"
#include "oci/image_spec_json.h"
#include "oci/platform.h"

namespace berth::image::store {
namespace {

using testing::ArchiveWriter;
using testing::ImageOf;
using testing::LayerOf;
using testing::MemFd;
using testing::Mounted;
using testing::StoreTest;
using testing::TestImage;
using testing::TestLayer;

class LoadTest : public StoreTest {
 protected:
  Result<LoadResult> LoadBytes(const std::string& archive, LoadOptions options = {}) {
    UniqueFd fd = MemFd(archive);
    return Load(*store_, fd.get(), options);
  }

  // Names maps each loaded image id to its names in familiar form.
  static std::map<std::string, std::set<std::string>> Names(const LoadResult& result) {
    std::map<std::string, std::set<std::string>> names;
    for (const LoadedImage& image : result.images) {
      auto& set = names[image.id.String()];
      for (const Reference& name : image.names) set.insert(name.FamiliarString());
    }
    return names;
  }

  // ExpectFiles mounts a rootfs of the image and checks the content of files.
  void ExpectFiles(const Digest& image, const std::map<std::string, std::string>& files) {
    const std::string key = "check-" + image.hex.substr(0, 8);
    Result<PrepareRootfsResult> rootfs = store_->PrepareRootfs(key, image);
    ASSERT_TRUE(rootfs) << rootfs.error().message();
    {
      Mounted mounted(rootfs->mounts, dir_ + "/" + key);
      ASSERT_TRUE(mounted.status()) << mounted.status().error().message();
      for (const auto& [path, content] : files) EXPECT_EQ(mounted.Read(path), content) << path;
    }
    EXPECT_TRUE(store_->RemoveRootfs(key));
  }

  void ExpectEmpty() {
    Result<std::vector<metadata::ImageRecord>> images = store_->catalog().ListImages({.all = true});
    ASSERT_TRUE(images);
    EXPECT_TRUE(images->empty());
    EXPECT_TRUE(Blobs().empty()) << *Blobs().begin();
    EXPECT_TRUE(Snapshots().empty()) << *Snapshots().begin();
    EXPECT_TRUE(ListDir("content/ingest").empty());
    EXPECT_TRUE(ListDir("tmp").empty());
  }

  TestLayer base_ = LayerOf({{"etc/", ""}, {"etc/hostname", "base"}, {"bin/sh", "shell"}});
  TestImage a_ = ImageOf({base_, LayerOf({{"etc/hostname", "a"}})}, {"a:1", "a:latest"});
  TestImage b_ = ImageOf({base_, LayerOf({{"b", "b"}})}, {"localhost/b:2"});
};

TEST_P(LoadTest, LegacyDockerArchiveWithASharedLayer) {
  std::vector<ProgressEvent> events;
  LoadOptions options{.progress = [&](const ProgressEvent& event) -> Status {
    events.push_back(event);
    return Ok();
  }};
  Result<LoadResult> loaded = LoadBytes(testing::LegacyDockerArchive({a_, b_}), options);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(Names(*loaded),
            (std::map<std::string, std::set<std::string>>{{a_.id().String(), {"a:1", "a:latest"}},
                                                          {b_.id().String(), {"localhost/b:2"}}}));
  EXPECT_EQ(Snapshots().size(), 3u);  // the base once
  Result<metadata::ImageRecord> b = store_->catalog().Resolve("localhost/b:2");
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ(b->id, b_.id());
  ExpectFiles(a_.id(), {{"etc/hostname", "a"}, {"bin/sh", "shell"}});
  ExpectFiles(b_.id(), {{"etc/hostname", "base"}, {"b", "b"}});

  std::set<std::string> loading;
  std::set<std::string> extracting;
  for (const ProgressEvent& event : events) {
    if (event.action == ProgressAction::kLoading) loading.insert(event.id);
    if (event.action == ProgressAction::kLayerDone) extracting.insert(event.id);
    EXPECT_LE(event.current, event.total);
  }
  EXPECT_EQ(loading.size(), 3u);  // the three layer files, not the configs
  EXPECT_EQ(extracting, (std::set<std::string>{base_.digest().hex.substr(0, 12),
                                               a_.layers[1].digest().hex.substr(0, 12),
                                               b_.layers[1].digest().hex.substr(0, 12)}));
}

TEST_P(LoadTest, DockerArchiveKeepsItsManifest) {
  Result<LoadResult> loaded = LoadBytes(testing::DockerArchive({a_}));
  ASSERT_TRUE(loaded) << loaded.error().message();
  Result<metadata::ImageRecord> a = store_->catalog().Resolve("a:1");
  ASSERT_TRUE(a) << a.error().message();
  ASSERT_TRUE(a->target);
  EXPECT_EQ(a->target->digest, Digest::OfSha256(a_.Manifest()));
  EXPECT_TRUE(Blobs().contains(a->target->digest.String()));
}

TEST_P(LoadTest, GzippedOciArchiveWithGzippedLayers) {
  TestImage image = ImageOf({LayerOf({{"base", "1"}}, true), LayerOf({{"top", "2"}}, true)},
                            {"example.com/app:v1"});
  const std::string archive = layer::testing::Gzip(testing::OciArchive({image}));
  Result<LoadResult> loaded = LoadBytes(archive);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(Names(*loaded), (std::map<std::string, std::set<std::string>>{
                                {image.id().String(), {"example.com/app:v1"}}}));
  ExpectFiles(image.id(), {{"base", "1"}, {"top", "2"}});
}

// An OCI index of two platforms: the host's is taken unless another is asked for.
TEST_P(LoadTest, MultiPlatformIndexLoadsTheWantedPlatform) {
  TestImage host = ImageOf({LayerOf({{"arch", "host"}})}, {});
  TestImage other = ImageOf({LayerOf({{"arch", "other"}})}, {}, "2020-01-01T00:00:00Z");
  const oci::Platform host_platform = oci::HostPlatform();
  const oci::Platform other_platform{
      .architecture = host_platform.architecture == "s390x" ? "amd64" : "s390x", .os = "linux"};
  oci::Index platforms{.media_type = std::string(oci::kMediaTypeOciIndex)};
  ArchiveWriter out;
  out.File("oci-layout", oci::EncodeOciLayout());
  for (const auto& [image, platform] :
       {std::pair{&host, host_platform}, std::pair{&other, other_platform}}) {
    const std::string manifest = image->Manifest();
    platforms.manifests.push_back({.media_type = std::string(oci::kMediaTypeOciManifest),
                                   .digest = Digest::OfSha256(manifest),
                                   .size = static_cast<int64_t>(manifest.size()),
                                   .platform = platform});
    for (const std::string& blob : {image->config, image->layers[0].blob, manifest}) {
      out.File("blobs/sha256/" + Digest::OfSha256(blob).hex, blob);
    }
  }
  const std::string index = oci::EncodeIndex(platforms);
  out.File("blobs/sha256/" + Digest::OfSha256(index).hex, index);
  oci::Index top{.media_type = std::string(oci::kMediaTypeOciIndex),
                 .manifests = {{.media_type = std::string(oci::kMediaTypeOciIndex),
                                .digest = Digest::OfSha256(index),
                                .size = static_cast<int64_t>(index.size()),
                                .annotations = {{std::string(oci::kAnnotationRefName),
                                                 "example.com/multi:1"}}}}};
  out.File("index.json", oci::EncodeIndex(top));
  const std::string archive = out.Finish();

  Result<LoadResult> loaded = LoadBytes(archive);
  ASSERT_TRUE(loaded) << loaded.error().message();
  ASSERT_EQ(loaded->images.size(), 1u);
  EXPECT_EQ(loaded->images[0].id, host.id());
  loaded = LoadBytes(archive, {.platform = other_platform});
  ASSERT_TRUE(loaded) << loaded.error().message();
  ASSERT_EQ(loaded->images.size(), 1u);
  EXPECT_EQ(loaded->images[0].id, other.id());
  Result<metadata::ImageRecord> named = store_->catalog().Resolve("example.com/multi:1");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->id, other.id());  // the name moved to the image loaded last
}

TEST_P(LoadTest, SaveThenLoadGivesTheSameImages) {
  ASSERT_TRUE(LoadBytes(testing::LegacyDockerArchive({a_, b_})));
  std::vector<ProgressEvent> events;
  UniqueFd out = MemFd("");
  Status saved = Save(*store_, {"a:1", "localhost/b:2", b_.id().hex}, out.get(),
                      {.progress = [&](const ProgressEvent& event) -> Status {
                        events.push_back(event);
                        return Ok();
                      }});
  ASSERT_TRUE(saved) << saved.error().message();
  ASSERT_EQ(lseek(out.get(), 0, SEEK_SET), 0);
  EXPECT_FALSE(events.empty());

  // A fresh store loads the archive through manifest.json ...
  store_.reset();
  ASSERT_TRUE(snapshot::RemoveTree(root_));
  ASSERT_NO_FATAL_FAILURE(Reopen());
  Result<LoadResult> loaded = Load(*store_, out.get());
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(Names(*loaded),
            (std::map<std::string, std::set<std::string>>{{a_.id().String(), {"a:1"}},
                                                          {b_.id().String(), {"localhost/b:2"}}}));
  EXPECT_EQ(Snapshots().size(), 3u);
  ExpectFiles(a_.id(), {{"etc/hostname", "a"}, {"bin/sh", "shell"}});

  // ... and saving again writes the very same bytes (the manifests made are kept as targets).
  UniqueFd again = MemFd("");
  ASSERT_TRUE(Save(*store_, {"a:1", "localhost/b:2"}, again.get()));
  Result<std::string> first = ReadFile("/proc/self/fd/" + std::to_string(out.get()));
  Result<std::string> second = ReadFile("/proc/self/fd/" + std::to_string(again.get()));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, *second);
}

TEST_P(LoadTest, SaveLayoutThenLoadLayoutDir) {
  ASSERT_TRUE(LoadBytes(testing::OciArchive({a_})));
  const std::string layout = dir_ + "/layout";
  Status saved = SaveLayout(*store_, {"a:1"}, layout);
  ASSERT_TRUE(saved) << saved.error().message();
  EXPECT_EQ(ReadFile(layout + "/oci-layout").value_or(""), oci::EncodeOciLayout());
  EXPECT_FALSE(SaveLayout(*store_, {"a:1"}, layout));  // not empty any more

  store_.reset();
  ASSERT_TRUE(snapshot::RemoveTree(root_));
  ASSERT_NO_FATAL_FAILURE(Reopen());
  Result<LoadResult> loaded = LoadLayoutDir(*store_, layout);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(Names(*loaded),
            (std::map<std::string, std::set<std::string>>{{a_.id().String(), {"a:1"}}}));
  ExpectFiles(a_.id(), {{"etc/hostname", "a"}});
}

struct Hostile {
  const char* name;
  std::string archive;
  const char* error;  // a part of the message
};

std::vector<Hostile> HostileArchives() {
  TestLayer layer = LayerOf({{"file", "content"}});
  TestImage image = ImageOf({layer}, {"evil:1"});
  const std::string config_path = "blobs/sha256/" + image.id().hex;
  const std::string layer_path = "blobs/sha256/" + layer.digest().hex;
  auto docker = [&](const std::string& manifest_json, auto&& extra) {
    ArchiveWriter out;
    extra(out);
    out.File("manifest.json", manifest_json);
    return out.Finish();
  };
  auto blobs = [&](ArchiveWriter& out) {
    out.File(layer_path, layer.blob).File(config_path, image.config);
  };
  const std::string good_manifest =
      testing::SaveManifestJson({image}, {{layer_path}}, {config_path});

  std::vector<Hostile> cases;
  cases.push_back(
      {"path traversal in manifest.json",
       docker(testing::SaveManifestJson({image}, {{"../../etc/passwd"}}, {config_path}), blobs),
       "Layers[0]"});
  cases.push_back({"entry outside the archive",
                   docker(good_manifest,
                          [&](ArchiveWriter& out) {
                            blobs(out);
                            out.File("../escape", "x");
                          }),
                   "entry \"../escape\""});
  cases.push_back({"digest mismatch",
                   docker(good_manifest,
                          [&](ArchiveWriter& out) {
                            out.File(layer_path, "not the layer").File(config_path, image.config);
                          }),
                   "digest mismatch"});
  cases.push_back(
      {"missing config",
       docker(good_manifest, [&](ArchiveWriter& out) { out.File(layer_path, layer.blob); }),
       "Config: blobs/sha256/"});
  cases.push_back({"link leaving the archive",
                   docker(testing::SaveManifestJson({image}, {{"l/layer.tar"}}, {config_path}),
                          [&](ArchiveWriter& out) {
                            blobs(out);
                            out.Symlink("l/layer.tar", "../../etc/passwd");
                          }),
                   "leaves the archive"});
  const std::string truncated_tar = layer.blob.substr(0, 700);
  cases.push_back({"truncated layer",
                   docker(testing::SaveManifestJson({image}, {{"l/layer.tar"}}, {config_path}),
                          [&](ArchiveWriter& out) {
                            out.File("l/layer.tar", truncated_tar).File(config_path, image.config);
                          }),
                   "layer"});
  const std::string whole = testing::DockerArchive({image});
  cases.push_back({"truncated archive", whole.substr(0, 1536), "read"});
  TestImage lying = image;
  lying.layers[0].diff_id = Digest::OfSha256("another layer");
  lying = ImageOf(lying.layers, {"evil:1"});
  cases.push_back({"diff id of another layer", testing::DockerArchive({lying}), "diff id"});
  cases.push_back(
      {"no index file", ArchiveWriter().File("x", "y").Finish(), "not an image archive"});
  return cases;
}

TEST_P(LoadTest, HostileArchivesAreRefusedAndLeaveNothing) {
  for (const Hostile& hostile : HostileArchives()) {
    SCOPED_TRACE(hostile.name);
    Result<LoadResult> loaded = LoadBytes(hostile.archive);
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().message().find(hostile.error), std::string::npos)
        << loaded.error().message();
    EXPECT_TRUE(loaded.error().message().starts_with("load: ")) << loaded.error().message();
    ExpectEmpty();
  }
}

BERTH_STORE_FLAVORS(LoadTest);

}  // namespace
}  // namespace berth::image::store
