#include "cli/docker_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

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

TEST(DockerConfig, ServerKeysAndHeader) {
  EXPECT_EQ(ServerKey("docker.io"), "https://index.docker.io/v1/");
  EXPECT_EQ(ServerKey(""), "https://index.docker.io/v1/");
  EXPECT_EQ(ServerKey("reg:5000"), "reg:5000");
  EXPECT_EQ(ConfigFilePath("/x"), "/x/config.json");
  std::string header = RegistryAuthHeader({.username = "u", .password = "p"}, "reg:5000");
  EXPECT_EQ(header.find_first_of("+/"), std::string::npos);
  for (char& c : header) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  nlohmann::json json = nlohmann::json::parse(Base64Decode(header).value());
  EXPECT_EQ(json["username"], "u");
  EXPECT_EQ(json["serveraddress"], "reg:5000");
}

}  // namespace
}  // namespace berth::cli
