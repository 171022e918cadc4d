#include "base/digest.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(Digest, Sha256KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 h;
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(h.HexDigest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, ParseValidatesAlgorithmAndHex) {
  auto d = Digest::Parse("sha256:" + Sha256Hex("x"));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->algorithm, "sha256");
  EXPECT_EQ(d->String(), "sha256:" + Sha256Hex("x"));
  EXPECT_FALSE(Digest::Parse("sha256:abc"));
  EXPECT_FALSE(Digest::Parse("md5:" + std::string(32, 'a')));
  EXPECT_FALSE(Digest::Parse("sha256:" + std::string(64, 'A')));
  EXPECT_FALSE(Digest::Parse(std::string(64, 'a')));
}

}  // namespace
}  // namespace berth
