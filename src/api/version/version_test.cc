#include "api/version/version.h"

#include <gtest/gtest.h>

namespace berth::api::version {
namespace {

TEST(VersionTest, ComparesPartByPartAsNumbers) {
  EXPECT_EQ(CompareApiVersions("1.41", "1.41"), 0);
  EXPECT_LT(CompareApiVersions("1.9", "1.10"), 0);
  EXPECT_GT(CompareApiVersions("1.10", "1.9"), 0);
  EXPECT_GT(CompareApiVersions("2.0", "1.45"), 0);
  EXPECT_LT(CompareApiVersions("1.41", "1.41.1"), 0);
  EXPECT_EQ(CompareApiVersions("1.41", "1.41.0"), 0);
  EXPECT_EQ(CompareApiVersions("1..2", "1.0.2"), 0);
  EXPECT_EQ(CompareApiVersions("", "0"), 0);
  EXPECT_LT(CompareApiVersions("1.x", "1.1"), 0);  // a part that is no number counts as 0
  EXPECT_GT(CompareApiVersions("1.99999999999999999999999", "1.45"), 0);
}

TEST(VersionTest, SplitTakesOffTheVersionPrefix) {
  VersionedPath versioned = SplitApiVersion("/v1.41/containers/json");
  EXPECT_EQ(versioned.version, "1.41");
  EXPECT_EQ(versioned.path, "/containers/json");
  for (const char* whole :
       {"/containers/json", "/vabc/info", "/v1.41", "/v/info", "/v1-2/info", "/", ""}) {
    VersionedPath unversioned = SplitApiVersion(whole);
    EXPECT_EQ(unversioned.version, "") << whole;
    EXPECT_EQ(unversioned.path, whole);
  }
  EXPECT_EQ(SplitApiVersion("/v1.41/").path, "/");
}

TEST(VersionTest, CheckRefusesVersionsOutsideTheRangeWithDockersWords) {
  EXPECT_TRUE(CheckApiVersion("1.41", "1.24", "1.45"));
  EXPECT_TRUE(CheckApiVersion("1.24", "1.24", "1.45"));
  EXPECT_TRUE(CheckApiVersion("1.45", "1.24", "1.45"));
  Status too_new = CheckApiVersion("1.99", "1.24", "1.45");
  ASSERT_FALSE(too_new);
  EXPECT_EQ(too_new.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(too_new.error().message(),
            "client version 1.99 is too new. Maximum supported API version is 1.45");
  Status too_old = CheckApiVersion("1.12", "1.24", "1.45");
  ASSERT_FALSE(too_old);
  EXPECT_EQ(too_old.error().message(),
            "client version 1.12 is too old. Minimum supported API version is 1.24, please "
            "upgrade your client to a newer version");
}

// Prepare runs the Engine options' hook on a request for path.
Result<http::Request> Prepare(const http::ServerOptions& options, std::string path) {
  http::Request request;
  request.path = std::move(path);
  BERTH_TRY(options.prepare(request));
  return request;
}

TEST(VersionTest, EngineOptionsTakeThePrefixOffAndCheckIt) {
  http::ServerOptions options = EngineServerOptions({.server_version = "1.2.3"});
  EXPECT_EQ(options.server_version, "1.2.3");
  EXPECT_EQ(http::FindHeader(options.response_headers, "Api-Version"), "1.45");
  EXPECT_EQ(http::FindHeader(options.response_headers, "Ostype"), "linux");
  EXPECT_EQ(http::FindHeader(options.response_headers, "Docker-Experimental"), "false");

  Result<http::Request> versioned = Prepare(options, "/v1.41/containers/json");
  ASSERT_TRUE(versioned) << versioned.error().message();
  EXPECT_EQ(versioned->api_version, "1.41");
  EXPECT_EQ(versioned->path, "/containers/json");
  Result<http::Request> bare = Prepare(options, "/containers/json");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->api_version, "1.45");
  EXPECT_EQ(bare->path, "/containers/json");
  Result<http::Request> oldest = Prepare(options, "/v1.24/_ping");
  ASSERT_TRUE(oldest);
  EXPECT_EQ(oldest->api_version, "1.24");
  // Not a version: the path is routed whole (and is then 404).
  Result<http::Request> malformed = Prepare(options, "/vabc/containers/json");
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->path, "/vabc/containers/json");

  Result<http::Request> too_new = Prepare(options, "/v1.99/containers/json");
  ASSERT_FALSE(too_new);
  EXPECT_EQ(too_new.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(too_new.error().message(),
            "client version 1.99 is too new. Maximum supported API version is 1.45");
  Result<http::Request> too_old = Prepare(options, "/v1.12/containers/json");
  ASSERT_FALSE(too_old);
  EXPECT_EQ(too_old.error().message(),
            "client version 1.12 is too old. Minimum supported API version is 1.24, please "
            "upgrade your client to a newer version");
}

}  // namespace
}  // namespace berth::api::version
