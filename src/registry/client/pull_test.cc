#include "registry/client/pull.h"

#include <gtest/gtest.h>

#include "registry/client/blob_fetch.h"

namespace berth::registry::client {
namespace {

constexpr const char* kIndex = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
  "manifests": [
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 10,
     "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111",
     "platform": {"architecture": "arm", "os": "linux", "variant": "v7"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 10,
     "digest": "sha256:2222222222222222222222222222222222222222222222222222222222222222",
     "platform": {"architecture": "amd64", "os": "linux"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 10,
     "digest": "sha256:3333333333333333333333333333333333333333333333333333333333333333",
     "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}
  ]})";

TEST(PlatformManifest, PicksTheWantedPlatform) {
  Result<oci::Descriptor> amd64 =
      PlatformManifest(kIndex, {.architecture = "amd64", .os = "linux"});
  ASSERT_TRUE(amd64) << amd64.error().message();
  EXPECT_EQ(amd64->digest.hex.substr(0, 4), "2222");
  Result<oci::Descriptor> arm64 =
      PlatformManifest(kIndex, {.architecture = "arm64", .os = "linux", .variant = "v8"});
  ASSERT_TRUE(arm64);
  EXPECT_EQ(arm64->digest.hex.substr(0, 4), "3333");
  Result<oci::Descriptor> none = PlatformManifest(kIndex, {.architecture = "s390x", .os = "linux"});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(none.error().message(),
            "no matching manifest for linux/s390x in the manifest list entries");
}

TEST(NotFoundError, TheRegistrysWordsAfterTheContext) {
  Error found = NotFoundError("manifest for r/a:b", Error(ErrorKind::kNotFound,
                                                          "fetch manifest b: manifest unknown: "
                                                          "manifest unknown"));
  EXPECT_EQ(found.kind(), ErrorKind::kNotFound);
  EXPECT_EQ(found.message(), "manifest for r/a:b not found: manifest unknown: manifest unknown");
  // A message without context is kept whole.
  EXPECT_EQ(NotFoundError("repository r/a", Error(ErrorKind::kNotFound, "gone")).message(),
            "repository r/a not found: gone");
}

TEST(MediaTypeOf, ContentTypeThenBody) {
  EXPECT_EQ(MediaTypeOf("application/vnd.oci.image.index.v1+json; charset=utf-8", "{}"),
            oci::kMediaTypeOciIndex);
  EXPECT_EQ(MediaTypeOf("application/json", kIndex), oci::kMediaTypeDockerManifestList);
  EXPECT_EQ(MediaTypeOf("", R"({"schemaVersion":2,"manifests":[]})"), oci::kMediaTypeOciIndex);
  EXPECT_EQ(MediaTypeOf("", R"({"schemaVersion":2,"config":{},"layers":[]})"),
            oci::kMediaTypeOciManifest);
  EXPECT_EQ(MediaTypeOf("application/vnd.docker.distribution.manifest.v1+prettyjws", "{}"),
            "application/vnd.docker.distribution.manifest.v1+prettyjws");
}

}  // namespace
}  // namespace berth::registry::client
