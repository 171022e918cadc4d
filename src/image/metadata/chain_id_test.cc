#include "image/metadata/chain_id.h"

#include <gtest/gtest.h>

namespace berth::image::metadata {
namespace {

Digest Parsed(std::string_view s) {
  Result<Digest> d = Digest::Parse(s);
  EXPECT_TRUE(d) << d.error().message();
  return d ? *d : Digest{};
}

// The expected values were computed with coreutils: printf '%s %s' "$A" "$B" | sha256sum.
TEST(ChainIdTest, MatchesValuesComputedIndependently) {
  const Digest a = Digest::OfSha256("a");
  const Digest b = Digest::OfSha256("b");
  const Digest c = Digest::OfSha256("c");
  ASSERT_EQ(a.String(), "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb");
  const Digest ab =
      Parsed("sha256:51c0c8ace48498d6f5fee6b0592cc06f2da0f3cbe09c5a34a97dce85c3889676");
  const Digest abc =
      Parsed("sha256:2fce7f8ce91bcf0a1428b36e1024639fdbd9469eea762dba98aa749631885106");
  EXPECT_EQ(ChainId(a, b), ab);
  EXPECT_EQ(ChainId(ab, c), abc);
  const std::vector<Digest> diff_ids = {a, b, c};
  EXPECT_EQ(ChainIds(diff_ids), (std::vector<Digest>{a, ab, abc}));
}

TEST(ChainIdTest, BaseLayerIsItsDiffIdAndOrderMatters) {
  const Digest a = Digest::OfSha256("a");
  const Digest b = Digest::OfSha256("b");
  const std::vector<Digest> one = {a};
  EXPECT_EQ(ChainIds(one), one);
  EXPECT_TRUE(ChainIds(std::vector<Digest>{}).empty());
  EXPECT_NE(ChainId(a, b), ChainId(b, a));
  // A repeated diff id still gives distinct chain ids: each names a different stack.
  const std::vector<Digest> twice = {a, a};
  const std::vector<Digest> ids = ChainIds(twice);
  EXPECT_NE(ids[0], ids[1]);
}

}  // namespace
}  // namespace berth::image::metadata
