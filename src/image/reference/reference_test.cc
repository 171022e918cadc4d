#include "image/reference/reference.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::image {
namespace {

const std::string kHex = std::string(64, 'a');
const std::string kDigest = "sha256:" + kHex;

struct ValidCase {
  std::string input;
  std::string domain;
  std::string path;
  std::string tag;  // after ParseReference
  std::string digest;
  std::string full;
  std::string familiar;
};

const std::vector<ValidCase>& ValidCases() {
  static const std::vector<ValidCase> cases = {
      {"busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest",
       "busybox:latest"},
      {"busybox:1.36", "docker.io", "library/busybox", "1.36", "", "docker.io/library/busybox:1.36",
       "busybox:1.36"},
      {"library/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "busybox:latest"},
      {"docker.io/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "busybox:latest"},
      {"index.docker.io/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "busybox:latest"},
      {"index.docker.io/user/app:v2", "docker.io", "user/app", "v2", "", "docker.io/user/app:v2",
       "user/app:v2"},
      {"user/app", "docker.io", "user/app", "latest", "", "docker.io/user/app:latest",
       "user/app:latest"},
      {"library/a/b", "docker.io", "library/a/b", "latest", "", "docker.io/library/a/b:latest",
       "library/a/b:latest"},
      {"localhost/app", "localhost", "app", "latest", "", "localhost/app:latest",
       "localhost/app:latest"},
      {"localhost:5000/app:v1", "localhost:5000", "app", "v1", "", "localhost:5000/app:v1",
       "localhost:5000/app:v1"},
      {"registry.example.com/a/b/c", "registry.example.com", "a/b/c", "latest", "",
       "registry.example.com/a/b/c:latest", "registry.example.com/a/b/c:latest"},
      {"my-registry.example.com:443/team/app:1.0", "my-registry.example.com:443", "team/app", "1.0",
       "", "my-registry.example.com:443/team/app:1.0", "my-registry.example.com:443/team/app:1.0"},
      {"Example.COM/app", "Example.COM", "app", "latest", "", "Example.COM/app:latest",
       "Example.COM/app:latest"},
      {"Registry/app", "Registry", "app", "latest", "", "Registry/app:latest",
       "Registry/app:latest"},
      {"[::1]:5000/x", "[::1]:5000", "x", "latest", "", "[::1]:5000/x:latest",
       "[::1]:5000/x:latest"},
      {"[2001:db8::1]/x/y:t", "[2001:db8::1]", "x/y", "t", "", "[2001:db8::1]/x/y:t",
       "[2001:db8::1]/x/y:t"},
      {"10.0.0.1:5000/app", "10.0.0.1:5000", "app", "latest", "", "10.0.0.1:5000/app:latest",
       "10.0.0.1:5000/app:latest"},
      {"app@" + kDigest, "docker.io", "library/app", "", kDigest,
       "docker.io/library/app@" + kDigest, "app@" + kDigest},
      {"app:tag@" + kDigest, "docker.io", "library/app", "tag", kDigest,
       "docker.io/library/app:tag@" + kDigest, "app:tag@" + kDigest},
      {"localhost:5000/app@" + kDigest, "localhost:5000", "app", "", kDigest,
       "localhost:5000/app@" + kDigest, "localhost:5000/app@" + kDigest},
      {"user/a.b_c__d-e---f", "docker.io", "user/a.b_c__d-e---f", "latest", "",
       "docker.io/user/a.b_c__d-e---f:latest", "user/a.b_c__d-e---f:latest"},
      {"app:Tag_1.2-rc", "docker.io", "library/app", "Tag_1.2-rc", "",
       "docker.io/library/app:Tag_1.2-rc", "app:Tag_1.2-rc"},
      {"app:_x", "docker.io", "library/app", "_x", "", "docker.io/library/app:_x", "app:_x"},
      {"app:" + std::string(128, 't'), "docker.io", "library/app", std::string(128, 't'), "",
       "docker.io/library/app:" + std::string(128, 't'), "app:" + std::string(128, 't')},
      {"sha256:" + kHex, "docker.io", "library/sha256", kHex, "",
       "docker.io/library/sha256:" + kHex, "sha256:" + kHex},
      {"0123", "docker.io", "library/0123", "latest", "", "docker.io/library/0123:latest",
       "0123:latest"},
      {std::string(63, 'a'), "docker.io", "library/" + std::string(63, 'a'), "latest", "",
       "docker.io/library/" + std::string(63, 'a') + ":latest", std::string(63, 'a') + ":latest"},
      {"example.com/" + std::string(243, 'p'), "example.com", std::string(243, 'p'), "latest", "",
       "example.com/" + std::string(243, 'p') + ":latest",
       "example.com/" + std::string(243, 'p') + ":latest"},
  };
  return cases;
}

TEST(Reference, RegistryNamesAndTags) {
  EXPECT_TRUE(IsValidRepositoryPath("busybox"));
  EXPECT_TRUE(IsValidRepositoryPath("a/b/c/d"));
  EXPECT_TRUE(IsValidRepositoryPath("my-org/app__x.y"));
  EXPECT_FALSE(IsValidRepositoryPath(""));
  EXPECT_FALSE(IsValidRepositoryPath("Busybox"));
  EXPECT_FALSE(IsValidRepositoryPath("a//b"));
  EXPECT_FALSE(IsValidRepositoryPath("a/"));
  EXPECT_FALSE(IsValidRepositoryPath("localhost:5000/app"));
  EXPECT_FALSE(IsValidRepositoryPath("a/.b"));
  EXPECT_FALSE(IsValidRepositoryPath(std::string(256, 'a')));
  EXPECT_TRUE(IsValidRepositoryPath(std::string(255, 'a')));
  EXPECT_TRUE(IsValidTag("latest"));
  EXPECT_TRUE(IsValidTag("_v1.0-rc"));
  EXPECT_TRUE(IsValidTag(std::string(128, 't')));
  EXPECT_FALSE(IsValidTag(std::string(129, 't')));
  EXPECT_FALSE(IsValidTag(""));
  EXPECT_FALSE(IsValidTag("-x"));
  EXPECT_FALSE(IsValidTag(".x"));
  EXPECT_FALSE(IsValidTag("a:b"));
}

TEST(Reference, ValidTable) {
  for (const ValidCase& c : ValidCases()) {
    SCOPED_TRACE(c.input);
    Result<Reference> ref = ParseReference(c.input);
    ASSERT_TRUE(ref) << ref.error().message();
    EXPECT_EQ(ref->domain, c.domain);
    EXPECT_EQ(ref->path, c.path);
    EXPECT_EQ(ref->tag, c.tag);
    EXPECT_EQ(ref->digest ? ref->digest->String() : "", c.digest);
    EXPECT_EQ(ref->String(), c.full);
    EXPECT_EQ(ref->FamiliarString(), c.familiar);
    EXPECT_EQ(ref->Name(), c.domain + "/" + c.path);
  }
}

TEST(Reference, RoundTripOverValidTable) {
  for (const ValidCase& c : ValidCases()) {
    SCOPED_TRACE(c.input);
    Result<Reference> ref = ParseReference(c.input);
    ASSERT_TRUE(ref) << ref.error().message();
    Result<Reference> again = ParseReference(ref->String());
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(*again, *ref);
    Result<Reference> familiar = ParseReference(ref->FamiliarString());
    ASSERT_TRUE(familiar) << familiar.error().message();
    EXPECT_EQ(*familiar, *ref);
  }
}

TEST(Reference, NormalizedNamedKeepsTagEmpty) {
  Result<Reference> ref = ParseNormalizedNamed("busybox");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->tag, "");
  EXPECT_EQ(ref->String(), "docker.io/library/busybox");
  EXPECT_EQ(ref->FamiliarString(), "busybox");
  Result<Reference> digested = ParseReference("busybox@" + kDigest);
  ASSERT_TRUE(digested);
  EXPECT_EQ(digested->tag, "");
}

struct InvalidCase {
  std::string input;
  std::string message;  // a part of the error message
};

TEST(Reference, InvalidTable) {
  const std::vector<InvalidCase> cases = {
      {"", "reference is empty"},
      {"Busybox", "repository name (library/Busybox) must be lowercase"},
      {"user/App", "repository name (user/App) must be lowercase"},
      {"localhost:5000/App:v1", "repository name (App) must be lowercase"},
      {kHex, "cannot specify 64-byte hexadecimal strings"},
      {"busybox:", "tag \"\""},
      {"busybox:-x", "tag \"-x\""},
      {"busybox:.x", "tag \".x\""},
      {"busybox:a/b", "domain (busybox:a)"},
      {"library/busybox:a/b", "tag \"a/b\""},
      {"busybox:a:b", "tag \"a:b\""},
      {"app:" + std::string(129, 't'), "tag \""},
      {"busybox@", "invalid digest"},
      {"busybox@sha256:abc", "invalid digest"},
      {"busybox@sha256:" + std::string(64, 'A'), "invalid digest"},
      {"busybox@md5:" + std::string(32, 'a'), "invalid digest"},
      {"busybox@@" + kDigest, "invalid digest"},
      {"_app", "path component \"_app\""},
      {"app_", "path component \"app_\""},
      {"a___b", "path component \"a___b\""},
      {"a._b", "path component \"a._b\""},
      {"a//b", "path component \"\""},
      {"a/b/", "path component \"\""},
      {"a b", "path component \"a b\""},
      {"a$b", "path component \"a$b\""},
      {"localhost:5000/", "repository path is empty"},
      {"docker.io/", "path component \"\""},
      {":tag", "path component \"\""},
      {"my_registry.com/app", "domain (my_registry.com)"},
      {"-example.com/app", "domain (-example.com)"},
      {"example-.com/app", "domain (example-.com)"},
      {"example..com/app", "domain (example..com)"},
      {"localhost:/app", "domain (localhost:)"},
      {"localhost:50a/app", "domain (localhost:50a)"},
      {"[::1/app", "domain ([::1)"},
      {"[]:5000/app", "domain ([]:5000)"},
      {"[::g]/app", "domain ([::g])"},
      {"[::1]5000/app", "domain ([::1]5000)"},
      {"example.com/" + std::string(244, 'p'), "must not be more than 255 characters"},
      {std::string(256, 'a'), "must not be more than 255 characters"},
  };
  for (const InvalidCase& c : cases) {
    SCOPED_TRACE(c.input);
    Result<Reference> ref = ParseReference(c.input);
    ASSERT_FALSE(ref) << ref->String();
    EXPECT_EQ(ref.error().kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(ref.error().message().find(c.message), std::string::npos) << ref.error().message();
  }
}

TEST(Reference, ErrorNamesTheLowercaseRule) {
  Result<Reference> ref = ParseReference("Busybox");
  ASSERT_FALSE(ref);
  EXPECT_EQ(ref.error().message(),
            "invalid reference format: repository name (library/Busybox) must be lowercase");
}

}  // namespace
}  // namespace berth::image
