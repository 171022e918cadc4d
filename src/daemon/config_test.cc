#include "daemon/config.h"

#include <gtest/gtest.h>

namespace berth::daemon {
namespace {

TEST(DaemonConfigTest, TheFileSetsWhatNoFlagSet) {
  DaemonConfig config;
  Status merged = MergeDaemonJson(
      R"({"hosts":["unix:///tmp/a.sock","tcp://127.0.0.1:2375"],"data-root":"/srv/berth",)"
      R"("log-level":"debug","storage-driver":"native"})",
      "/etc/berth/daemon.json", {}, &config);
  ASSERT_TRUE(merged) << merged.error().message();
  EXPECT_EQ(config.hosts, (std::vector<std::string>{"unix:///tmp/a.sock", "tcp://127.0.0.1:2375"}));
  EXPECT_EQ(config.data_root, "/srv/berth");
  EXPECT_EQ(config.log_level, "debug");
  EXPECT_EQ(config.storage_driver, "native");
  EXPECT_EQ(config.exec_root, "/run/berth");
}

TEST(DaemonConfigTest, UnknownKeysAndKeysAlsoGivenAsFlagsAreRefused) {
  DaemonConfig config;
  Status unknown =
      MergeDaemonJson(R"({"data-root":"/x","colour":"blue","size":1})", "d.json", {}, &config);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(unknown.error().message().find("d.json"), std::string::npos);
  EXPECT_NE(unknown.error().message().find("colour, size"), std::string::npos)
      << unknown.error().message();

  Status twice = MergeDaemonJson(R"({"data-root":"/x"})", "d.json", {"data-root"}, &config);
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message().find("both as a flag and in the configuration file: data-root"),
            std::string::npos)
      << twice.error().message();
  EXPECT_EQ(config.data_root, "/var/lib/berth");
}

TEST(DaemonConfigTest, RegistryKeys) {
  DaemonConfig config;
  Status merged = MergeDaemonJson(
      R"({"registry-mirrors":["https://mirror.example"],"insecure-registries":["10.0.0.0/8",)"
      R"("reg:5000"],"max-concurrent-downloads":5})",
      "d.json", {}, &config);
  ASSERT_TRUE(merged) << merged.error().message();
  EXPECT_EQ(config.registry_mirrors, std::vector<std::string>{"https://mirror.example"});
  EXPECT_EQ(config.insecure_registries, (std::vector<std::string>{"10.0.0.0/8", "reg:5000"}));
  EXPECT_EQ(config.max_concurrent_downloads, 5);
}

TEST(DaemonConfigTest, DnsServers) {
  DaemonConfig config;
  ASSERT_TRUE(MergeDaemonJson(R"({"dns":["127.0.0.1","10.0.0.2"]})", "d.json", {}, &config));
  EXPECT_EQ(config.dns, (std::vector<std::string>{"127.0.0.1", "10.0.0.2"}));
  EXPECT_FALSE(MergeDaemonJson(R"({"dns":"127.0.0.1"})", "d.json", {}, &config));
  EXPECT_FALSE(MergeDaemonJson(R"({"dns":["127.0.0.1"]})", "d.json", {"dns"}, &config));
}

TEST(DaemonConfigTest, TlsKeys) {
  DaemonConfig config;
  Status merged = MergeDaemonJson(
      R"({"tlsverify":true,"tlscacert":"/c/ca.pem","tlscert":"/c/cert.pem","tlskey":"/c/key.pem"})",
      "d.json", {}, &config);
  ASSERT_TRUE(merged) << merged.error().message();
  EXPECT_TRUE(config.tlsverify);
  EXPECT_FALSE(config.tls);
  EXPECT_EQ(config.tlscacert, "/c/ca.pem");
  EXPECT_EQ(config.tlscert, "/c/cert.pem");
  EXPECT_EQ(config.tlskey, "/c/key.pem");
  Status not_bool = MergeDaemonJson(R"({"tls":"yes"})", "d.json", {}, &config);
  ASSERT_FALSE(not_bool);
  EXPECT_NE(not_bool.error().message().find("tls: expected true or false"), std::string::npos)
      << not_bool.error().message();
  EXPECT_FALSE(MergeDaemonJson(R"({"tlsverify":false})", "d.json", {"tlsverify"}, &config));
}

TEST(DaemonConfigTest, MalformedFilesAndValuesAreRefused) {
  for (const char* bad :
       {"{", "[]", R"({"hosts":"unix:///a"})", R"({"hosts":[1]})", R"({"pidfile":3})",
        R"({"registry-mirrors":"https://m"})", R"({"max-concurrent-downloads":0})",
        R"({"max-concurrent-downloads":"3"})", R"({"live-restore":"no"})",
        R"({"runtimes":{"x":{}}})", R"({"runtimes":{"x":{"path":"/x","runtimeArgs":"-v"}}})",
        R"({"runtimes":{"x":{"path":"/x","colour":1}}})"}) {
    DaemonConfig config;
    Status r = MergeDaemonJson(bad, "d.json", {}, &config);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument);
  }
}

TEST(DaemonConfigTest, InitLiveRestoreAndRuntimes) {
  DaemonConfig config;
  EXPECT_TRUE(config.live_restore);
  EXPECT_EQ(config.default_runtime, "berth");
  Status merged = MergeDaemonJson(
      R"({"init-path":"/usr/bin/tini","live-restore":false,"default-runtime":"crun",)"
      R"("runtimes":{"crun":{"path":"/usr/bin/crun","runtimeArgs":["--debug"]}}})",
      "d.json", {}, &config);
  ASSERT_TRUE(merged) << merged.error().message();
  EXPECT_EQ(config.init_path, "/usr/bin/tini");
  EXPECT_FALSE(config.live_restore);
  EXPECT_EQ(config.runtimes.at("crun"), (OciRuntime{.path = "/usr/bin/crun", .args = {"--debug"}}));
  EXPECT_TRUE(CheckRuntimes(config));

  config.default_runtime = "youki";
  Status missing = CheckRuntimes(config);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(), "specified default runtime 'youki' does not exist");
  config.default_runtime = "berth";
  config.runtimes["berth"] = {.path = "/x", .args = {}};
  Status reserved = CheckRuntimes(config);
  ASSERT_FALSE(reserved);
  EXPECT_EQ(reserved.error().message(), "runtime name 'berth' is reserved");
}

TEST(DaemonConfigTest, AddRuntimeFlag) {
  Result<std::pair<std::string, OciRuntime>> added = ParseAddRuntime("rt=/usr/bin/berth-runtime");
  ASSERT_TRUE(added) << added.error().message();
  EXPECT_EQ(added->first, "rt");
  EXPECT_EQ(added->second.path, "/usr/bin/berth-runtime");
  for (const char* bad : {"rt", "=/x", "rt="}) {
    Result<std::pair<std::string, OciRuntime>> refused = ParseAddRuntime(bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().message(),
              std::string("invalid runtime \"") + bad + "\": expected NAME=PATH");
  }
}

}  // namespace
}  // namespace berth::daemon
