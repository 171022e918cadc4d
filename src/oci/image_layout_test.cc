#include "oci/image_layout.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "oci/image_spec_json.h"

namespace berth::oci {
namespace {

using ::testing::ElementsAre;

Digest D(std::string_view s) { return *Digest::Parse(s); }

constexpr std::string_view kConfigHex =
    "b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910";
constexpr std::string_view kLayerHex =
    "77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2";
constexpr std::string_view kForeignDiffId =
    "sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06";

// manifest.json as docker 25 writes it: paths into the OCI layout's blobs, and a foreign layer.
constexpr const char* kDocker25Manifest = R"json([{
  "Config": "blobs/sha256/b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910",
  "RepoTags": ["busybox:latest", "busybox:1.36"],
  "Layers": ["blobs/sha256/77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2",
             "blobs/sha256/95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06"],
  "LayerSources": {
    "sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06": {
      "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
      "size": 1069,
      "digest": "sha256:0697c0f434f8672811eb1b52d443d0d4cb616fa58e4d10b25e91471b7f45a665",
      "urls": ["https://mcr.microsoft.com/v2/windows/blobs/sha256:0697"]}}
}])json";

// manifest.json of older docker: "<id>.json" configs, "<v1 id>/layer.tar" layers, an image saved
// by id (RepoTags null) with a Parent.
constexpr const char* kLegacyManifest = R"json([
  {"Config":"b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910.json",
   "RepoTags":null,
   "Layers":["0697c0f434f8672811eb1b52d443d0d4cb616fa58e4d10b25e91471b7f45a665/layer.tar"],
   "Parent":"sha256:a9485d17c39b521f9de31b558df98f81dd72a9c7498f57f27b74356ea150fbd9"}])json";

// index.json as docker 25 writes it next to manifest.json.
constexpr const char* kDockerIndexJson = R"json({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [{
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": "sha256:5861314d7fccb39c2192173240eab44fa35ca66426201ca2acd0630a6258dd51",
    "size": 447,
    "annotations": {"io.containerd.image.name": "docker.io/library/hello-world:latest",
                    "org.opencontainers.image.ref.name": "latest"},
    "platform": {"architecture": "amd64", "os": "linux"}}]
})json";

TEST(ImageLayoutTest, DecodesDocker25SaveManifest) {
  Result<std::vector<SaveManifestEntry>> m = DecodeSaveManifest(kDocker25Manifest);
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->size(), 1u);
  const SaveManifestEntry& e = (*m)[0];
  EXPECT_EQ(e.config, "blobs/sha256/" + std::string(kConfigHex));
  EXPECT_THAT(e.repo_tags, ElementsAre("busybox:latest", "busybox:1.36"));
  ASSERT_EQ(e.layers.size(), 2u);
  EXPECT_EQ(e.layers[0], "blobs/sha256/" + std::string(kLayerHex));
  EXPECT_FALSE(e.parent.has_value());
  ASSERT_EQ(e.layer_sources.size(), 1u);
  const Descriptor& foreign = e.layer_sources.at(std::string(kForeignDiffId));
  EXPECT_EQ(foreign.media_type, kMediaTypeDockerForeignLayerGzip);
  EXPECT_EQ(foreign.size, 1069);
  EXPECT_THAT(foreign.urls, ElementsAre("https://mcr.microsoft.com/v2/windows/blobs/sha256:0697"));
}

TEST(ImageLayoutTest, DecodesLegacySaveManifest) {
  Result<std::vector<SaveManifestEntry>> m = DecodeSaveManifest(kLegacyManifest);
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->size(), 1u);
  const SaveManifestEntry& e = (*m)[0];
  EXPECT_EQ(e.config, std::string(kConfigHex) + ".json");
  EXPECT_TRUE(e.repo_tags.empty());
  EXPECT_THAT(
      e.layers,
      ElementsAre("0697c0f434f8672811eb1b52d443d0d4cb616fa58e4d10b25e91471b7f45a665/layer.tar"));
  EXPECT_EQ(e.parent, D("sha256:a9485d17c39b521f9de31b558df98f81dd72a9c7498f57f27b74356ea150fbd9"));
  EXPECT_TRUE(e.layer_sources.empty());
}

TEST(ImageLayoutTest, SaveManifestRoundTrips) {
  for (const char* json : {kDocker25Manifest, kLegacyManifest}) {
    Result<std::vector<SaveManifestEntry>> m = DecodeSaveManifest(json);
    ASSERT_TRUE(m) << m.error().message();
    std::string encoded = EncodeSaveManifest(*m);
    Result<std::vector<SaveManifestEntry>> again = DecodeSaveManifest(encoded);
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(*again, *m);
    EXPECT_EQ(EncodeSaveManifest(*again), encoded);
  }
  SaveManifestEntry e{.config = "blobs/sha256/" + std::string(kConfigHex),
                      .layers = {"blobs/sha256/" + std::string(kLayerHex)}};
  EXPECT_EQ(EncodeSaveManifest({e}), R"([{"Config":"blobs/sha256/)" + std::string(kConfigHex) +
                                         R"(","RepoTags":null,"Layers":["blobs/sha256/)" +
                                         std::string(kLayerHex) + R"("]}])");
  EXPECT_EQ(EncodeSaveManifest({}), "[]");
}

TEST(ImageLayoutTest, RejectsUnsafeOrMalformedSaveManifests) {
  struct Case {
    std::string json;
    std::string message;
  };
  const std::string good_config = R"("Config":"c.json",)";
  const Case kCases[] = {
      {"{}", "decode manifest.json: expected an array, got object"},
      {"[1]", "decode manifest.json: [0]: expected an object, got number"},
      {R"([{"Layers":[]}])", "decode manifest.json: [0].Config: missing required property"},
      {R"([{"Config":"/etc/passwd"}])",
       "decode manifest.json: [0].Config: invalid archive path \"/etc/passwd\": absolute"},
      {R"([{"Config":""}])", "decode manifest.json: [0].Config: invalid archive path \"\": empty"},
      {R"([{"Config":7}])", "decode manifest.json: [0].Config: expected a string, got number"},
      {"[{" + good_config + R"("Layers":["ok/layer.tar","../../etc/shadow"]}])",
       "decode manifest.json: [0].Layers[1]: invalid archive path \"../../etc/shadow\": has a "
       "\"..\" component"},
      {"[{" + good_config + R"("Layers":["a/../../b"]}])",
       "decode manifest.json: [0].Layers[0]: invalid archive path \"a/../../b\": has a \"..\" "
       "component"},
      {"[{" + good_config + R"("Layers":["a/..\u0000/b"]}])",
       "decode manifest.json: [0].Layers[0]: invalid archive path \"a/..\\u0000/b\": contains a "
       "NUL byte"},
      {"[{" + good_config + R"("Layers":"layer.tar"}])",
       "decode manifest.json: [0].Layers: expected an array, got string"},
      {"[{" + good_config + R"("RepoTags":[1]}])",
       "decode manifest.json: [0].RepoTags[0]: expected a string, got number"},
      {"[{" + good_config + R"("Parent":"abc"}])",
       "decode manifest.json: [0].Parent: invalid digest \"abc\": missing algorithm"},
      {"[{" + good_config + R"("LayerSources":{"sha256:xyz":{}}}])",
       "decode manifest.json: [0].LayerSources[\"sha256:xyz\"]: invalid digest \"sha256:xyz\": "
       "wrong length"},
      {"[{" + good_config + R"("LayerSources":{")" + std::string(kForeignDiffId) +
           R"(":{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",)"
           R"("digest":")" +
           std::string(kForeignDiffId) + R"(","size":-1}}}])",
       "decode manifest.json: [0].LayerSources[\"" + std::string(kForeignDiffId) +
           "\"]: size: negative size -1"},
      {"[{", "decode manifest.json: invalid JSON at byte 3: "},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.json);
    Result<std::vector<SaveManifestEntry>> m = DecodeSaveManifest(c.json);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(m.error().message().substr(0, c.message.size()), c.message);
    if (!c.message.ends_with(": ")) {
      EXPECT_EQ(m.error().message(), c.message);
    }
  }
}

// A hostile archive can nest unknown properties of a LayerSources descriptor 200,000 deep; the
// decoder must not recurse over them (it once re-serialised the value and overflowed the stack).
TEST(ImageLayoutTest, DeeplyNestedLayerSourceDoesNotExhaustTheStack) {
  const size_t kDepth = 200'000;
  const std::string json = R"([{"Config":"c.json","LayerSources":{")" +
                           std::string(kForeignDiffId) + R"(":{"x":)" + std::string(kDepth, '[') +
                           std::string(kDepth, ']') + "}}}]";
  Result<std::vector<SaveManifestEntry>> m = DecodeSaveManifest(json);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message(), "decode manifest.json: [0].LayerSources[\"" +
                                     std::string(kForeignDiffId) +
                                     "\"]: mediaType: missing required property");
}

TEST(ImageLayoutTest, ValidatesArchivePaths) {
  for (std::string_view ok : {"manifest.json", "blobs/sha256/abc", "./abc/layer.tar", "a..b/c",
                              "..a/b", "a/b..", "abc/"}) {
    EXPECT_TRUE(ValidateArchivePath(ok)) << ok;
  }
  for (std::string_view bad : std::vector<std::string_view>{
           "", "/abs", "..", "../x", "a/..", "a/../b", "a//../b", std::string_view("a\0b", 3)}) {
    EXPECT_FALSE(ValidateArchivePath(bad)) << bad;
  }
}

TEST(ImageLayoutTest, RepositoriesRoundTripAndRejectBadIds) {
  const std::string id(64, 'a');
  const std::string json = R"({"busybox":{"1.36":")" + id + R"(","latest":")" + id + R"("}})";
  Result<Repositories> r = DecodeRepositories(json);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->at("busybox").at("latest"), id);
  EXPECT_EQ(EncodeRepositories(*r), json);

  struct Case {
    std::string json;
    std::string message;
  };
  const Case kCases[] = {
      {"[]", "decode repositories: expected an object, got array"},
      {R"({"busybox":"latest"})",
       "decode repositories: [\"busybox\"]: expected an object, got string"},
      {R"({"busybox":{"latest":"../../etc"}})",
       "decode repositories: [\"busybox\"][\"latest\"]: invalid image id \"../../etc\": want 64 "
       "lowercase hex digits"},
      {R"({"busybox":{"latest":")" + std::string(64, 'A') + R"("}})",
       "decode repositories: [\"busybox\"][\"latest\"]: invalid image id \"" +
           std::string(64, 'A') + "\": want 64 lowercase hex digits"},
      {R"({"busybox":{"latest":1}})",
       "decode repositories: [\"busybox\"][\"latest\"]: expected a string, got number"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.json);
    Result<Repositories> bad = DecodeRepositories(c.json);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message(), c.message);
  }
}

TEST(ImageLayoutTest, OciLayoutAcceptsOnlyVersion1) {
  EXPECT_EQ(EncodeOciLayout(), R"({"imageLayoutVersion":"1.0.0"})");
  EXPECT_TRUE(DecodeOciLayout(EncodeOciLayout()));
  EXPECT_TRUE(DecodeOciLayout(R"({"imageLayoutVersion": "1.0.0", "extra": true})"));
  struct Case {
    std::string json;
    std::string message;
  };
  const Case kCases[] = {
      {R"({"imageLayoutVersion":"2.0.0"})",
       "decode oci-layout: imageLayoutVersion: unsupported version \"2.0.0\", want \"1.0.0\""},
      {"{}", "decode oci-layout: imageLayoutVersion: missing required property"},
      {R"({"imageLayoutVersion":1})",
       "decode oci-layout: imageLayoutVersion: expected a string, got number"},
      {"[]", "decode oci-layout: expected an object, got array"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.json);
    Status s = DecodeOciLayout(c.json);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().message(), c.message);
  }
  Status not_json = DecodeOciLayout("");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().message().rfind("decode oci-layout: invalid JSON", 0), 0u);
}

TEST(ImageLayoutTest, DecodesIndexJsonWithReferenceNames) {
  Result<Index> index = DecodeLayoutIndex(kDockerIndexJson);
  ASSERT_TRUE(index) << index.error().message();
  ASSERT_EQ(index->manifests.size(), 1u);
  const Descriptor& d = index->manifests[0];
  EXPECT_EQ(d.annotations.at(std::string(kAnnotationRefName)), "latest");
  EXPECT_EQ(d.annotations.at(std::string(kAnnotationContainerdImageName)),
            "docker.io/library/hello-world:latest");
  Result<Index> again = DecodeLayoutIndex(EncodeIndex(*index));
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(*again, *index);

  // docker 25 wrote "manifests": null for an image saved by digest; it reads as empty.
  Result<Index> null_manifests = DecodeLayoutIndex(R"({"schemaVersion":2,"manifests":null})");
  ASSERT_TRUE(null_manifests) << null_manifests.error().message();
  EXPECT_TRUE(null_manifests->manifests.empty());
}

TEST(ImageLayoutTest, RejectsBadReferenceNamesInIndexJson) {
  auto with_annotation = [](std::string_view key, std::string_view value) {
    Index index = *DecodeIndex(kDockerIndexJson);
    index.manifests.push_back(index.manifests[0]);
    index.manifests[1].annotations[std::string(key)] = std::string(value);
    return EncodeIndex(index);
  };
  Result<Index> spaced = DecodeLayoutIndex(with_annotation(kAnnotationRefName, "my tag"));
  ASSERT_FALSE(spaced);
  EXPECT_EQ(spaced.error().message(),
            "index.json: manifests[1].annotations[\"org.opencontainers.image.ref.name\"]: invalid "
            "reference name \"my tag\"");
  Result<Index> empty = DecodeLayoutIndex(with_annotation(kAnnotationContainerdImageName, ""));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message(),
            "index.json: manifests[1].annotations[\"io.containerd.image.name\"]: invalid reference "
            "name \"\"");
  Result<Index> slash = DecodeLayoutIndex(with_annotation(kAnnotationRefName, "a\nb"));
  EXPECT_FALSE(slash);
  // Other annotations are free text.
  EXPECT_TRUE(DecodeLayoutIndex(with_annotation("org.opencontainers.image.title", "my tag")));
  // Errors of the index itself keep DecodeIndex's path.
  Result<Index> bad = DecodeLayoutIndex(R"({"schemaVersion":1})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(),
            "index.json: decode index: schemaVersion: unsupported schema version 1, want 2");
}

}  // namespace
}  // namespace berth::oci
