#include "registry/server/manifest.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace berth::registry::server {
namespace {

using nlohmann::json;

std::string Hex(char c) { return std::string(64, c); }

json Descriptor(char c) {
  return {{"mediaType", "application/octet-stream"}, {"size", 1}, {"digest", "sha256:" + Hex(c)}};
}

TEST(ManifestTest, ImageManifestGivesConfigAndLayers) {
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", oci::kMediaTypeDockerManifest},
                   {"config", Descriptor('a')},
                   {"layers", {Descriptor('b'), Descriptor('c')}}};
  ApiResult<ParsedManifest> parsed = ParseManifest(oci::kMediaTypeDockerManifest, manifest.dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->media_type, oci::kMediaTypeDockerManifest);
  EXPECT_FALSE(parsed->is_index);
  ASSERT_EQ(parsed->blobs.size(), 3u);
  EXPECT_EQ(parsed->blobs[0].hex, Hex('a'));
  EXPECT_EQ(parsed->blobs[2].hex, Hex('c'));
  EXPECT_TRUE(parsed->children.empty());

  // OCI's manifest may leave mediaType out; the content type decides.
  manifest.erase("mediaType");
  ApiResult<ParsedManifest> oci =
      ParseManifest(std::string(oci::kMediaTypeOciManifest) + "; charset=utf-8", manifest.dump());
  ASSERT_TRUE(oci);
  EXPECT_EQ(oci->media_type, oci::kMediaTypeOciManifest);
  // A foreign layer (with urls) is not the registry's to hold.
  json foreign = Descriptor('d');
  foreign["urls"] = {"https://example.com/layer"};
  manifest["layers"].push_back(foreign);
  EXPECT_EQ(ParseManifest(oci::kMediaTypeOciManifest, manifest.dump())->blobs.size(), 3u);
}

TEST(ManifestTest, IndexGivesManifests) {
  json index = {{"schemaVersion", 2},
                {"mediaType", oci::kMediaTypeOciIndex},
                {"manifests", {Descriptor('e'), Descriptor('f')}}};
  ApiResult<ParsedManifest> parsed = ParseManifest("", index.dump());
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->is_index);
  EXPECT_TRUE(parsed->blobs.empty());
  ASSERT_EQ(parsed->children.size(), 2u);
  index["mediaType"] = oci::kMediaTypeDockerManifestList;
  EXPECT_TRUE(ParseManifest(oci::kMediaTypeDockerManifestList, index.dump()));
}

TEST(ManifestTest, RefusesWhatItCannotServe) {
  json good = {{"schemaVersion", 2}, {"config", Descriptor('a')}, {"layers", json::array()}};
  auto code = [](std::string_view type, const std::string& body) {
    ApiResult<ParsedManifest> parsed = ParseManifest(type, body);
    return parsed ? Code::kUnknown : parsed.error().code;
  };
  EXPECT_EQ(code("application/vnd.example.thing+json", good.dump()), Code::kManifestInvalid);
  EXPECT_EQ(code("", good.dump()), Code::kManifestInvalid);  // no type anywhere
  EXPECT_EQ(code("application/vnd.docker.distribution.manifest.v1+prettyjws", "{}"),
            Code::kUnsupported);
  EXPECT_EQ(code(oci::kMediaTypeOciManifest, "{not json"), Code::kManifestInvalid);
  EXPECT_EQ(code(oci::kMediaTypeOciManifest, "[]"), Code::kManifestInvalid);
  json wrong_version = good;
  wrong_version["schemaVersion"] = 1;
  EXPECT_EQ(code(oci::kMediaTypeOciManifest, wrong_version.dump()), Code::kManifestInvalid);
  json contradicting = good;
  contradicting["mediaType"] = oci::kMediaTypeDockerManifest;
  EXPECT_EQ(code(oci::kMediaTypeOciManifest, contradicting.dump()), Code::kManifestInvalid);
  json bad_digest = good;
  bad_digest["config"]["digest"] = "sha256:beef";
  EXPECT_EQ(code(oci::kMediaTypeOciManifest, bad_digest.dump()), Code::kManifestInvalid);
  json no_layers = good;
  no_layers.erase("layers");
  EXPECT_EQ(code(oci::kMediaTypeOciManifest, no_layers.dump()), Code::kManifestInvalid);
  EXPECT_TRUE(ParseManifest(oci::kMediaTypeOciManifest, good.dump()));
}

}  // namespace
}  // namespace berth::registry::server
