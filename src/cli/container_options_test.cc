#include "cli/container_options.h"

#include <gtest/gtest.h>

#include "base/file.h"
#include "base/temp_dir.h"

namespace berth::cli {
namespace {

using nlohmann::ordered_json;

// Body parses run's flags as the command does and maps them.
Result<ordered_json> Body(const std::vector<std::string>& args) {
  ContainerOptions options;
  FlagSet flags;
  options.Register(flags, /*run=*/true);
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> rest, flags.Parse(args, false));
  return CreateBody(options, flags, rest.at(0),
                    std::vector<std::string>(rest.begin() + 1, rest.end()));
}

TEST(ContainerOptionsTest, ConfigFields) {
  Result<ordered_json> b = Body({"-it",
                                 "--name",
                                 "web",
                                 "-e",
                                 "A=1",
                                 "--env=B=2",
                                 "-w",
                                 "/srv",
                                 "-u",
                                 "1000:1000",
                                 "--hostname",
                                 "box",
                                 "-l",
                                 "k=v",
                                 "-l",
                                 "flag",
                                 "--stop-signal",
                                 "SIGINT",
                                 "--stop-timeout",
                                 "0",
                                 "busybox",
                                 "ls",
                                 "-l",
                                 "/"});
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ((*b)["Image"], "busybox");
  EXPECT_EQ((*b)["Cmd"], ordered_json({"ls", "-l", "/"}));
  EXPECT_EQ((*b)["Env"], ordered_json({"A=1", "B=2"}));
  EXPECT_EQ((*b)["WorkingDir"], "/srv");
  EXPECT_EQ((*b)["User"], "1000:1000");
  EXPECT_EQ((*b)["Hostname"], "box");
  EXPECT_EQ((*b)["Labels"], ordered_json({{"k", "v"}, {"flag", ""}}));
  EXPECT_EQ((*b)["StopSignal"], "SIGINT");
  EXPECT_EQ((*b)["StopTimeout"], 0);
  EXPECT_EQ((*b)["Tty"], true);
  EXPECT_EQ((*b)["OpenStdin"], true);
  EXPECT_EQ((*b)["AttachStdin"], true);
  EXPECT_EQ((*b)["StdinOnce"], true);
  EXPECT_FALSE(b->contains("Entrypoint"));
  EXPECT_EQ((*b)["HostConfig"]["RestartPolicy"],
            ordered_json({{"Name", "no"}, {"MaximumRetryCount", 0}}));
}

TEST(ContainerOptionsTest, DetachedAttachesNothing) {
  Result<ordered_json> b = Body({"-d", "busybox"});
  ASSERT_TRUE(b);
  EXPECT_EQ((*b)["AttachStdout"], false);
  EXPECT_EQ((*b)["AttachStderr"], false);
  EXPECT_EQ((*b)["AttachStdin"], false);
  EXPECT_FALSE(b->contains("Cmd"));
  EXPECT_FALSE(b->contains("StopTimeout"));
}

TEST(ContainerOptionsTest, EntrypointGivenOrCleared) {
  EXPECT_EQ((*Body({"--entrypoint", "/bin/echo", "busybox"}))["Entrypoint"],
            ordered_json({"/bin/echo"}));
  EXPECT_EQ((*Body({"--entrypoint=", "busybox"}))["Entrypoint"], ordered_json({""}));
}

TEST(ContainerOptionsTest, HostConfigFields) {
  Result<ordered_json> b = Body({"--rm",
                                 "-m",
                                 "512m",
                                 "--cpus",
                                 "1.5",
                                 "--pids-limit",
                                 "100",
                                 "--cap-add",
                                 "NET_ADMIN",
                                 "--cap-drop",
                                 "ALL",
                                 "--read-only",
                                 "--tmpfs",
                                 "/run:rw,size=64m",
                                 "--tmpfs",
                                 "/tmp",
                                 "--init",
                                 "--privileged",
                                 "--security-opt",
                                 "no-new-privileges",
                                 "--ulimit",
                                 "nofile=1024:2048",
                                 "--ulimit",
                                 "nproc=64",
                                 "-v",
                                 "/host:/ctr:ro",
                                 "-v",
                                 "/anon",
                                 "--mount",
                                 "type=bind,source=/a,target=/b,readonly",
                                 "-p",
                                 "127.0.0.1:8080:80",
                                 "-p",
                                 "53/udp",
                                 "busybox"});
  ASSERT_TRUE(b) << b.error().message();
  const ordered_json& h = (*b)["HostConfig"];
  EXPECT_EQ(h["AutoRemove"], true);
  EXPECT_EQ(h["Memory"], 512 << 20);
  EXPECT_EQ(h["NanoCpus"], 1500000000);
  EXPECT_EQ(h["PidsLimit"], 100);
  EXPECT_EQ(h["CapAdd"], ordered_json({"NET_ADMIN"}));
  EXPECT_EQ(h["CapDrop"], ordered_json({"ALL"}));
  EXPECT_EQ(h["ReadonlyRootfs"], true);
  EXPECT_EQ(h["Tmpfs"], ordered_json({{"/run", "rw,size=64m"}, {"/tmp", ""}}));
  EXPECT_EQ(h["Init"], true);
  EXPECT_EQ(h["Privileged"], true);
  EXPECT_EQ(h["SecurityOpt"], ordered_json({"no-new-privileges"}));
  EXPECT_EQ(h["Ulimits"], ordered_json::parse(R"([{"Name":"nofile","Hard":2048,"Soft":1024},
                                                  {"Name":"nproc","Hard":64,"Soft":64}])"));
  EXPECT_EQ(h["Binds"], ordered_json({"/host:/ctr:ro"}));
  EXPECT_EQ((*b)["Volumes"], ordered_json::parse(R"({"/anon":{}})"));
  EXPECT_EQ(h["Mounts"], ordered_json::parse(
                             R"([{"Type":"bind","Source":"/a","Target":"/b","ReadOnly":true}])"));
  EXPECT_EQ(h["PortBindings"],
            ordered_json::parse(R"({"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}],
                                                        "53/udp":[{"HostIp":"","HostPort":""}]})"));
  EXPECT_EQ((*b)["ExposedPorts"], ordered_json::parse(R"({"80/tcp":{},"53/udp":{}})"));
}

TEST(ContainerOptionsTest, VolumeAndBindMountKeys) {
  Result<ordered_json> b =
      Body({"--mount",
            "type=volume,src=db,dst=/db,volume-nocopy,volume-opt=type=tmpfs,"
            "volume-opt=device=tmpfs,volume-label=team=a,volume-driver=local",
            "--mount", "type=bind,src=/a,dst=/b,bind-nonrecursive", "busybox"});
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ((*b)["HostConfig"]["Mounts"], ordered_json::parse(R"([
      {"Type":"volume","Source":"db","Target":"/db",
       "VolumeOptions":{"NoCopy":true,"DriverConfig":{"Options":{"type":"tmpfs","device":"tmpfs"},
                        "Name":"local"},"Labels":{"team":"a"}}},
      {"Type":"bind","Source":"/a","Target":"/b","BindOptions":{"NonRecursive":true}}])"));
}

TEST(ContainerOptionsTest, VolumesFromAndRuntime) {
  Result<ordered_json> b = Body({"--volumes-from", "db:ro", "--volumes-from", "cache", "--runtime",
                                 "berth-runtime", "busybox"});
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ((*b)["HostConfig"]["VolumesFrom"], ordered_json({"db:ro", "cache"}));
  EXPECT_EQ((*b)["HostConfig"]["Runtime"], "berth-runtime");
  Result<ordered_json> none = Body({"busybox"});
  ASSERT_TRUE(none) << none.error().message();
  EXPECT_FALSE((*none)["HostConfig"].contains("VolumesFrom"));
  EXPECT_FALSE((*none)["HostConfig"].contains("Runtime"));
}

TEST(ContainerOptionsTest, RestartAndHealth) {
  Result<ordered_json> b =
      Body({"--restart", "on-failure:3", "--health-cmd", "true", "--health-interval", "1m30s",
            "--health-timeout", "500ms", "--health-retries", "2", "busybox"});
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ((*b)["HostConfig"]["RestartPolicy"],
            ordered_json({{"Name", "on-failure"}, {"MaximumRetryCount", 3}}));
  EXPECT_EQ((*b)["Healthcheck"], ordered_json::parse(R"({"Test":["CMD-SHELL","true"],
      "Interval":90000000000,"Timeout":500000000,"Retries":2})"));
  EXPECT_EQ((*Body({"--no-healthcheck", "busybox"}))["Healthcheck"],
            ordered_json::parse(R"({"Test":["NONE"]})"));
}

TEST(ContainerOptionsTest, StartIntervalAndRestartOnUnhealthy) {
  Result<ordered_json> b = Body({"--health-start-interval", "2s", "--health-start-period", "1m",
                                 "--restart-on-unhealthy", "-l", "a=b", "busybox"});
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ((*b)["Healthcheck"],
            ordered_json::parse(R"({"StartPeriod":60000000000,"StartInterval":2000000000})"));
  EXPECT_EQ((*b)["Labels"],
            ordered_json::parse(R"({"a":"b","berth.restart-on-unhealthy":"true"})"));
  EXPECT_EQ((*Body({"busybox"})).contains("Labels"), false);
}

TEST(ContainerOptionsTest, ResourceFlags) {
  Result<ordered_json> b =
      Body({"--memory-reservation", "32m", "--cpu-period", "50000", "--cpu-quota", "25000",
            "--cpuset-cpus", "0", "--cpuset-mems", "0", "--blkio-weight", "300", "busybox"});
  ASSERT_TRUE(b) << b.error().message();
  const ordered_json& host = (*b)["HostConfig"];
  EXPECT_EQ(host["MemoryReservation"], 32 << 20);
  EXPECT_EQ(host["CpuPeriod"], 50000);
  EXPECT_EQ(host["CpuQuota"], 25000);
  EXPECT_EQ(host["CpusetCpus"], "0");
  EXPECT_EQ(host["CpusetMems"], "0");
  EXPECT_EQ(host["BlkioWeight"], 300);
}

TEST(ContainerOptionsTest, BadValuesNameThemselves) {
  EXPECT_EQ(Body({"-m", "lots", "busybox"}).error().message(), "invalid size: 'lots'");
  EXPECT_EQ(Body({"--restart", "sometimes", "busybox"}).error().message(),
            "invalid restart policy format: sometimes");
  EXPECT_EQ(Body({"--rm", "--restart", "always", "busybox"}).error().message(),
            "conflicting options: cannot specify both --restart and --rm");
  EXPECT_EQ(Body({"--ulimit", "nofile=10:5", "busybox"}).error().message(),
            "ulimit soft limit must be less than or equal to hard limit: 10 > 5");
  EXPECT_EQ(Body({"--health-interval", "soon", "busybox"}).error().message(),
            "invalid argument \"soon\" for \"--health-interval\" flag");
  EXPECT_EQ(Body({"-p", "80:http", "busybox"}).error().message(), "invalid port format: 80:http");
  EXPECT_EQ(Body({"--mount", "type=bind,source=/a", "busybox"}).error().message(),
            "target is required");
  EXPECT_NE(Body({"--cpus", "two", "busybox"}).error().message().find("--cpus"), std::string::npos);
}

TEST(ContainerOptionsTest, Sizes) {
  EXPECT_EQ(*RamInBytes("1024"), 1024);
  EXPECT_EQ(*RamInBytes("64k"), 64 << 10);
  EXPECT_EQ(*RamInBytes("1.5g"), int64_t{3} << 29);
  EXPECT_EQ(*RamInBytes("2MB"), 2 << 20);
  EXPECT_FALSE(RamInBytes("m"));
  EXPECT_FALSE(RamInBytes("12q"));
}

TEST(ContainerOptionsTest, Durations) {
  EXPECT_EQ(*ParseGoDuration("30s"), 30000000000);
  EXPECT_EQ(*ParseGoDuration("1h2m"), 3720000000000);
  EXPECT_EQ(*ParseGoDuration("0"), 0);
  EXPECT_FALSE(ParseGoDuration("10"));
  EXPECT_FALSE(ParseGoDuration("5y"));
}

TEST(ContainerOptionsTest, EnvFiles) {
  TempDir dir = TempDir::Make("berth-cli-test").value();
  setenv("BERTH_TEST_FROM_ENV", "yes", 1);
  unsetenv("BERTH_TEST_UNSET");
  ASSERT_TRUE(WriteFile(
      dir / "env", "# comment\nA=1\n\n  B=two words\nBERTH_TEST_FROM_ENV\nBERTH_TEST_UNSET\n"));
  Result<std::vector<std::string>> env = ParseEnvFile(dir / "env");
  ASSERT_TRUE(env);
  EXPECT_EQ(*env, (std::vector<std::string>{"A=1", "B=two words", "BERTH_TEST_FROM_ENV=yes"}));
  EXPECT_FALSE(ParseEnvFile(dir / "missing"));
}

TEST(ContainerOptionsTest, SeccompProfileIsSentAsItsContent) {
  TempDir dir = TempDir::Make("berth-cli-test").value();
  ASSERT_TRUE(WriteFile(dir / "profile.json", "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n"));
  ASSERT_TRUE(WriteFile(dir / "broken.json", "{\"defaultAction\":"));
  Result<ordered_json> b = Body({"--security-opt", "seccomp=" + std::string(dir / "profile.json"),
                                 "--security-opt", "no-new-privileges", "img"});
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ(b->at("HostConfig").at("SecurityOpt"),
            ordered_json({R"(seccomp={"defaultAction":"SCMP_ACT_ALLOW"})", "no-new-privileges"}));
  b = Body({"--security-opt", "seccomp=unconfined", "img"});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->at("HostConfig").at("SecurityOpt"), ordered_json({"seccomp=unconfined"}));

  Result<ordered_json> missing =
      Body({"--security-opt", "seccomp=" + std::string(dir / "missing.json"), "img"});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("opening seccomp profile (" +
                                           std::string(dir / "missing.json") + ") failed"),
            std::string::npos);
  Result<ordered_json> broken =
      Body({"--security-opt", "seccomp=" + std::string(dir / "broken.json"), "img"});
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message().find("compacting json for seccomp profile"),
            std::string::npos);
}

}  // namespace
}  // namespace berth::cli
