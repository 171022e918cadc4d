#include "daemon/container/config.h"

#include <gtest/gtest.h>

#include "daemon/container/record.h"

namespace berth::daemon::container {
namespace {

using nlohmann::json;

// What Debian's docker CLI 20.10 sends for `docker run -d --name web -e A=1 -m 64m --cpus 1.5
// --pids-limit 10 --restart on-failure:3 --cap-add NET_ADMIN --read-only --tmpfs /run bb sh`.
constexpr const char* kCliBody = R"({
  "Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,
  "AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["A=1"],
  "Cmd":["sh"],"Image":"bb","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,
  "Labels":{"tier":"web"},
  "HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},
    "NetworkMode":"default","PortBindings":{},"RestartPolicy":{"Name":"on-failure",
    "MaximumRetryCount":3},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,
    "CapAdd":["NET_ADMIN"],"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],
    "DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,
    "OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,
    "ReadonlyRootfs":true,"SecurityOpt":null,"Tmpfs":{"/run":""},"UTSMode":"","UsernsMode":"",
    "ShmSize":0,"ConsoleSize":[0,0],"Isolation":"","CpuShares":0,"Memory":67108864,
    "NanoCpus":1500000000,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],
    "CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"",
    "CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,
    "KernelMemory":0,"KernelMemoryTCP":0,"MemoryReservation":0,"MemorySwap":0,
    "MemorySwappiness":null,"OomKillDisable":false,"PidsLimit":10,"Ulimits":null,
    "CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,
    "ReadonlyPaths":null},
  "NetworkingConfig":{"EndpointsConfig":{}}})";

TEST(ContainerConfigTest, ReadsWhatTheDockerCliSends) {
  Result<CreateRequest> r = DecodeCreateRequest(json::parse(kCliBody));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->config.image_name, "bb");
  EXPECT_EQ(r->config.image.env, std::vector<std::string>{"A=1"});
  EXPECT_EQ(r->config.image.cmd, std::vector<std::string>{"sh"});
  EXPECT_FALSE(r->config.image.entrypoint.has_value());
  EXPECT_EQ(r->config.image.labels.at("tier"), "web");
  const HostConfig& h = r->host_config;
  EXPECT_EQ(h.restart_policy.name, "on-failure");
  EXPECT_EQ(h.restart_policy.maximum_retry_count, 3);
  EXPECT_EQ(h.memory, 64 << 20);
  EXPECT_EQ(h.nano_cpus, 1500000000);
  EXPECT_EQ(h.pids_limit, 10);
  EXPECT_EQ(h.cap_add, std::vector<std::string>{"NET_ADMIN"});
  EXPECT_TRUE(h.readonly_rootfs);
  EXPECT_EQ(h.tmpfs.at("/run"), "");
}

TEST(ContainerConfigTest, ReadsPortsAndEndpoints) {
  Result<CreateRequest> r = DecodeCreateRequest(json::parse(R"({"Image":"bb",
    "ExposedPorts":{"80/tcp":{}},
    "HostConfig":{"PortBindings":{"80/tcp":[{"HostIp":"","HostPort":"8080"}]},
      "PublishAllPorts":true},
    "NetworkingConfig":{"EndpointsConfig":{"net":{"IPAMConfig":{"IPv4Address":"10.1.0.5"},
      "Aliases":["web"]},"other":null}}})"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->host_config.port_bindings.at("80/tcp"),
            (std::vector<PortBinding>{{.host_ip = "", .host_port = "8080"}}));
  EXPECT_TRUE(r->host_config.publish_all_ports);
  EXPECT_EQ(r->endpoints.at("net").ipv4_address, "10.1.0.5");
  EXPECT_EQ(r->endpoints.at("net").aliases, std::vector<std::string>{"web"});
  EXPECT_EQ(r->endpoints.at("other"), EndpointConfig{});
  EXPECT_TRUE(r->config.image.exposed_ports.contains("80/tcp"));
  Result<CreateRequest> bad = DecodeCreateRequest(json::parse(
      R"({"Image":"bb","NetworkingConfig":{"EndpointsConfig":{"net":{"Aliases":"web"}}}})"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("NetworkingConfig.EndpointsConfig.net.Aliases"),
            std::string::npos);
}

TEST(ContainerConfigTest, ErrorsNameTheField) {
  auto error_of = [](const char* body) {
    Result<CreateRequest> r = DecodeCreateRequest(json::parse(body));
    EXPECT_FALSE(r) << body;
    if (r) return std::string();
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument);
    return r.error().message();
  };
  EXPECT_EQ(error_of(R"({"HostConfig":{"Memory":"64m"}})"),
            "HostConfig.Memory: expected an integer, got string");
  EXPECT_EQ(error_of(R"({"Tty":"yes"})"), "Tty: expected a boolean, got string");
  EXPECT_NE(error_of(R"({"HostConfig":{"RestartPolicy":{"Name":"sometimes"}}})")
                .find("HostConfig.RestartPolicy.Name: invalid restart policy 'sometimes'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"HostConfig":{"AutoRemove":true,"RestartPolicy":{"Name":"always"}}})")
                .find("HostConfig.AutoRemove"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"HostConfig":{"RestartPolicy":{"Name":"always","MaximumRetryCount":2}}})")
                .find("only be used with 'on-failure'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"HostConfig":{"Memory":1024}})").find("minimum memory limit"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"HostConfig":{"NanoCpus":1000000000,"CpuQuota":50000}})")
                .find("HostConfig.NanoCpus"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"HostConfig":{"LogConfig":{"Type":"syslog"}}})")
                .find("HostConfig.LogConfig.Type"),
            std::string::npos);
  EXPECT_NE(
      error_of(R"({"HostConfig":{"LogConfig":{"Type":"json-file","Config":{"max-size":"1q"}}}})")
          .find("HostConfig.LogConfig.Config.max-size"),
      std::string::npos);
}

TEST(ContainerConfigTest, ExecConfigAsDockerSendsIt) {
  Result<ExecConfig> e = DecodeExecConfig(json::parse(
      R"({"User":"1000","Privileged":false,"Tty":true,"AttachStdin":true,"AttachStderr":true,)"
      R"("AttachStdout":true,"Detach":false,"DetachKeys":"ctrl-x","Env":["A=1"],)"
      R"("WorkingDir":"/tmp","Cmd":["sh","-c","id"]})"));
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->cmd, (std::vector<std::string>{"sh", "-c", "id"}));
  EXPECT_EQ(e->user, "1000");
  EXPECT_TRUE(e->tty && e->attach_stdin && e->attach_stdout && e->attach_stderr);
  EXPECT_EQ(e->detach_keys, "ctrl-x");
  EXPECT_EQ(e->working_dir, "/tmp");
  Result<ExecConfig> bad = DecodeExecConfig(json::parse(R"({"Cmd":"sh"})"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "Cmd: expected an array, got string");
}

TEST(ContainerConfigTest, LogRotationReadsDockerSizes) {
  Result<LogRotation> r =
      ParseLogRotation({.type = "json-file", .config = {{"max-size", "10m"}, {"max-file", "3"}}});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->max_size, 10 << 20);
  EXPECT_EQ(r->max_file, 3);
  EXPECT_EQ(ParseLogRotation({.config = {{"max-size", "512"}}})->max_size, 512);
  EXPECT_EQ(ParseLogRotation({.config = {{"max-size", "1.5k"}}})->max_size, 1536);
  EXPECT_FALSE(ParseLogRotation({.config = {{"max-file", "0"}}}));
  EXPECT_FALSE(ParseLogRotation({.config = {{"max-size", "."}}}));
  EXPECT_FALSE(ParseLogRotation({.config = {{"colour", "red"}}}));
}

TEST(ContainerRecordTest, RoundTrips) {
  Result<CreateRequest> request = DecodeCreateRequest(json::parse(kCliBody));
  ASSERT_TRUE(request);
  Record record;
  record.id = std::string(64, 'a');
  record.name = "/web";
  record.created = "2026-11-22T10:00:00.123456789Z";
  record.image_id = "sha256:" + std::string(64, 'b');
  record.args = {"sh"};
  record.config = request->config;
  record.host_config = request->host_config;
  record.state.status = ContainerStatus::kExited;
  record.state.exit_code = 137;
  record.state.manually_stopped = true;
  record.restart_count = 2;
  record.log_path = "/var/lib/berth/containers/a/a-json.log";
  Result<Record> back = DecodeRecord(EncodeRecord(record));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(EncodeRecord(*back), EncodeRecord(record));
  EXPECT_EQ(back->state.status, ContainerStatus::kExited);
  EXPECT_EQ(back->state.exit_code, 137);
  EXPECT_TRUE(back->state.manually_stopped);
  EXPECT_EQ(back->host_config.restart_policy.maximum_retry_count, 3);
  EXPECT_EQ(back->config.image.env, std::vector<std::string>{"A=1"});
  Result<Record> bad = DecodeRecord(R"({"Id":"x","Name":"/x","Created":"t","Image":"i",)"
                                    R"("Config":{},"HostConfig":{},"State":{"Status":"asleep"}})");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("asleep"), std::string::npos);
}

TEST(ContainerConfigTest, InspectShapesKeepDockerNulls) {
  Result<CreateRequest> r = DecodeCreateRequest(json::parse(R"({"Image":"bb"})"));
  ASSERT_TRUE(r);
  nlohmann::ordered_json config = ConfigJson(r->config);
  EXPECT_TRUE(config["Cmd"].is_null());
  EXPECT_TRUE(config["Entrypoint"].is_null());
  EXPECT_EQ(config["Tty"], false);
  EXPECT_EQ(config["Image"], "bb");
  nlohmann::ordered_json host = HostConfigJson(r->host_config);
  EXPECT_TRUE(host["Binds"].is_null());
  EXPECT_EQ(host["RestartPolicy"]["Name"], "");
}

}  // namespace
}  // namespace berth::daemon::container
