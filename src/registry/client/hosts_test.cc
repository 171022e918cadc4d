#include "registry/client/hosts.h"

#include <gtest/gtest.h>

#include "base/file.h"
#include "base/temp_dir.h"

namespace berth::registry::client {
namespace {

TEST(Insecure, LoopbackByDefaultAndListedHostsAndCidrs) {
  RegistryConfig config;
  config.cert_dirs.clear();
  EXPECT_TRUE(IsInsecure(config, "127.0.0.1:5000"));
  EXPECT_TRUE(IsInsecure(config, "127.8.9.1"));
  EXPECT_TRUE(IsInsecure(config, "localhost:5000"));
  EXPECT_TRUE(IsInsecure(config, "[::1]:5000"));
  EXPECT_FALSE(IsInsecure(config, "registry.example:5000"));
  EXPECT_FALSE(IsInsecure(config, "10.1.2.3:5000"));
  config.insecure = {"registry.example:5000", "10.0.0.0/8"};
  EXPECT_TRUE(IsInsecure(config, "registry.example:5000"));
  EXPECT_FALSE(IsInsecure(config, "registry.example:5001"));
  EXPECT_TRUE(IsInsecure(config, "10.1.2.3:5000"));
  EXPECT_FALSE(IsInsecure(config, "11.1.2.3:5000"));
}

TEST(Endpoints, DockerHubThroughMirrorsFirst) {
  RegistryConfig config;
  config.cert_dirs.clear();
  config.mirrors = {"https://mirror.example/"};
  std::vector<Endpoint> endpoints = Endpoints(config, "docker.io");
  ASSERT_EQ(endpoints.size(), 2u);
  EXPECT_EQ(endpoints[0].url, "https://mirror.example");
  EXPECT_TRUE(endpoints[0].mirror);
  EXPECT_EQ(endpoints[1].url, "https://registry-1.docker.io");
  EXPECT_FALSE(endpoints[1].mirror);
  // Mirrors serve docker.io only.
  EXPECT_EQ(Endpoints(config, "quay.io").size(), 1u);
}

TEST(Endpoints, InsecureTriesUnverifiedHttpsThenHttp) {
  RegistryConfig config;
  config.cert_dirs.clear();
  std::vector<Endpoint> endpoints = Endpoints(config, "127.0.0.1:5000");
  ASSERT_EQ(endpoints.size(), 2u);
  EXPECT_EQ(endpoints[0].url, "https://127.0.0.1:5000");
  EXPECT_FALSE(endpoints[0].tls.verify);
  EXPECT_EQ(endpoints[1].url, "http://127.0.0.1:5000");
  std::vector<Endpoint> secure = Endpoints(config, "registry.example");
  ASSERT_EQ(secure.size(), 1u);
  EXPECT_TRUE(secure[0].tls.verify);
}

TEST(Endpoints, CertificatesOfCertsD) {
  Result<TempDir> dir = TempDir::Make("regclient-hosts-");
  ASSERT_TRUE(dir);
  const std::string host_dir = dir->path() + "/registry.example:5000";
  ASSERT_TRUE(MakeDirs(host_dir, 0755));
  for (const char* name : {"ca.crt", "client.cert", "client.key", "notes.txt"}) {
    ASSERT_TRUE(WriteFileAtomic(host_dir + "/" + name, "x", 0644));
  }
  RegistryConfig config;
  config.cert_dirs = {dir->path()};
  std::vector<Endpoint> endpoints = Endpoints(config, "registry.example:5000");
  ASSERT_EQ(endpoints.size(), 1u);
  EXPECT_EQ(endpoints[0].tls.ca_files, std::vector<std::string>{host_dir + "/ca.crt"});
  EXPECT_EQ(endpoints[0].tls.client_cert, host_dir + "/client.cert");
  EXPECT_EQ(endpoints[0].tls.client_key, host_dir + "/client.key");
}

TEST(Validate, RefusesBadMirrorsAndCidrs) {
  EXPECT_TRUE(ValidateRegistryConfig(
      {.mirrors = {"https://m"}, .insecure = {"h:1", "10.0.0.0/8"}, .cert_dirs = {}}));
  Result<void> mirror =
      ValidateRegistryConfig({.mirrors = {"ftp://m"}, .insecure = {}, .cert_dirs = {}});
  ASSERT_FALSE(mirror);
  EXPECT_NE(mirror.error().message().find("ftp://m"), std::string::npos);
  EXPECT_FALSE(
      ValidateRegistryConfig({.mirrors = {}, .insecure = {"10.0.0.0/99"}, .cert_dirs = {}}));
}

}  // namespace
}  // namespace berth::registry::client
