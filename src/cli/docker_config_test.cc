#include "cli/docker_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/strings.h"
#include "base/temp_dir.h"

namespace berth::cli {
namespace {

TEST(DockerConfig, StoreLookupEraseKeepsOtherKeys) {
  Result<TempDir> dir = TempDir::Make("berth-docker-config");
  ASSERT_TRUE(dir);
  const std::string path = *dir / "config.json";
  ASSERT_TRUE(WriteFileAtomic(path, R"({"auths":{"other:1":{"auth":"eDp5"}},"psFormat":"x"})"));
  ASSERT_TRUE(StoreLogin(path, "reg:5000", {.username = "alice", .password = "s3:cret"}));
  Result<std::optional<RegistryLogin>> login = LookupLogin(path, "reg:5000");
  ASSERT_TRUE(login && *login);
  EXPECT_EQ((*login)->username, "alice");
  EXPECT_EQ((*login)->password, "s3:cret");
  nlohmann::json json = nlohmann::json::parse(ReadFile(path).value());
  EXPECT_EQ(json["psFormat"], "x");
  EXPECT_EQ(json["auths"]["reg:5000"]["auth"], Base64Encode("alice:s3:cret"));
  EXPECT_EQ(json["auths"]["other:1"]["auth"], "eDp5");
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(EraseLogin(path, "reg:5000"));
  EXPECT_FALSE(LookupLogin(path, "reg:5000").value());
  Result<void> again = EraseLogin(path, "reg:5000");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind(), ErrorKind::kNotFound);
}

TEST(DockerConfig, MissingFileAndBadEntries) {
  Result<TempDir> dir = TempDir::Make("berth-docker-config");
  ASSERT_TRUE(dir);
  EXPECT_FALSE(LookupLogin(*dir / "absent.json", "reg:5000").value());
  const std::string path = *dir / "config.json";
  ASSERT_TRUE(WriteFileAtomic(path, R"({"auths":{"reg:5000":{"auth":"bm9jb2xvbg=="}}})"));
  Result<std::optional<RegistryLogin>> bad = LookupLogin(path, "reg:5000");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("reg:5000"), std::string::npos);
  ASSERT_TRUE(WriteFileAtomic(path, "[]"));
  EXPECT_FALSE(LookupLogin(path, "reg:5000"));
}

TEST(DockerConfig, FormatsFromTheFileWhenNoneIsGiven) {
  Result<TempDir> dir = TempDir::Make("berth-docker-config");
  ASSERT_TRUE(dir);
  EXPECT_EQ(ConfiguredFormat(dir->path(), "", "psFormat").value(), "");  // no file
  ASSERT_TRUE(
      WriteFileAtomic(*dir / "config.json", R"({"psFormat":"{{.Names}}","statsFormat":1})"));
  EXPECT_EQ(ConfiguredFormat(dir->path(), "", "psFormat").value(), "{{.Names}}");
  EXPECT_EQ(ConfiguredFormat(dir->path(), "{{.ID}}", "psFormat").value(), "{{.ID}}");
  EXPECT_EQ(ConfiguredFormat(dir->path(), "", "imagesFormat").value(), "");
  Result<std::string> bad = ConfiguredFormat(dir->path(), "", "statsFormat");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("statsFormat: expected a string"), std::string::npos);
}

TEST(DockerConfig, ServerKeysAndHeader) {
  EXPECT_EQ(ServerKey("docker.io"), "https://index.docker.io/v1/");
  EXPECT_EQ(ServerKey(""), "https://index.docker.io/v1/");
  EXPECT_EQ(ServerKey("reg:5000"), "reg:5000");
  EXPECT_EQ(ConfigFilePath("/x"), "/x/config.json");
  std::string header = RegistryAuthHeader({.username = "u", .password = "p"}, "reg:5000");
  EXPECT_EQ(header.find_first_of("+/"), std::string::npos);
  nlohmann::json json = nlohmann::json::parse(Base64UrlDecode(header).value());
  EXPECT_EQ(json["username"], "u");
  EXPECT_EQ(json["serveraddress"], "reg:5000");
}

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// The tests' credential helper (tests/fixtures/docker-credential-testfile): it keeps each login
// in a file named after the server, in keys/ beside itself.
constexpr const char* kHelper = BERTH_CREDENTIAL_HELPER_FIXTURE;

class CredentialHelperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(WriteFile(dir_ / "docker-credential-test", ReadFile(kHelper).value()));
    ASSERT_EQ(chmod((dir_ / "docker-credential-test").c_str(), 0755), 0);
    const char* path = std::getenv("PATH");
    saved_path_ = path != nullptr ? path : "";
    setenv("PATH", (dir_.path() + ":" + saved_path_).c_str(), 1);
  }
  void TearDown() override { setenv("PATH", saved_path_.c_str(), 1); }

  TempDir dir_ = TempDir::Make("berth-credential-helper").value();
  std::string saved_path_;
};

TEST_F(CredentialHelperTest, CredsStoreKeepsEveryLogin) {
  const std::string path = dir_ / "config.json";
  ASSERT_TRUE(WriteFileAtomic(path, R"({"credsStore":"test"})"));
  ASSERT_TRUE(StoreLogin(path, "reg:5000", {.username = "alice", .password = "s3cret"}));
  // The helper has the secret; the file only names the server.
  nlohmann::json kept = nlohmann::json::parse(ReadFile(dir_ / "keys/reg:5000").value());
  EXPECT_EQ(kept["Username"], "alice");
  EXPECT_EQ(kept["Secret"], "s3cret");
  nlohmann::json json = nlohmann::json::parse(ReadFile(path).value());
  EXPECT_EQ(json["auths"]["reg:5000"], nlohmann::json::object());
  Result<std::optional<RegistryLogin>> login = LookupLogin(path, "reg:5000");
  ASSERT_TRUE(login && *login) << (login ? "none" : login.error().message());
  EXPECT_EQ((*login)->username, "alice");
  EXPECT_EQ((*login)->password, "s3cret");
  EXPECT_FALSE(LookupLogin(path, "other:1").value());
  ASSERT_TRUE(EraseLogin(path, "reg:5000"));
  EXPECT_FALSE(Exists(dir_ / "keys/reg:5000"));
  EXPECT_FALSE(LookupLogin(path, "reg:5000").value());
  Result<void> again = EraseLogin(path, "reg:5000");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind(), ErrorKind::kNotFound);
}

TEST_F(CredentialHelperTest, CredHelpersNameTheRegistriesTheyKeep) {
  const std::string path = dir_ / "config.json";
  ASSERT_TRUE(WriteFileAtomic(path, R"({"credHelpers":{"reg:5000":"test"}})"));
  ASSERT_TRUE(StoreLogin(path, "reg:5000", {.username = "alice", .password = "one"}));
  ASSERT_TRUE(StoreLogin(path, "plain:1", {.username = "bob", .password = "two"}));
  EXPECT_TRUE(Exists(dir_ / "keys/reg:5000"));
  EXPECT_FALSE(Exists(dir_ / "keys/plain:1"));
  nlohmann::json json = nlohmann::json::parse(ReadFile(path).value());
  EXPECT_EQ(json["auths"]["plain:1"]["auth"], Base64Encode("bob:two"));
  EXPECT_EQ(LookupLogin(path, "reg:5000").value()->password, "one");
  EXPECT_EQ(LookupLogin(path, "plain:1").value()->password, "two");
}

TEST_F(CredentialHelperTest, AMissingOrFailingHelperIsAnError) {
  const std::string path = dir_ / "config.json";
  ASSERT_TRUE(WriteFileAtomic(path, R"({"credsStore":"absent"})"));
  EXPECT_FALSE(LookupLogin(path, "reg:5000"));
  ASSERT_TRUE(MakeDirs(dir_ / "keys"));
  ASSERT_TRUE(WriteFile(dir_ / "keys/reg:5000", "not json"));
  ASSERT_TRUE(WriteFileAtomic(path, R"({"credsStore":"test"})"));
  Result<std::optional<RegistryLogin>> bad = LookupLogin(path, "reg:5000");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("docker-credential-test get"), std::string::npos)
      << bad.error().message();
}

}  // namespace
}  // namespace berth::cli
