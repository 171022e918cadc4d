#include "registry/server/catalog.h"

#include <gtest/gtest.h>

#include "base/temp_dir.h"

namespace berth::registry::server {
namespace {

Digest D(char c) { return Digest{"sha256", std::string(64, c)}; }

class CatalogTest : public ::testing::Test {
 protected:
  Catalog Open() { return Catalog::Open(dir_ / "registry.db").value(); }
  TempDir dir_ = TempDir::Make("berth-registry-catalog").value();
};

TEST_F(CatalogTest, ManifestsTagsAndLinksSurviveReopening) {
  {
    Catalog catalog = Open();
    ASSERT_TRUE(catalog.LinkBlob("a/b", D('1')));
    ASSERT_TRUE(catalog.LinkBlob("a/b", D('1')));  // twice is once
    ASSERT_TRUE(catalog.PutManifest("a/b", {D('e'), "application/x"}, {D('1')}, "v1"));
    ASSERT_TRUE(catalog.PutManifest("a/b", {D('e'), "application/x"}, {D('1')}, "v2"));
  }
  Catalog catalog = Open();
  EXPECT_TRUE(*catalog.HasBlob("a/b", D('1')));
  EXPECT_FALSE(*catalog.HasBlob("other", D('1')));
  std::optional<ManifestRecord> tagged = *catalog.ResolveTag("a/b", "v1");
  ASSERT_TRUE(tagged);
  EXPECT_EQ(tagged->digest, D('e'));
  EXPECT_EQ(tagged->media_type, "application/x");
  EXPECT_TRUE(*catalog.FindManifest("a/b", D('e')));
  EXPECT_FALSE(*catalog.FindManifest("c", D('e')));
  EXPECT_EQ(*catalog.Tags("a/b", std::nullopt, ""), (std::vector<std::string>{"v1", "v2"}));
  EXPECT_EQ(*catalog.Tags("a/b", 1, "v1"), (std::vector<std::string>{"v2"}));
  EXPECT_EQ(catalog.Tags("nope", std::nullopt, "").error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(*catalog.Repositories(std::nullopt, ""), (std::vector<std::string>{"a/b"}));

  ASSERT_TRUE(catalog.DeleteTag("a/b", "v1"));
  EXPECT_EQ(catalog.DeleteTag("a/b", "v1").error().kind(), ErrorKind::kNotFound);
  std::vector<Digest> referenced = *catalog.Referenced();
  EXPECT_EQ(referenced.size(), 2u);
  // Deleting the manifest takes its tags and references with it.
  ASSERT_TRUE(catalog.DeleteManifest("a/b", D('e')));
  EXPECT_FALSE(*catalog.ResolveTag("a/b", "v2"));
  EXPECT_TRUE(catalog.Referenced()->empty());
  ASSERT_TRUE(catalog.ForgetBlob(D('1')));
  EXPECT_FALSE(*catalog.HasBlob("a/b", D('1')));
  EXPECT_TRUE(catalog.Repositories(std::nullopt, "")->empty());
}

}  // namespace
}  // namespace berth::registry::server
