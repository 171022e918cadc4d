#include "cli/reference.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(ReferenceTest, NormalizesAsDocker) {
  auto check = [](const std::string& name, const std::string& repo, const std::string& tag) {
    Result<NamedTag> n = ParseNamed(name);
    ASSERT_TRUE(n) << name << ": " << n.error().message();
    EXPECT_EQ(n->repository, repo) << name;
    EXPECT_EQ(n->familiar, SplitRepoTag(name).first) << name;
    EXPECT_EQ(n->tag, tag) << name;
  };
  check("bb", "docker.io/library/bb", "");
  check("bb:1", "docker.io/library/bb", "1");
  check("team/bb:2", "docker.io/team/bb", "2");
  check("reg.local:5000/team/bb:2", "reg.local:5000/team/bb", "2");
  check("localhost/bb", "localhost/bb", "");
}

TEST(ReferenceTest, RefusesBadNames) {
  EXPECT_EQ(ParseNamed("Bb:1").error().message(),
            "Error parsing reference: \"Bb:1\" is not a valid repository/tag: invalid reference "
            "format: repository name must be lowercase");
  EXPECT_EQ(ParseNamed("bb@sha256:abc").error().message(),
            "refusing to create a tag with a digest reference");
  EXPECT_FALSE(ParseNamed(":1"));
}

TEST(ReferenceTest, SplitRepoTag) {
  EXPECT_EQ(SplitRepoTag("reg:5000/bb"), std::make_pair(std::string("reg:5000/bb"), std::string()));
  EXPECT_EQ(SplitRepoTag("reg:5000/bb:x"),
            std::make_pair(std::string("reg:5000/bb"), std::string("x")));
}

}  // namespace
}  // namespace berth::cli
