#include "oci/runtime_spec_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "oci/defaults.h"
#include "oci/validate.h"

namespace berth::oci {
namespace {

using ::testing::HasSubstr;

// runc's default config plus resources, seccomp, hooks, devices and every other section.
constexpr const char* kFullConfig = R"json({
  "ociVersion": "1.1.0",
  "process": {
    "terminal": true,
    "consoleSize": {"height": 25, "width": 80},
    "user": {"uid": 1000, "gid": 1000, "umask": 18, "additionalGids": [5, 6]},
    "args": ["sh", "-c", "echo hi"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL"],
      "inheritable": [],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "ambient": ["CAP_KILL"]
    },
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 512}],
    "noNewPrivileges": true,
    "apparmorProfile": "berth-default",
    "oomScoreAdj": -500,
    "scheduler": {"policy": "SCHED_FIFO", "priority": 10, "flags": ["SCHED_FLAG_RESET_ON_FORK"]},
    "selinuxLabel": "system_u:system_r:container_t:s0",
    "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4}
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "box",
  "domainname": "example.org",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "ro"],
     "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
     "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}
  ],
  "hooks": {
    "prestart": [{"path": "/usr/bin/fix-mounts", "args": ["fix-mounts", "arg1"], "env": ["K=V"]}],
    "createRuntime": [{"path": "/usr/bin/netns-setup", "timeout": 5}],
    "createContainer": [{"path": "/usr/bin/inside"}],
    "startContainer": [{"path": "/usr/bin/refresh-ldcache"}],
    "poststart": [{"path": "/usr/bin/notify-start", "timeout": 1}],
    "poststop": [{"path": "/usr/sbin/cleanup.sh", "args": ["cleanup.sh", "-f"]}]
  },
  "annotations": {"com.example.key1": "value1", "org.opencontainers.image.ref.name": "v1"},
  "linux": {
    "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 32000}],
    "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 32000}],
    "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "4096"},
    "resources": {
      "devices": [
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"},
        {"allow": true, "type": "b", "major": 8, "access": "r"}
      ],
      "memory": {"limit": 536870912, "reservation": 268435456, "swap": 1073741824,
                 "kernel": -1, "kernelTCP": 8388608, "swappiness": 60,
                 "disableOOMKiller": false, "useHierarchy": true, "checkBeforeUpdate": true},
      "cpu": {"shares": 1024, "quota": 50000, "burst": 10000, "period": 100000,
              "realtimeRuntime": 950000, "realtimePeriod": 1000000,
              "cpus": "0-3", "mems": "0", "idle": 0},
      "pids": {"limit": 32771},
      "blockIO": {
        "weight": 500, "leafWeight": 300,
        "weightDevice": [{"major": 8, "minor": 0, "weight": 600, "leafWeight": 300},
                         {"major": 8, "minor": 16, "weight": 500}],
        "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 600}],
        "throttleWriteBpsDevice": [{"major": 8, "minor": 16, "rate": 700}],
        "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 300}],
        "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 400}]
      },
      "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
      "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}]},
      "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
      "unified": {"io.max": "8:0 rbps=1048576"}
    },
    "cgroupsPath": "/myRuntime/myContainer",
    "namespaces": [
      {"type": "pid"}, {"type": "network", "path": "/var/run/netns/box"}, {"type": "ipc"},
      {"type": "uts"}, {"type": "mount"}, {"type": "user"}, {"type": "cgroup"}, {"type": "time"}
    ],
    "devices": [
      {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438,
       "uid": 0, "gid": 0},
      {"path": "/dev/sda", "type": "b", "major": 8, "minor": 0}
    ],
    "seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO",
      "defaultErrnoRet": 1,
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "listenerPath": "/run/seccomp-agent.sock",
      "listenerMetadata": "meta",
      "syscalls": [
        {"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                  {"index": 1, "value": 255, "valueTwo": 4, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
      ]
    },
    "rootfsPropagation": "rslave",
    "maskedPaths": ["/proc/kcore", "/sys/firmware"],
    "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"],
    "mountLabel": "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811",
    "personality": {"domain": "LINUX"},
    "timeOffsets": {"monotonic": {"secs": 86400, "nanosecs": 500}, "boottime": {"secs": -3600}}
  },
  "vm": {"hypervisor": {"path": "/usr/bin/qemu"}},
  "somethingNew": [1, 2, 3]
})json";

TEST(RuntimeSpecJsonTest, DecodesEveryFieldOfAFullConfig) {
  Result<Spec> decoded = DecodeSpec(kFullConfig);
  ASSERT_TRUE(decoded) << decoded.error().message();
  const Spec& spec = *decoded;
  EXPECT_EQ(spec.oci_version, "1.1.0");
  ASSERT_TRUE(spec.process);
  const Process& p = *spec.process;
  EXPECT_TRUE(p.terminal);
  ASSERT_TRUE(p.console_size);
  EXPECT_EQ(p.console_size->height, 25u);
  EXPECT_EQ(p.console_size->width, 80u);
  EXPECT_EQ(p.user.uid, 1000u);
  EXPECT_EQ(p.user.umask, 18u);
  EXPECT_EQ(p.user.additional_gids, (std::vector<uint32_t>{5, 6}));
  EXPECT_EQ(p.args, (std::vector<std::string>{"sh", "-c", "echo hi"}));
  EXPECT_EQ(p.env.size(), 2u);
  EXPECT_EQ(p.cwd, "/");
  ASSERT_TRUE(p.capabilities);
  EXPECT_EQ(p.capabilities->bounding.size(), 3u);
  EXPECT_EQ(p.capabilities->effective.size(), 2u);
  EXPECT_TRUE(p.capabilities->inheritable.empty());
  EXPECT_EQ(p.capabilities->ambient, (std::vector<std::string>{"CAP_KILL"}));
  ASSERT_EQ(p.rlimits.size(), 1u);
  EXPECT_EQ(p.rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(p.rlimits[0].hard, 1024u);
  EXPECT_EQ(p.rlimits[0].soft, 512u);
  EXPECT_TRUE(p.no_new_privileges);
  EXPECT_EQ(p.apparmor_profile, "berth-default");
  EXPECT_EQ(p.oom_score_adj, -500);
  ASSERT_TRUE(p.scheduler);
  EXPECT_EQ(p.scheduler->policy, "SCHED_FIFO");
  EXPECT_EQ(p.scheduler->priority, 10);
  EXPECT_EQ(p.scheduler->flags.size(), 1u);
  EXPECT_EQ(p.selinux_label, "system_u:system_r:container_t:s0");
  ASSERT_TRUE(p.io_priority);
  EXPECT_EQ(p.io_priority->class_name, "IOPRIO_CLASS_BE");
  EXPECT_EQ(p.io_priority->priority, 4);

  ASSERT_TRUE(spec.root);
  EXPECT_EQ(spec.root->path, "rootfs");
  EXPECT_TRUE(spec.root->readonly);
  EXPECT_EQ(spec.hostname, "box");
  EXPECT_EQ(spec.domainname, "example.org");
  ASSERT_EQ(spec.mounts.size(), 3u);
  EXPECT_EQ(spec.mounts[0].destination, "/proc");
  EXPECT_TRUE(spec.mounts[0].options.empty());
  EXPECT_EQ(spec.mounts[1].options.size(), 4u);
  ASSERT_EQ(spec.mounts[2].uid_mappings.size(), 1u);
  EXPECT_EQ(spec.mounts[2].uid_mappings[0].host_id, 100000u);
  EXPECT_EQ(spec.mounts[2].gid_mappings[0].size, 65536u);

  ASSERT_TRUE(spec.hooks);
  ASSERT_EQ(spec.hooks->prestart.size(), 1u);
  EXPECT_EQ(spec.hooks->prestart[0].args.size(), 2u);
  EXPECT_EQ(spec.hooks->prestart[0].env, (std::vector<std::string>{"K=V"}));
  EXPECT_EQ(spec.hooks->prestart[0].timeout, std::nullopt);
  EXPECT_EQ(spec.hooks->create_runtime.at(0).timeout, 5);
  EXPECT_EQ(spec.hooks->create_container.at(0).path, "/usr/bin/inside");
  EXPECT_EQ(spec.hooks->start_container.at(0).path, "/usr/bin/refresh-ldcache");
  EXPECT_EQ(spec.hooks->poststart.at(0).timeout, 1);
  EXPECT_EQ(spec.hooks->poststop.at(0).path, "/usr/sbin/cleanup.sh");
  EXPECT_EQ(spec.annotations.at("org.opencontainers.image.ref.name"), "v1");
  berth::Status valid = ValidateSpec(spec);
  EXPECT_TRUE(valid) << valid.error().message();
}

TEST(RuntimeSpecJsonTest, DecodesTheLinuxSection) {
  Result<Spec> decoded = DecodeSpec(kFullConfig);
  ASSERT_TRUE(decoded) << decoded.error().message();
  ASSERT_TRUE(decoded->linux);
  const Linux& linux = *decoded->linux;
  EXPECT_EQ(linux.uid_mappings.at(0).size, 32000u);
  EXPECT_EQ(linux.gid_mappings.at(0).host_id, 1000u);
  EXPECT_EQ(linux.sysctl.at("net.ipv4.ip_forward"), "1");
  EXPECT_EQ(linux.cgroups_path, "/myRuntime/myContainer");
  ASSERT_EQ(linux.namespaces.size(), 8u);
  EXPECT_EQ(linux.namespaces[1].type, "network");
  EXPECT_EQ(linux.namespaces[1].path, "/var/run/netns/box");
  ASSERT_EQ(linux.devices.size(), 2u);
  EXPECT_EQ(linux.devices[0].file_mode, 0666u);
  EXPECT_EQ(linux.devices[0].uid, 0u);
  EXPECT_EQ(linux.devices[1].file_mode, std::nullopt);
  EXPECT_EQ(linux.devices[1].major, 8);
  EXPECT_EQ(linux.rootfs_propagation, "rslave");
  EXPECT_EQ(linux.masked_paths.size(), 2u);
  EXPECT_EQ(linux.readonly_paths.at(1), "/proc/sysrq-trigger");
  EXPECT_THAT(linux.mount_label, HasSubstr("svirt_sandbox_file_t"));
  ASSERT_TRUE(linux.personality);
  EXPECT_EQ(linux.personality->domain, "LINUX");
  EXPECT_EQ(linux.time_offsets.at("monotonic").secs, 86400);
  EXPECT_EQ(linux.time_offsets.at("monotonic").nanosecs, 500u);
  EXPECT_EQ(linux.time_offsets.at("boottime").secs, -3600);

  ASSERT_TRUE(linux.seccomp);
  const Seccomp& seccomp = *linux.seccomp;
  EXPECT_EQ(seccomp.default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(seccomp.default_errno_ret, 1u);
  EXPECT_EQ(seccomp.architectures.size(), 3u);
  EXPECT_EQ(seccomp.flags, (std::vector<std::string>{"SECCOMP_FILTER_FLAG_LOG"}));
  EXPECT_EQ(seccomp.listener_path, "/run/seccomp-agent.sock");
  EXPECT_EQ(seccomp.listener_metadata, "meta");
  ASSERT_EQ(seccomp.syscalls.size(), 3u);
  EXPECT_EQ(seccomp.syscalls[0].names.size(), 3u);
  EXPECT_EQ(seccomp.syscalls[0].errno_ret, std::nullopt);
  ASSERT_EQ(seccomp.syscalls[1].args.size(), 2u);
  EXPECT_EQ(seccomp.syscalls[1].args[1].index, 1u);
  EXPECT_EQ(seccomp.syscalls[1].args[1].value, 255u);
  EXPECT_EQ(seccomp.syscalls[1].args[1].value_two, 4u);
  EXPECT_EQ(seccomp.syscalls[1].args[1].op, "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(seccomp.syscalls[2].errno_ret, 38u);
}

TEST(RuntimeSpecJsonTest, DecodesResources) {
  Result<Spec> decoded = DecodeSpec(kFullConfig);
  ASSERT_TRUE(decoded) << decoded.error().message();
  ASSERT_TRUE(decoded->linux && decoded->linux->resources);
  const Resources& r = *decoded->linux->resources;
  ASSERT_EQ(r.devices.size(), 3u);
  EXPECT_FALSE(r.devices[0].allow);
  EXPECT_EQ(r.devices[0].major, std::nullopt);
  EXPECT_EQ(r.devices[1].minor, 229);
  EXPECT_EQ(r.devices[2].minor, std::nullopt);
  EXPECT_EQ(r.devices[2].access, "r");
  ASSERT_TRUE(r.memory);
  EXPECT_EQ(r.memory->limit, 536870912);
  EXPECT_EQ(r.memory->kernel, -1);
  EXPECT_EQ(r.memory->kernel_tcp, 8388608);
  EXPECT_EQ(r.memory->swappiness, 60u);
  EXPECT_EQ(r.memory->disable_oom_killer, false);
  EXPECT_EQ(r.memory->use_hierarchy, true);
  EXPECT_EQ(r.memory->check_before_update, true);
  ASSERT_TRUE(r.cpu);
  EXPECT_EQ(r.cpu->shares, 1024u);
  EXPECT_EQ(r.cpu->quota, 50000);
  EXPECT_EQ(r.cpu->burst, 10000u);
  EXPECT_EQ(r.cpu->realtime_runtime, 950000);
  EXPECT_EQ(r.cpu->realtime_period, 1000000u);
  EXPECT_EQ(r.cpu->cpus, "0-3");
  EXPECT_EQ(r.cpu->idle, 0);
  ASSERT_TRUE(r.pids);
  EXPECT_EQ(r.pids->limit, 32771);
  ASSERT_TRUE(r.block_io);
  EXPECT_EQ(r.block_io->weight, 500);
  EXPECT_EQ(r.block_io->leaf_weight, 300);
  ASSERT_EQ(r.block_io->weight_device.size(), 2u);
  EXPECT_EQ(r.block_io->weight_device[1].leaf_weight, std::nullopt);
  EXPECT_EQ(r.block_io->throttle_read_bps_device.at(0).rate, 600u);
  EXPECT_EQ(r.block_io->throttle_write_bps_device.at(0).minor, 16);
  EXPECT_EQ(r.block_io->throttle_read_iops_device.at(0).rate, 300u);
  EXPECT_EQ(r.block_io->throttle_write_iops_device.at(0).rate, 400u);
  ASSERT_EQ(r.hugepage_limits.size(), 1u);
  EXPECT_EQ(r.hugepage_limits[0].page_size, "2MB");
  ASSERT_TRUE(r.network);
  EXPECT_EQ(r.network->class_id, 1048577u);
  EXPECT_EQ(r.network->priorities.at(0).name, "eth0");
  EXPECT_EQ(r.rdma.at("mlx5_1").hca_objects, 10000u);
  EXPECT_EQ(r.unified.at("io.max"), "8:0 rbps=1048576");
}

TEST(RuntimeSpecJsonTest, RoundTripsAFullConfig) {
  Result<Spec> first = DecodeSpec(kFullConfig);
  ASSERT_TRUE(first) << first.error().message();
  std::string encoded = EncodeSpec(*first);
  Result<Spec> second = DecodeSpec(encoded);
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(EncodeSpec(*second), encoded);
  // The JSON documents agree apart from what the model leaves out (vm, unknown properties) and
  // the empty optional list that encoding omits.
  nlohmann::json original = nlohmann::json::parse(kFullConfig);
  original.erase("vm");
  original.erase("somethingNew");
  original["process"]["capabilities"].erase("inheritable");
  EXPECT_EQ(nlohmann::json::parse(encoded), original);
}

TEST(RuntimeSpecJsonTest, EncodesLikeRuncSpec) {
  std::string encoded = EncodeSpec(DefaultSpec(false));
  EXPECT_EQ(
      encoded.rfind("{\n\t\"ociVersion\": \"1.1.0\",\n\t\"process\": {\n\t\t\"terminal\": true", 0),
      0u)
      << encoded;
  nlohmann::json json = nlohmann::json::parse(encoded);
  // Required fields are written even when zero; absent optional ones are not.
  EXPECT_EQ(json["process"]["user"], (nlohmann::json{{"uid", 0}, {"gid", 0}}));
  EXPECT_FALSE(json["process"].contains("oomScoreAdj"));
  EXPECT_FALSE(json["process"].contains("consoleSize"));
  EXPECT_FALSE(json["mounts"][0].contains("options"));
  EXPECT_FALSE(json.contains("hooks"));
  EXPECT_FALSE(json.contains("annotations"));
  EXPECT_FALSE(json["linux"].contains("uidMappings"));
  EXPECT_EQ(json["linux"]["resources"]["devices"][0],
            (nlohmann::json{{"allow", false}, {"access", "rwm"}}));
}

TEST(RuntimeSpecJsonTest, RoundTripsEmptyOptionalSections) {
  Spec spec;
  spec.oci_version = "1.0.2";
  spec.process = Process{.cwd = "/"};
  spec.process->capabilities = Capabilities{};
  spec.hooks = Hooks{};
  spec.linux = Linux{};
  spec.linux->resources = Resources{.memory = MemoryResources{.limit = 0}};
  Result<Spec> decoded = DecodeSpec(EncodeSpec(spec));
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_TRUE(decoded->process->capabilities);
  EXPECT_TRUE(decoded->hooks);
  EXPECT_FALSE(decoded->root);
  ASSERT_TRUE(decoded->linux->resources->memory);
  EXPECT_EQ(decoded->linux->resources->memory->limit, 0);
  EXPECT_EQ(decoded->linux->resources->memory->swap, std::nullopt);
  EXPECT_EQ(EncodeSpec(*decoded), EncodeSpec(spec));
}

TEST(RuntimeSpecJsonTest, NullMeansAbsent) {
  Result<Spec> spec = DecodeSpec(R"({"ociVersion": "1.0.0", "process": null, "hostname": null,
                                     "linux": {"namespaces": null}})");
  ASSERT_TRUE(spec) << spec.error().message();
  EXPECT_FALSE(spec->process);
  EXPECT_TRUE(spec->linux);
}

std::string DecodeError(std::string_view json) {
  Result<Spec> spec = DecodeSpec(json);
  if (spec) return "decoded without error";
  EXPECT_EQ(spec.error().kind(), ErrorKind::kInvalidArgument);
  return spec.error().message();
}

TEST(RuntimeSpecJsonTest, DecodeErrorsNameThePath) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"({"process": {"user": {"uid": "root"}}})",
       "config.json: process.user.uid: expected an unsigned integer, got string"},
      {R"({"process": {"user": {"uid": 4294967296}}})",
       "config.json: process.user.uid: number 4294967296 is out of range for an unsigned 32-bit "
       "integer"},
      {R"({"process": {"user": {"gid": -1}}})",
       "config.json: process.user.gid: expected an unsigned integer, got number -1"},
      {R"({"process": {"user": {"umask": 1.5}}})",
       "config.json: process.user.umask: expected an unsigned integer, got number 1.5"},
      {R"({"process": {"oomScoreAdj": 3000000000}})",
       "config.json: process.oomScoreAdj: number 3000000000 is out of range for a signed 32-bit "
       "integer"},
      {R"({"linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": 7}]}})",
       "config.json: linux.namespaces[2].type: expected a string, got number 7"},
      {R"({"process": {"args": "sh"}})",
       "config.json: process.args: expected an array, got string"},
      {R"({"process": {"terminal": "yes"}})",
       "config.json: process.terminal: expected a boolean, got string"},
      {R"({"root": []})", "config.json: root: expected an object, got array"},
      {R"({"annotations": {"a.b": 1}})",
       "config.json: annotations[\"a.b\"]: expected a string, got number 1"},
      {R"({"linux": {"resources": {"blockIO": {"weight": 70000}}}})",
       "config.json: linux.resources.blockIO.weight: number 70000 is out of range for an "
       "unsigned 16-bit integer"},
      {R"({"linux": {"timeOffsets": {"monotonic": {"nanosecs": -1}}}})",
       "config.json: linux.timeOffsets[\"monotonic\"].nanosecs: expected an unsigned integer, got "
       "number -1"},
      {R"({"linux": {"seccomp": {"syscalls": [{"names": ["read"], "args": [{"index": "0"}]}]}}})",
       "config.json: linux.seccomp.syscalls[0].args[0].index: expected an unsigned integer, got "
       "string"},
      {R"({"hooks": {"poststop": [{"path": "/x", "timeout": true}]}})",
       "config.json: hooks.poststop[0].timeout: expected an integer, got boolean"},
      {R"({"mounts": [{"destination": "/x", "uidMappings": [{"hostID": 1e3}]}]})",
       "config.json: mounts[0].uidMappings[0].hostID: expected an unsigned integer, got number "
       "1000.0"},
      {R"([1, 2])", "config.json: expected an object, got array"},
  };
  for (const Case& c : cases) EXPECT_EQ(DecodeError(c.json), c.message) << c.json;
}

TEST(RuntimeSpecJsonTest, InvalidJsonNamesTheByte) {
  std::string message = DecodeError(R"({"ociVersion": x})");
  EXPECT_THAT(message, HasSubstr("config.json: invalid JSON at byte 16: "));
  EXPECT_THAT(message, HasSubstr("invalid literal"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("json.exception")));
  EXPECT_THAT(DecodeError(""), HasSubstr("config.json: invalid JSON at byte 1: "));
  // nlohmann counts bytes from 1 and stops at the first byte that cannot continue a token: the
  // "a" of "tra", which could have begun "true".
  EXPECT_THAT(DecodeError(R"({"a": 1} trailing)"), HasSubstr("invalid JSON at byte 12"));
}

TEST(RuntimeSpecJsonTest, DecodesAProcessAlone) {
  Result<Process> process =
      DecodeProcess(R"({"args": ["ls", "-l"], "cwd": "/tmp", "user": {"uid": 7, "gid": 8},
                        "env": ["A=1"], "terminal": true})");
  ASSERT_TRUE(process) << process.error().message();
  EXPECT_EQ(process->args, (std::vector<std::string>{"ls", "-l"}));
  EXPECT_EQ(process->cwd, "/tmp");
  EXPECT_EQ(process->user.uid, 7u);
  EXPECT_EQ(process->user.gid, 8u);
  EXPECT_TRUE(process->terminal);
  // The caller names the file, so the path starts inside the process object.
  process = DecodeProcess(R"({"user": {"uid": "x"}})");
  ASSERT_FALSE(process);
  EXPECT_EQ(process.error().message(), "user.uid: expected an unsigned integer, got string");
  process = DecodeProcess("{");
  ASSERT_FALSE(process);
  EXPECT_THAT(process.error().message(), ::testing::StartsWith("invalid JSON at byte 2: "));
}

TEST(RuntimeSpecJsonTest, StateRoundTrips) {
  State state;
  state.id = "web";
  state.status = Status::kRunning;
  state.pid = 4242;
  state.bundle = "/run/bundles/web";
  state.annotations = {{"k", "v"}};
  std::string encoded = EncodeState(state);
  EXPECT_EQ(nlohmann::json::parse(encoded),
            nlohmann::json::parse(R"({"ociVersion": "1.1.0", "id": "web", "status": "running",
                                      "pid": 4242, "bundle": "/run/bundles/web",
                                      "annotations": {"k": "v"}})"));
  Result<State> decoded = DecodeState(encoded);
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded->id, "web");
  EXPECT_EQ(decoded->status, Status::kRunning);
  EXPECT_EQ(decoded->pid, 4242);
  EXPECT_EQ(decoded->bundle, "/run/bundles/web");
  EXPECT_EQ(decoded->annotations.at("k"), "v");
}

TEST(RuntimeSpecJsonTest, StateOmitsZeroPidAndEmptyAnnotations) {
  State state{.id = "x", .status = Status::kStopped, .bundle = "/b"};
  nlohmann::json json = nlohmann::json::parse(EncodeState(state));
  EXPECT_FALSE(json.contains("pid"));
  EXPECT_FALSE(json.contains("annotations"));
  EXPECT_EQ(json["status"], "stopped");
  EXPECT_EQ(json["bundle"], "/b");
}

TEST(RuntimeSpecJsonTest, StateDecodeErrors) {
  Result<State> state = DecodeState(R"({"id": "x", "status": "sleeping"})");
  ASSERT_FALSE(state);
  EXPECT_EQ(state.error().message(), "state.json: status: unknown status \"sleeping\"");
  state = DecodeState(R"({"id": "x", "status": "created", "pid": 2147483648})");
  ASSERT_FALSE(state);
  EXPECT_THAT(state.error().message(), HasSubstr("state.json: pid: number 2147483648 is out of"));
}

}  // namespace
}  // namespace berth::oci
