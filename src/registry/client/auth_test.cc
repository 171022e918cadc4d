#include "registry/client/auth.h"

#include <gtest/gtest.h>

#include "base/strings.h"

namespace berth::registry::client {
namespace {

TEST(ParseChallenge, BearerWithQuotedParams) {
  Result<Challenge> c =
      ParseChallenge(R"(Bearer realm="https://auth.example/token",service="registry.example",)"
                     R"(scope="repository:library/busybox:pull")");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->scheme, "bearer");
  EXPECT_EQ(c->params["realm"], "https://auth.example/token");
  EXPECT_EQ(c->params["service"], "registry.example");
  EXPECT_EQ(c->params["scope"], "repository:library/busybox:pull");
}

TEST(ParseChallenge, BasicTokenValuesEscapesAndSecondChallenge) {
  Result<Challenge> c = ParseChallenge(R"(BASIC Realm=reg, x="a\"b" , Bearer realm="y")");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->scheme, "basic");
  EXPECT_EQ(c->params["realm"], "reg");
  EXPECT_EQ(c->params["x"], "a\"b");
  EXPECT_EQ(c->params.size(), 2u);
}

TEST(ParseChallenge, RefusesMalformed) {
  EXPECT_FALSE(ParseChallenge(""));
  EXPECT_FALSE(ParseChallenge("Bearer realm"));
  Result<Challenge> unterminated = ParseChallenge(R"(Bearer realm="x)");
  ASSERT_FALSE(unterminated);
  EXPECT_NE(unterminated.error().message().find("unterminated"), std::string::npos);
}

TEST(RegistryAuth, DecodesBase64UrlWithAndWithoutPadding) {
  // {"username":"u?>","password":"p~~"} has '+' and '/' in standard base64.
  const std::string json = R"({"username":"u?>","password":"p~~","serveraddress":"h:5000"})";
  ASSERT_TRUE(Base64Encode(json).find_first_of("+/") != std::string::npos);
  std::string encoded = Base64UrlEncode(json);
  for (std::string header : {encoded, encoded.substr(0, encoded.find('='))}) {
    Result<Credentials> creds = DecodeRegistryAuth(header);
    ASSERT_TRUE(creds) << creds.error().message();
    EXPECT_EQ(creds->username, "u?>");
    EXPECT_EQ(creds->password, "p~~");
    EXPECT_EQ(creds->server_address, "h:5000");
  }
}

TEST(RegistryAuth, EmptyIsAnonymousTokensAreNot) {
  Result<Credentials> empty = DecodeRegistryAuth("");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->Empty());
  Result<Credentials> braces = DecodeRegistryAuth(Base64Encode("{}"));
  ASSERT_TRUE(braces);
  EXPECT_TRUE(braces->Empty());
  Result<Credentials> tokens = DecodeRegistryAuth(
      Base64Encode(R"({"identitytoken":"t","registrytoken":"r","serveraddress":"s"})"));
  ASSERT_TRUE(tokens);
  EXPECT_EQ(tokens->identity_token, "t");
  EXPECT_EQ(tokens->registry_token, "r");
  EXPECT_FALSE(tokens->Empty());
}

TEST(RegistryAuth, LegacyAuthField) {
  Result<Credentials> c =
      DecodeRegistryAuth(Base64Encode(R"({"auth":")" + Base64Encode("joe:se:cret") + R"("})"));
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->username, "joe");
  EXPECT_EQ(c->password, "se:cret");
}

TEST(RegistryAuth, RefusesGarbage) {
  Result<Credentials> not_base64 = DecodeRegistryAuth("!!!");
  ASSERT_FALSE(not_base64);
  EXPECT_EQ(not_base64.error().kind(), ErrorKind::kInvalidArgument);
  Result<Credentials> not_json = DecodeRegistryAuth(Base64Encode("[1]"));
  ASSERT_FALSE(not_json);
  EXPECT_NE(not_json.error().message().find("X-Registry-Auth"), std::string::npos);
}

TEST(TokenResponse, TokenOrAccessToken) {
  EXPECT_EQ(ParseTokenResponse(R"({"token":"abc","expires_in":60})").value(), "abc");
  EXPECT_EQ(ParseTokenResponse(R"({"access_token":"xyz"})").value(), "xyz");
  Result<std::string> none = ParseTokenResponse(R"({"expires_in":60})");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind(), ErrorKind::kUnauthenticated);
}

TEST(BasicAuthorization, EncodesUserAndPassword) {
  EXPECT_EQ(BasicAuthorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

}  // namespace
}  // namespace berth::registry::client
