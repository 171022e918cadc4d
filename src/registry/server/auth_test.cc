#include "registry/server/auth.h"

#include <gtest/gtest.h>

#include "base/file.h"
#include "base/strings.h"
#include "base/temp_dir.h"

namespace berth::registry::server {
namespace {

// "alice:s3cret" as Apache's htpasswd -B writes it (bcrypt, cost 4).
constexpr const char* kAlice = "alice:$2y$04$SMcfS67OjDLp.ERkDreQfOLGzbiP7tY2txsePno8DEg7rGxOI12Q.";

std::string Basic(const std::string& credentials) { return "Basic " + Base64Encode(credentials); }

class AuthTest : public ::testing::Test {
 protected:
  Result<Htpasswd> Load(const std::string& text) {
    std::string path = dir_.path() + "/htpasswd";
    EXPECT_TRUE(WriteFile(path, text));
    return Htpasswd::Load(path);
  }
  TempDir dir_ = TempDir::Make("berth-registry-auth").value();
};

TEST_F(AuthTest, AcceptsTheRightPasswordOnly) {
  Result<Htpasswd> htpasswd = Load(std::string("# users\n") + kAlice + "\n\n");
  ASSERT_TRUE(htpasswd) << htpasswd.error().message();
  EXPECT_TRUE(htpasswd->Check(Basic("alice:s3cret")));
  for (const std::optional<std::string>& bad :
       {std::optional<std::string>(), std::optional<std::string>(Basic("alice:wrong")),
        std::optional<std::string>(Basic("bob:s3cret")), std::optional<std::string>(Basic("alice")),
        std::optional<std::string>("Bearer abc"), std::optional<std::string>("Basic !!!")}) {
    Status checked = htpasswd->Check(bad);
    ASSERT_FALSE(checked) << bad.value_or("(none)");
    EXPECT_EQ(checked.error().kind(), ErrorKind::kUnauthenticated);
  }
}

TEST_F(AuthTest, MalformedFileNamesTheLine) {
  Result<Htpasswd> htpasswd = Load(std::string(kAlice) + "\nno-colon-here\n");
  ASSERT_FALSE(htpasswd);
  EXPECT_EQ(htpasswd.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(htpasswd.error().message().find(":2:"), std::string::npos)
      << htpasswd.error().message();
  EXPECT_FALSE(Htpasswd::Load(dir_.path() + "/missing"));
}

}  // namespace
}  // namespace berth::registry::server
