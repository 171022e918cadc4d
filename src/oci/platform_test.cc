#include "oci/platform.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "oci/image_spec_fixtures.h"
#include "oci/image_spec_json.h"

namespace berth::oci {
namespace {

using ::testing::ElementsAreArray;

Platform P(std::string os, std::string arch, std::string variant = "") {
  return Platform{
      .architecture = std::move(arch), .os = std::move(os), .variant = std::move(variant)};
}

TEST(PlatformTest, ParsesSpecifiers) {
  struct Case {
    std::string_view specifier;
    Platform want;
  };
  const Case kCases[] = {
      {"linux/arm64/v8", P("linux", "arm64", "v8")},
      {"linux/arm64", P("linux", "arm64", "v8")},
      {"linux/aarch64", P("linux", "arm64", "v8")},
      {"linux/arm64/v9.0", P("linux", "arm64", "v9")},
      {"linux/arm64/v8.2", P("linux", "arm64", "v8.2")},
      {"linux/amd64", P("linux", "amd64")},
      {"linux/x86_64", P("linux", "amd64")},
      {"linux/x86-64", P("linux", "amd64")},
      {"linux/amd64/v1", P("linux", "amd64")},
      {"linux/amd64/v3", P("linux", "amd64", "v3")},
      {"linux/arm", P("linux", "arm", "v7")},
      {"linux/arm/6", P("linux", "arm", "v6")},
      {"linux/armhf", P("linux", "arm", "v7")},
      {"linux/armel", P("linux", "arm", "v6")},
      {"linux/i386", P("linux", "386")},
      {"linux/386", P("linux", "386")},
      {"Linux/AMD64", P("linux", "amd64")},
      {"linux/riscv64", P("linux", "riscv64")},
      {"windows/amd64", P("windows", "amd64")},
      {"macos/arm64", P("darwin", "arm64", "v8")},
      {"arm64", P("linux", "arm64", "v8")},
      {"amd64", P("linux", "amd64")},
      {"aarch64", P("linux", "arm64", "v8")},
      {"armhf", P("linux", "arm", "v7")},
      {"s390x", P("linux", "s390x")},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.specifier);
    Result<Platform> p = ParsePlatform(c.specifier);
    ASSERT_TRUE(p) << p.error().message();
    EXPECT_EQ(*p, c.want) << FormatPlatform(*p);
  }
}

TEST(PlatformTest, LoneOsTakesTheHostArchitecture) {
  Platform host = HostPlatform();
  Result<Platform> p = ParsePlatform("linux");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(*p, P("linux", host.architecture, host.variant));
  Result<Platform> windows = ParsePlatform("windows");
  ASSERT_TRUE(windows) << windows.error().message();
  EXPECT_EQ(windows->os, "windows");
  EXPECT_EQ(windows->architecture, host.architecture);
}

TEST(PlatformTest, RejectsJunk) {
  struct Case {
    std::string_view specifier;
    std::string message;
  };
  const Case kCases[] = {
      {"", "parse platform \"\": empty component"},
      {"linux//amd64", "parse platform \"linux//amd64\": empty component"},
      {"linux/", "parse platform \"linux/\": empty component"},
      {"/amd64", "parse platform \"/amd64\": empty component"},
      {"linux/amd64/v8/x", "parse platform \"linux/amd64/v8/x\": more than three components"},
      {"linux/amd 64",
       "parse platform \"linux/amd 64\": component \"amd 64\" has characters other than "
       "[A-Za-z0-9_.-]"},
      {"*", "parse platform \"*\": component \"*\" has characters other than [A-Za-z0-9_.-]"},
      {"pentium", "parse platform \"pentium\": unknown operating system or architecture"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.specifier);
    Result<Platform> p = ParsePlatform(c.specifier);
    ASSERT_FALSE(p) << FormatPlatform(*p);
    EXPECT_EQ(p.error().kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(p.error().message(), c.message);
  }
}

TEST(PlatformTest, NormalizesAsContainerdDoes) {
  struct Case {
    Platform in;
    Platform want;
  };
  const Case kCases[] = {
      {P("linux", "x86_64"), P("linux", "amd64")},
      {P("linux", "amd64", "v1"), P("linux", "amd64")},
      {P("linux", "amd64", "V2"), P("linux", "amd64", "v2")},
      {P("linux", "aarch64"), P("linux", "arm64", "v8")},
      {P("linux", "arm64", "8"), P("linux", "arm64", "v8")},
      {P("linux", "arm64", "9"), P("linux", "arm64", "v9")},
      {P("linux", "armhf"), P("linux", "arm", "v7")},
      {P("linux", "armel"), P("linux", "arm", "v6")},
      {P("linux", "arm"), P("linux", "arm", "v7")},
      {P("linux", "arm", "5"), P("linux", "arm", "v5")},
      {P("linux", "arm", "8"), P("linux", "arm", "v8")},
      {P("linux", "i386", "whatever"), P("linux", "386")},
      {P("MacOS", "amd64"), P("darwin", "amd64")},
      {P("linux", "PPC64LE"), P("linux", "ppc64le")},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(FormatPlatform(c.in));
    EXPECT_EQ(NormalizePlatform(c.in), c.want);
  }
  Platform windows{.architecture = "AMD64",
                   .os = "windows",
                   .os_version = "10.0.17763.5458",
                   .os_features = {"win32k"}};
  Platform normalized = NormalizePlatform(windows);
  EXPECT_EQ(normalized.architecture, "amd64");
  EXPECT_EQ(normalized.os_version, "10.0.17763.5458");
  EXPECT_EQ(normalized.os_features, std::vector<std::string>{"win32k"});
}

TEST(PlatformTest, Formats) {
  EXPECT_EQ(FormatPlatform(P("linux", "amd64")), "linux/amd64");
  EXPECT_EQ(FormatPlatform(P("linux", "arm", "v7")), "linux/arm/v7");
}

TEST(PlatformTest, MapsUnameMachines) {
  struct Case {
    std::string_view machine;
    Platform want;
  };
  const Case kCases[] = {
      {"x86_64", P("linux", "amd64")},     {"i686", P("linux", "386")},
      {"i386", P("linux", "386")},         {"aarch64", P("linux", "arm64", "v8")},
      {"armv8l", P("linux", "arm", "v8")}, {"armv7l", P("linux", "arm", "v7")},
      {"armv6l", P("linux", "arm", "v6")}, {"armv5tel", P("linux", "arm", "v5")},
      {"ppc64le", P("linux", "ppc64le")},  {"s390x", P("linux", "s390x")},
      {"riscv64", P("linux", "riscv64")},  {"loongarch64", P("linux", "loong64")},
      {"mips64", P("linux", "mips64")},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.machine);
    EXPECT_EQ(PlatformFromMachine(c.machine), c.want);
  }
}

TEST(PlatformTest, HostPlatformIsTheBuildTarget) {
  Platform host = HostPlatform();
  EXPECT_EQ(host.os, "linux");
#if defined(__x86_64__)
  EXPECT_EQ(host.architecture, "amd64");
#elif defined(__aarch64__)
  EXPECT_EQ(FormatPlatform(host), "linux/arm64/v8");
#else
  EXPECT_FALSE(host.architecture.empty());
#endif
}

std::vector<std::string> Compatible(std::string_view wanted) {
  std::vector<std::string> out;
  PlatformMatcher matcher(*ParsePlatform(wanted));
  for (const Platform& p : matcher.Compatible()) {
    out.push_back(FormatPlatform(p));
  }
  return out;
}

TEST(PlatformTest, MatcherOrdersCompatiblePlatforms) {
  struct Case {
    std::string_view wanted;
    std::vector<std::string> compatible;
  };
  const Case kCases[] = {
      {"linux/amd64", {"linux/amd64", "linux/386"}},
      {"linux/amd64/v3", {"linux/amd64/v3", "linux/amd64/v2", "linux/amd64", "linux/386"}},
      {"linux/arm/v7", {"linux/arm/v7", "linux/arm/v6", "linux/arm/v5"}},
      {"linux/arm/v5", {"linux/arm/v5"}},
      {"linux/arm64",
       {"linux/arm64/v8", "linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5"}},
      {"linux/arm64/v8.2",
       {"linux/arm64/v8.2", "linux/arm64/v8.1", "linux/arm64/v8", "linux/arm/v8", "linux/arm/v7",
        "linux/arm/v6", "linux/arm/v5"}},
      {"linux/arm64/v9",
       {"linux/arm64/v9", "linux/arm64/v8.5", "linux/arm64/v8.4", "linux/arm64/v8.3",
        "linux/arm64/v8.2", "linux/arm64/v8.1", "linux/arm64/v8", "linux/arm/v8", "linux/arm/v7",
        "linux/arm/v6", "linux/arm/v5"}},
      {"linux/arm64/v9.6",
       {"linux/arm64/v9.6", "linux/arm64/v9.5", "linux/arm64/v9.4", "linux/arm64/v9.3",
        "linux/arm64/v9.2", "linux/arm64/v9.1", "linux/arm64/v9",   "linux/arm64/v8.9",
        "linux/arm64/v8.8", "linux/arm64/v8.7", "linux/arm64/v8.6", "linux/arm64/v8.5",
        "linux/arm64/v8.4", "linux/arm64/v8.3", "linux/arm64/v8.2", "linux/arm64/v8.1",
        "linux/arm64/v8",   "linux/arm/v8",     "linux/arm/v7",     "linux/arm/v6",
        "linux/arm/v5"}},
      {"linux/s390x", {"linux/s390x"}},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.wanted);
    EXPECT_THAT(Compatible(c.wanted), ElementsAreArray(c.compatible));
  }
}

TEST(PlatformTest, MatcherRanksNormalisedCandidates) {
  PlatformMatcher arm7(P("linux", "arm", "v7"));
  EXPECT_EQ(arm7.Rank(P("linux", "armhf")), 0u);
  EXPECT_EQ(arm7.Rank(P("linux", "arm")), 0u);
  EXPECT_EQ(arm7.Rank(P("linux", "arm", "v6")), 1u);
  EXPECT_EQ(arm7.Rank(P("linux", "armel")), 1u);
  EXPECT_EQ(arm7.Rank(P("linux", "arm", "5")), 2u);
  EXPECT_FALSE(arm7.Matches(P("linux", "arm", "v8")));
  EXPECT_FALSE(arm7.Matches(P("linux", "arm64")));
  EXPECT_FALSE(arm7.Matches(P("windows", "arm", "v7")));

  PlatformMatcher arm64(P("linux", "aarch64"));
  EXPECT_EQ(arm64.Rank(P("linux", "arm64")), 0u);
  EXPECT_EQ(arm64.Rank(P("linux", "arm64", "v8")), 0u);
  EXPECT_TRUE(arm64.Matches(P("linux", "arm", "v6")));
  EXPECT_FALSE(arm64.Matches(P("linux", "amd64")));

  PlatformMatcher amd64(P("linux", "x86_64"));
  EXPECT_EQ(amd64.Rank(P("linux", "amd64", "v1")), 0u);
  EXPECT_EQ(amd64.Rank(P("linux", "i386")), 1u);
  EXPECT_FALSE(amd64.Matches(P("linux", "amd64", "v2")));
  EXPECT_FALSE(amd64.Matches(P("unknown", "unknown")));
}

constexpr std::string_view kAmd64 = "5861314d";
constexpr std::string_view kArm64 = "f6916295";
constexpr std::string_view kArmV7 = "5ba6c871";
constexpr std::string_view kArmV6 = "50b8c3e5";

std::string Select(const Index& index, std::string_view wanted) {
  Result<Descriptor> d = SelectManifest(index, *ParsePlatform(wanted));
  if (!d) return d.error().message();
  return d->digest.hex.substr(0, 8);
}

TEST(PlatformTest, SelectsTheBestManifestOfAnIndex) {
  Result<Index> index = DecodeIndex(testing::kBuildKitIndex);
  ASSERT_TRUE(index) << index.error().message();
  EXPECT_EQ(Select(*index, "linux/amd64"), kAmd64);
  EXPECT_EQ(Select(*index, "linux/amd64/v3"), kAmd64);
  EXPECT_EQ(Select(*index, "linux/arm64"), kArm64);
  EXPECT_EQ(Select(*index, "linux/aarch64"), kArm64);
  EXPECT_EQ(Select(*index, "linux/arm64/v8.2"), kArm64);
  EXPECT_EQ(Select(*index, "linux/arm/v7"), kArmV7);
  EXPECT_EQ(Select(*index, "linux/arm/v8"), kArmV7);
  EXPECT_EQ(Select(*index, "linux/arm/v6"), kArmV6);
  EXPECT_EQ(Select(*index, "armel"), kArmV6);

  // Without an arm64 entry an arm64 host takes the best 32-bit arm image.
  Index no_arm64 = *index;
  no_arm64.manifests.erase(no_arm64.manifests.begin() + 1);
  EXPECT_EQ(Select(no_arm64, "linux/arm64"), kArmV7);
  // The order of the index does not decide when ranks differ.
  Index reversed = *index;
  std::reverse(reversed.manifests.begin(), reversed.manifests.end());
  EXPECT_EQ(Select(reversed, "linux/arm/v7"), kArmV7);
}

TEST(PlatformTest, ReportsThePlatformsAnIndexOffers) {
  Result<Index> index = DecodeIndex(testing::kBuildKitIndex);
  ASSERT_TRUE(index) << index.error().message();
  for (std::string_view wanted : {"linux/386", "linux/s390x", "linux/arm/v5", "windows/amd64"}) {
    Result<Descriptor> d = SelectManifest(*index, *ParsePlatform(wanted));
    ASSERT_FALSE(d) << wanted;
    EXPECT_EQ(d.error().kind(), ErrorKind::kNotFound);
    EXPECT_EQ(d.error().message(),
              "select manifest for " + std::string(wanted) +
                  ": no match in index (available: linux/amd64, linux/arm64/v8, linux/arm/v7, "
                  "linux/arm/v6)");
  }
  Result<Descriptor> empty = SelectManifest(Index{}, P("linux", "amd64"));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message(),
            "select manifest for linux/amd64: no match in index (available: none)");
}

TEST(PlatformTest, SelectionSkipsOtherMediaTypesAndFallsBackToEntriesWithoutPlatform) {
  Result<Index> index = DecodeIndex(testing::kBuildKitIndex);
  ASSERT_TRUE(index) << index.error().message();
  Index only_arm = *index;
  only_arm.manifests.erase(only_arm.manifests.begin(), only_arm.manifests.begin() + 2);
  // A platform-less manifest is the fallback when no platform matches.
  Descriptor any = index->manifests[0];
  any.platform.reset();
  only_arm.manifests.push_back(any);
  EXPECT_EQ(Select(only_arm, "linux/amd64"), kAmd64);
  EXPECT_EQ(Select(only_arm, "linux/arm/v7"), kArmV7);
  // An entry of another media type never matches, whatever its platform.
  Index odd;
  Descriptor layer = index->manifests[0];
  layer.media_type = std::string(kMediaTypeOciLayerGzip);
  layer.digest = index->manifests[2].digest;
  odd.manifests = {layer, index->manifests[0]};
  EXPECT_EQ(Select(odd, "linux/amd64"), kAmd64);
  // Among equal ranks the first entry wins; a Docker manifest list works the same.
  Index twins;
  twins.media_type = std::string(kMediaTypeDockerManifestList);
  twins.manifests = {index->manifests[3], index->manifests[2]};
  twins.manifests[1].platform = twins.manifests[0].platform;
  EXPECT_EQ(Select(twins, "linux/arm/v6"), kArmV6);
}

}  // namespace
}  // namespace berth::oci
