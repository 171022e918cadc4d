#include "oci/image_spec.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::oci {
namespace {

TEST(ImageSpecTest, ClassifiesDocumentMediaTypes) {
  struct Case {
    std::string_view media_type;
    bool manifest, index, config, layer;
  };
  const Case kCases[] = {
      {kMediaTypeOciManifest, true, false, false, false},
      {kMediaTypeDockerManifest, true, false, false, false},
      {kMediaTypeOciIndex, false, true, false, false},
      {kMediaTypeDockerManifestList, false, true, false, false},
      {kMediaTypeOciConfig, false, false, true, false},
      {kMediaTypeDockerConfig, false, false, true, false},
      {kMediaTypeOciLayerGzip, false, false, false, true},
      {kMediaTypeDockerLayerGzip, false, false, false, true},
      {kMediaTypeOciEmpty, false, false, false, false},
      {"application/vnd.docker.distribution.manifest.v1+prettyjws", false, false, false, false},
      {"application/json", false, false, false, false},
      {"", false, false, false, false},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.media_type);
    EXPECT_EQ(IsManifestMediaType(c.media_type), c.manifest);
    EXPECT_EQ(IsIndexMediaType(c.media_type), c.index);
    EXPECT_EQ(IsConfigMediaType(c.media_type), c.config);
    EXPECT_EQ(IsLayerMediaType(c.media_type), c.layer);
  }
}

TEST(ImageSpecTest, LayerCompressionFollowsTheMediaType) {
  struct Case {
    std::string_view media_type;
    std::optional<Compression> compression;
    bool nondistributable;
  };
  const Case kCases[] = {
      {kMediaTypeOciLayer, Compression::kNone, false},
      {kMediaTypeOciLayerGzip, Compression::kGzip, false},
      {kMediaTypeOciLayerZstd, Compression::kZstd, false},
      {kMediaTypeOciLayerNondistributable, Compression::kNone, true},
      {kMediaTypeOciLayerNondistributableGzip, Compression::kGzip, true},
      {kMediaTypeOciLayerNondistributableZstd, Compression::kZstd, true},
      {kMediaTypeDockerLayer, Compression::kNone, false},
      {kMediaTypeDockerLayerGzip, Compression::kGzip, false},
      {kMediaTypeDockerLayerZstd, Compression::kZstd, false},
      {kMediaTypeDockerForeignLayer, Compression::kNone, true},
      {kMediaTypeDockerForeignLayerGzip, Compression::kGzip, true},
      {kMediaTypeOciConfig, std::nullopt, false},
      {"application/vnd.oci.image.layer.v1.tar+bzip2", std::nullopt, false},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.media_type);
    EXPECT_EQ(LayerCompression(c.media_type), c.compression);
    EXPECT_EQ(IsNondistributableLayerMediaType(c.media_type), c.nondistributable);
  }
  EXPECT_EQ(CompressionName(Compression::kNone), "none");
  EXPECT_EQ(CompressionName(Compression::kGzip), "gzip");
  EXPECT_EQ(CompressionName(Compression::kZstd), "zstd");
  EXPECT_EQ(CompressionName(Compression::kXz), "xz");
  EXPECT_EQ(CompressionName(Compression::kBzip2), "bzip2");
}

TEST(ImageSpecTest, ValidatesMediaTypeSyntax) {
  for (std::string_view ok : {kMediaTypeOciManifest, kMediaTypeDockerLayerGzip,
                              std::string_view("application/vnd.in-toto+json"),
                              std::string_view("text/plain"), std::string_view("a/b")}) {
    EXPECT_TRUE(IsValidMediaType(ok)) << ok;
  }
  const std::string too_long = "application/" + std::string(128, 'a');
  for (std::string_view bad :
       {std::string_view(""), std::string_view("application"), std::string_view("/json"),
        std::string_view("application/"), std::string_view("application/json; charset=utf-8"),
        std::string_view("application/.json"), std::string_view("app lication/json"),
        std::string_view("a/b/c"), std::string_view(too_long)}) {
    EXPECT_FALSE(IsValidMediaType(bad)) << bad;
  }
  EXPECT_TRUE(IsValidMediaType("application/" + std::string(127, 'a')));
}

}  // namespace
}  // namespace berth::oci
