#include "registry/client/session.h"

#include <gtest/gtest.h>

namespace berth::registry::client {
namespace {

TEST(RegistryErrorText, DockersWords) {
  EXPECT_EQ(
      RegistryErrorText(
          R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]})"),
      "manifest unknown: manifest unknown");
  EXPECT_EQ(
      RegistryErrorText(R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"},)"
                        R"({"code":"DENIED"}]})"),
      "unauthorized: authentication required, denied");
  EXPECT_EQ(RegistryErrorText("<html>"), "");
  EXPECT_EQ(RegistryErrorText(R"({"errors":[]})"), "");
}

TEST(CheckStatus, KindsFromStatuses) {
  EXPECT_TRUE(CheckStatus({.status = 202, .headers = {}, .body = {}, .url = {}}, "x"));
  const std::pair<long, ErrorKind> cases[] = {{401, ErrorKind::kUnauthenticated},
                                              {403, ErrorKind::kPermissionDenied},
                                              {404, ErrorKind::kNotFound},
                                              {416, ErrorKind::kInvalidArgument},
                                              {502, ErrorKind::kUnavailable}};
  for (const auto& [status, kind] : cases) {
    Status checked = CheckStatus(
        {.status = status, .headers = {}, .body = {}, .url = "http://r/v2/"}, "fetch x");
    ASSERT_FALSE(checked);
    EXPECT_EQ(checked.error().kind(), kind) << status;
    EXPECT_NE(checked.error().message().find(std::to_string(status)), std::string::npos);
  }
  Status named = CheckStatus(
      {.status = 404,
       .headers = {},
       .body =
           R"({"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]})",
       .url = {}},
      "fetch manifest latest");
  ASSERT_FALSE(named);
  EXPECT_EQ(named.error().message(),
            "fetch manifest latest: name unknown: repository name not known to registry");
}

TEST(Session, TransferErrorsNameTheUrl) {
  // Nothing listens on port 1 of loopback: the connection is refused at once.
  Session session({{.url = "http://127.0.0.1:1", .tls = {}, .mirror = false}}, "a/b", {}, "pull");
  Result<HttpResponse> response = session.Do({}, "/v2/");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind(), ErrorKind::kUnavailable);
  EXPECT_NE(response.error().message().find("http://127.0.0.1:1/v2/"), std::string::npos);
}

}  // namespace
}  // namespace berth::registry::client
