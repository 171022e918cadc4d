#include "registry/server/parse.h"

#include <gtest/gtest.h>

namespace berth::registry::server {
namespace {

const std::string kDigest =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(ParseTest, ManifestReferenceIsATagOrADigest) {
  ApiResult<ManifestRef> tag = ParseManifestRef("v1.0_rc-2");
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->tag, "v1.0_rc-2");
  EXPECT_FALSE(tag->digest);
  ApiResult<ManifestRef> digest = ParseManifestRef(kDigest);
  ASSERT_TRUE(digest);
  EXPECT_EQ(digest->digest->String(), kDigest);
  EXPECT_TRUE(digest->tag.empty());

  ApiResult<ManifestRef> bad_tag = ParseManifestRef("-v1");
  ASSERT_FALSE(bad_tag);
  EXPECT_EQ(bad_tag.error().code, Code::kTagInvalid);
  EXPECT_EQ(ParseManifestRef(std::string(129, 'a')).error().code, Code::kTagInvalid);
  ApiResult<ManifestRef> bad_digest = ParseManifestRef("sha256:1234");
  ASSERT_FALSE(bad_digest);
  EXPECT_EQ(bad_digest.error().code, Code::kDigestInvalid);
  EXPECT_EQ(ParseBlobDigest("md5:abc").error().code, Code::kDigestInvalid);
}

TEST(ParseTest, ContentRange) {
  Result<ByteRange> range = ParseContentRange("0-99");
  ASSERT_TRUE(range);
  EXPECT_EQ(range->first, 0u);
  EXPECT_EQ(range->last, 99u);
  EXPECT_EQ(range->size(), 100u);
  EXPECT_EQ(ParseContentRange("bytes 100-199")->first, 100u);
  EXPECT_EQ(ParseContentRange("bytes=5-5")->size(), 1u);
  for (const char* bad : {"", "-", "5-", "-5", "9-3", "a-b", "1-2-3", "0x1-2"}) {
    EXPECT_FALSE(ParseContentRange(bad)) << bad;
  }
}

TEST(ParseTest, RangeAgainstASize) {
  Result<ByteRange> range = ParseRange("bytes=10-19", 100);
  ASSERT_TRUE(range);
  EXPECT_EQ(range->first, 10u);
  EXPECT_EQ(range->last, 19u);
  EXPECT_EQ(ParseRange("bytes=90-", 100)->last, 99u);
  EXPECT_EQ(ParseRange("bytes=90-500", 100)->last, 99u);  // clipped
  Result<ByteRange> suffix = ParseRange("bytes=-30", 100);
  ASSERT_TRUE(suffix);
  EXPECT_EQ(suffix->first, 70u);
  EXPECT_EQ(suffix->last, 99u);
  EXPECT_EQ(ParseRange("bytes=-300", 100)->first, 0u);
  for (const char* bad : {"bytes=100-", "bytes=5-1", "items=0-1", "bytes=0-1,3-4", "bytes=-0",
                          "bytes=x-1", "bytes="}) {
    EXPECT_FALSE(ParseRange(bad, 100)) << bad;
  }
  EXPECT_FALSE(ParseRange("bytes=0-", 0));
}

TEST(ParseTest, Page) {
  ApiResult<Page> none = ParsePage(std::nullopt, std::nullopt);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->n);
  EXPECT_EQ(none->last, "");
  ApiResult<Page> page = ParsePage("2", "b");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->n, 2u);
  EXPECT_EQ(page->last, "b");
  for (const char* bad : {"-1", "x", "1.5"}) {
    ApiResult<Page> invalid = ParsePage(bad, std::nullopt);
    ASSERT_FALSE(invalid) << bad;
    EXPECT_EQ(invalid.error().code, Code::kPaginationNumberInvalid);
    EXPECT_EQ(CodeStatus(invalid.error().code), 400);
  }
}

}  // namespace
}  // namespace berth::registry::server
