#include "oci/validate.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "oci/defaults.h"

namespace berth::oci {
namespace {

std::string Problem(const Spec& spec) {
  berth::Status status = ValidateSpec(spec);
  if (status) return "valid";
  EXPECT_EQ(status.error().kind(), ErrorKind::kInvalidArgument);
  return status.error().message();
}

Spec Base() { return DefaultSpec(false); }

void SetNamespace(Spec& spec, const std::string& type, const std::string& path) {
  for (Namespace& ns : spec.linux->namespaces) {
    if (ns.type == type) {
      ns.path = path;
      return;
    }
  }
  spec.linux->namespaces.push_back({.type = type, .path = path});
}

void RemoveNamespace(Spec& spec, const std::string& type) {
  std::erase_if(spec.linux->namespaces, [&](const Namespace& ns) { return ns.type == type; });
}

Seccomp& SeccompOf(Spec& spec) {
  if (!spec.linux->seccomp) spec.linux->seccomp = Seccomp{.default_action = "SCMP_ACT_ALLOW"};
  return *spec.linux->seccomp;
}

SeccompSyscall& AddSyscall(Spec& spec, std::vector<std::string> names, std::string action) {
  return SeccompOf(spec).syscalls.emplace_back(
      SeccompSyscall{.names = std::move(names), .action = std::move(action)});
}

TEST(ValidateTest, DefaultSpecsAreValid) {
  EXPECT_EQ(Problem(DefaultSpec(false)), "valid");
  EXPECT_EQ(Problem(DefaultSpec(true)), "valid");
}

TEST(ValidateTest, AcceptsWhatTheSpecAllows) {
  Spec spec = Base();
  spec.mounts.push_back({.destination = "relative/dir", .type = "tmpfs", .source = "tmpfs"});
  spec.mounts.push_back({.destination = "/data",
                         .source = "/srv",
                         .options = {"rbind"},
                         .uid_mappings = {{.container_id = 0, .host_id = 1000, .size = 10}},
                         .gid_mappings = {{.container_id = 0, .host_id = 1000, .size = 10}}});
  SetNamespace(spec, "network", "/run/netns/box");
  SetNamespace(spec, "user", "");
  spec.linux->uid_mappings = {{.container_id = 0, .host_id = 100000, .size = 65536}};
  spec.linux->gid_mappings = {{.container_id = 0, .host_id = 100000, .size = 65536}};
  SetNamespace(spec, "time", "");
  spec.linux->time_offsets = {{"monotonic", {.secs = -10, .nanosecs = 999999999}}};
  spec.linux->sysctl = {
      {"net.ipv4.ip_forward", "1"},         {"net/ipv4/conf/eth0.100/forwarding", "1"},
      {"kernel.shm_rmid_forced", "1"},      {"fs.mqueue.msg_max", "100"},
      {"kernel.domainname", "example.org"}, {"user.max_user_namespaces", "0"}};
  spec.linux->resources->memory = MemoryResources{.limit = 1 << 30, .swap = -1};
  spec.linux->resources->cpu =
      CpuResources{.shares = 2, .quota = -1, .period = 100000, .cpus = "0-3,5", .mems = "0"};
  spec.linux->rootfs_propagation = "rslave";
  spec.linux->seccomp = Seccomp{};  // no default action and no rules: no filter
  spec.hooks = Hooks{.poststop = {{.path = "/bin/true", .timeout = 1}}};
  spec.process->scheduler = Scheduler{.policy = "SCHED_FIFO", .priority = 50};
  EXPECT_EQ(Problem(spec), "valid");
}

struct Case {
  const char* name;
  std::function<void(Spec&)> mutate;
  std::string message;
};

void ExpectRejected(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    Spec spec = Base();
    c.mutate(spec);
    EXPECT_EQ(Problem(spec), "config.json: " + c.message) << c.name;
  }
}

TEST(ValidateTest, RejectsBadTopLevelAndProcess) {
  ExpectRejected({
      {"no version", [](Spec& s) { s.oci_version.clear(); }, "ociVersion: missing"},
      {"version 2", [](Spec& s) { s.oci_version = "2.0.0"; },
       "ociVersion: unsupported version \"2.0.0\", want 1.x"},
      {"no root", [](Spec& s) { s.root.reset(); }, "root: missing"},
      {"empty root", [](Spec& s) { s.root->path.clear(); }, "root.path: empty"},
      {"no process", [](Spec& s) { s.process.reset(); }, "process: missing"},
      {"no args", [](Spec& s) { s.process->args.clear(); },
       "process.args: empty: the program to run is needed"},
      {"relative cwd", [](Spec& s) { s.process->cwd = "home"; },
       "process.cwd: \"home\" is not an absolute path"},
      {"unknown cap", [](Spec& s) { s.process->capabilities->effective.push_back("CAP_FOO"); },
       "process.capabilities.effective[3]: unknown capability \"CAP_FOO\""},
      {"unknown rlimit", [](Spec& s) { s.process->rlimits[0].type = "RLIMIT_FOO"; },
       "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\""},
      {"soft above hard", [](Spec& s) { s.process->rlimits[0].soft = 2048; },
       "process.rlimits[0]: soft limit 2048 exceeds hard limit 1024"},
      {"duplicate rlimit", [](Spec& s) { s.process->rlimits.push_back(s.process->rlimits[0]); },
       "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\""},
      {"oom score", [](Spec& s) { s.process->oom_score_adj = 1001; },
       "process.oomScoreAdj: must be between -1000 and 1000, got 1001"},
      {"policy", [](Spec& s) { s.process->scheduler = Scheduler{.policy = "SCHED_FAST"}; },
       "process.scheduler.policy: unknown scheduling policy \"SCHED_FAST\""},
      {"fifo priority", [](Spec& s) { s.process->scheduler = Scheduler{.policy = "SCHED_FIFO"}; },
       "process.scheduler.priority: must be between 1 and 99 for SCHED_FIFO, got 0"},
      {"nice",
       [](Spec& s) { s.process->scheduler = Scheduler{.policy = "SCHED_OTHER", .nice = 20}; },
       "process.scheduler.nice: must be between -20 and 19, got 20"},
      {"deadline fields",
       [](Spec& s) { s.process->scheduler = Scheduler{.policy = "SCHED_BATCH", .runtime = 5}; },
       "process.scheduler: runtime, deadline and period are for SCHED_DEADLINE only"},
      {"sched flag",
       [](Spec& s) { s.process->scheduler = Scheduler{.policy = "SCHED_IDLE", .flags = {"X"}}; },
       "process.scheduler.flags[0]: unknown flag \"X\""},
      {"io class", [](Spec& s) { s.process->io_priority = IoPriority{.class_name = "RT"}; },
       "process.ioPriority.class: unknown class \"RT\""},
      {"io level",
       [](Spec& s) {
         s.process->io_priority = IoPriority{"IOPRIO_CLASS_BE", 8};
       },
       "process.ioPriority.priority: must be between 0 and 7, got 8"},
  });
}

TEST(ValidateTest, RejectsBadMountsAndHooks) {
  ExpectRejected({
      {"empty destination", [](Spec& s) { s.mounts[2].destination.clear(); },
       "mounts[2].destination: empty"},
      {"empty option", [](Spec& s) { s.mounts[1].options[2].clear(); },
       "mounts[1].options[2]: empty option"},
      {"idmap without gid",
       [](Spec& s) {
         s.mounts.push_back(
             {.destination = "/d", .options = {"bind"}, .uid_mappings = {{0, 1, 1}}});
       },
       "mounts[7].gidMappings: an idmapped mount needs both uidMappings and gidMappings"},
      {"idmap not bind",
       [](Spec& s) {
         s.mounts[0].uid_mappings = {{0, 1, 1}};
         s.mounts[0].gid_mappings = {{0, 1, 1}};
       },
       "mounts[0].uidMappings: only bind mounts can be idmapped"},
      {"relative hook", [](Spec& s) { s.hooks = Hooks{.create_runtime = {{.path = "hook.sh"}}}; },
       "hooks.createRuntime[0].path: \"hook.sh\" is not an absolute path"},
      {"zero timeout",
       [](Spec& s) {
         s.hooks = Hooks{.poststop = {{.path = "/h"}, {.path = "/h", .timeout = 0}}};
       },
       "hooks.poststop[1].timeout: must be greater than zero, got 0"},
  });
}

TEST(ValidateTest, RejectsBadNamespacesAndMappings) {
  ExpectRejected({
      {"unknown ns", [](Spec& s) { s.linux->namespaces[1].type = "foo"; },
       "linux.namespaces[1].type: unknown namespace type \"foo\""},
      {"duplicate ns", [](Spec& s) { s.linux->namespaces.push_back({.type = "pid"}); },
       "linux.namespaces[6].type: duplicate namespace type \"pid\""},
      {"relative ns path", [](Spec& s) { SetNamespace(s, "network", "netns/x"); },
       "linux.namespaces[1].path: \"netns/x\" is not an absolute path"},
      {"mappings without userns",
       [](Spec& s) {
         s.linux->uid_mappings = {{0, 1000, 1}};
       },
       "linux.uidMappings: mappings need a user namespace in linux.namespaces"},
      {"mappings with joined userns",
       [](Spec& s) {
         SetNamespace(s, "user", "/proc/1/ns/user");
         s.linux->gid_mappings = {{0, 1000, 1}};
       },
       "linux.gidMappings: mappings cannot be applied to a joined user namespace"},
      {"new userns without mappings", [](Spec& s) { SetNamespace(s, "user", ""); },
       "linux.uidMappings: a new user namespace needs uid mappings"},
      {"new userns without gid mappings",
       [](Spec& s) {
         SetNamespace(s, "user", "");
         s.linux->uid_mappings = {{0, 1000, 1}};
       },
       "linux.gidMappings: a new user namespace needs gid mappings"},
      {"zero size mapping",
       [](Spec& s) {
         SetNamespace(s, "user", "");
         s.linux->uid_mappings = {{0, 1000, 1}, {1, 2000, 0}};
         s.linux->gid_mappings = {{0, 1000, 1}};
       },
       "linux.uidMappings[1].size: must be greater than 0"},
      {"offsets without timens", [](Spec& s) { s.linux->time_offsets["boottime"] = {.secs = 1}; },
       "linux.timeOffsets: offsets need a time namespace in linux.namespaces"},
      {"offsets with joined timens",
       [](Spec& s) {
         SetNamespace(s, "time", "/proc/1/ns/time");
         s.linux->time_offsets["boottime"] = {.secs = 1};
       },
       "linux.timeOffsets: offsets cannot be applied to a joined time namespace"},
      {"unknown clock",
       [](Spec& s) {
         SetNamespace(s, "time", "");
         s.linux->time_offsets["realtime"] = {.secs = 1};
       },
       "linux.timeOffsets[\"realtime\"]: unknown clock, want monotonic or boottime"},
      {"hostname without uts", [](Spec& s) { RemoveNamespace(s, "uts"); },
       "hostname: needs a uts namespace in linux.namespaces"},
      {"domainname without uts",
       [](Spec& s) {
         RemoveNamespace(s, "uts");
         s.hostname.clear();
         s.domainname = "example.org";
       },
       "domainname: needs a uts namespace in linux.namespaces"},
  });
}

TEST(ValidateTest, RejectsSysctlsOutsideTheContainersNamespaces) {
  auto with_sysctl = [](std::string key, std::function<void(Spec&)> also = nullptr) {
    return [key, also](Spec& s) {
      s.linux->sysctl[key] = "1";
      if (also) also(s);
    };
  };
  ExpectRejected({
      {"net on host",
       with_sysctl("net.ipv4.ip_forward", [](Spec& s) { RemoveNamespace(s, "network"); }),
       "linux.sysctl[\"net.ipv4.ip_forward\"]: needs a network namespace in linux.namespaces, "
       "or it would change the host's"},
      {"slash form on host",
       with_sysctl("net/ipv4/ip_forward", [](Spec& s) { RemoveNamespace(s, "network"); }),
       "linux.sysctl[\"net/ipv4/ip_forward\"]: needs a network namespace in linux.namespaces, "
       "or it would change the host's"},
      {"shm on host", with_sysctl("kernel.shmmax", [](Spec& s) { RemoveNamespace(s, "ipc"); }),
       "linux.sysctl[\"kernel.shmmax\"]: needs an ipc namespace in linux.namespaces, or it would "
       "change the host's"},
      {"mqueue on host",
       with_sysctl("fs.mqueue.msg_max", [](Spec& s) { RemoveNamespace(s, "ipc"); }),
       "linux.sysctl[\"fs.mqueue.msg_max\"]: needs an ipc namespace in linux.namespaces, or it "
       "would change the host's"},
      {"hostname twice", with_sysctl("kernel.hostname"),
       "linux.sysctl[\"kernel.hostname\"]: conflicts with hostname"},
      {"ucounts on host", with_sysctl("user.max_user_namespaces"),
       "linux.sysctl[\"user.max_user_namespaces\"]: needs a user namespace in linux.namespaces, "
       "or it would change the host's"},
      {"global", with_sysctl("vm.swappiness"),
       "linux.sysctl[\"vm.swappiness\"]: not namespaced: setting it would change the host"},
      {"kernel global", with_sysctl("kernel.pid_max"),
       "linux.sysctl[\"kernel.pid_max\"]: not namespaced: setting it would change the host"},
  });
}

TEST(ValidateTest, RejectsBadDevicesAndPaths) {
  ExpectRejected({
      {"device type", [](Spec& s) { s.linux->devices = {{.type = "x", .path = "/dev/x"}}; },
       "linux.devices[0].type: unknown device type \"x\", want c, b, u or p"},
      {"device path", [](Spec& s) { s.linux->devices = {{.type = "c", .path = "dev/null"}}; },
       "linux.devices[0].path: \"dev/null\" is not an absolute path"},
      {"rule type", [](Spec& s) { s.linux->resources->devices.push_back({.type = "p"}); },
       "linux.resources.devices[1].type: unknown device type \"p\", want a, c or b"},
      {"rule access",
       [](Spec& s) { s.linux->resources->devices.push_back({.type = "c", .access = "rwx"}); },
       "linux.resources.devices[1].access: \"rwx\" may only contain r, w and m"},
      {"propagation", [](Spec& s) { s.linux->rootfs_propagation = "rprivat"; },
       "linux.rootfsPropagation: unknown propagation \"rprivat\", want shared, slave, private, "
       "unbindable or their r-prefixed forms"},
      {"masked relative", [](Spec& s) { s.linux->masked_paths[1] = "proc/asound"; },
       "linux.maskedPaths[1]: \"proc/asound\" is not an absolute path"},
      {"readonly relative", [](Spec& s) { s.linux->readonly_paths.push_back("sys"); },
       "linux.readonlyPaths[5]: \"sys\" is not an absolute path"},
      {"masked without mountns", [](Spec& s) { RemoveNamespace(s, "mount"); },
       "linux.maskedPaths: needs a mount namespace in linux.namespaces"},
      {"personality", [](Spec& s) { s.linux->personality = Personality{.domain = "LINUX64"}; },
       "linux.personality.domain: unknown domain \"LINUX64\", want LINUX or LINUX32"},
  });
}

TEST(ValidateTest, RejectsBadSeccomp) {
  ExpectRejected({
      {"default action", [](Spec& s) { SeccompOf(s).default_action = "SCMP_ACT_NOPE"; },
       "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\""},
      {"rules without default",
       [](Spec& s) {
         s.linux->seccomp = Seccomp{.syscalls = {{.names = {"read"}, .action = "SCMP_ACT_ALLOW"}}};
       },
       "linux.seccomp.defaultAction: unknown action \"\""},
      {"notify default",
       [](Spec& s) {
         SeccompOf(s).default_action = "SCMP_ACT_NOTIFY";
         SeccompOf(s).listener_path = "/run/agent.sock";
       },
       "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"},
      {"default errno", [](Spec& s) { SeccompOf(s).default_errno_ret = 1; },
       "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno"},
      {"arch",
       [](Spec& s) {
         SeccompOf(s).architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"};
       },
       "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_Z80\""},
      {"flag", [](Spec& s) { SeccompOf(s).flags = {"SECCOMP_FILTER_FLAG_FAST"}; },
       "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\""},
      {"metadata", [](Spec& s) { SeccompOf(s).listener_metadata = "m"; },
       "linux.seccomp.listenerMetadata: needs a listenerPath"},
      {"no names", [](Spec& s) { AddSyscall(s, {}, "SCMP_ACT_ERRNO"); },
       "linux.seccomp.syscalls[0].names: empty: at least one syscall is needed"},
      {"action",
       [](Spec& s) {
         AddSyscall(s, {"read"}, "SCMP_ACT_ALLOW");
         AddSyscall(s, {"mkdir"}, "SCMP_ACT_DENY");
       },
       "linux.seccomp.syscalls[1].action: unknown action \"SCMP_ACT_DENY\""},
      {"errno with kill", [](Spec& s) { AddSyscall(s, {"read"}, "SCMP_ACT_KILL").errno_ret = 1; },
       "linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno"},
      {"notify without listener", [](Spec& s) { AddSyscall(s, {"mount"}, "SCMP_ACT_NOTIFY"); },
       "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs a listenerPath"},
      {"notify write",
       [](Spec& s) {
         SeccompOf(s).listener_path = "/run/agent.sock";
         AddSyscall(s, {"mount", "write"}, "SCMP_ACT_NOTIFY");
       },
       "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot apply to write"},
      {"arg index",
       [](Spec& s) {
         AddSyscall(s, {"ioctl"}, "SCMP_ACT_ERRNO").args = {{.index = 6, .op = "SCMP_CMP_EQ"}};
       },
       "linux.seccomp.syscalls[0].args[0].index: must be below 6, syscalls have six arguments"},
      {"arg op",
       [](Spec& s) {
         AddSyscall(s, {"ioctl"}, "SCMP_ACT_ERRNO").args = {{.index = 1, .op = "SCMP_CMP_APPROX"}};
       },
       "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_APPROX\""},
  });
}

TEST(ValidateTest, RejectsBadResources) {
  auto memory = [](MemoryResources m) { return [m](Spec& s) { s.linux->resources->memory = m; }; };
  auto cpu = [](CpuResources c) { return [c](Spec& s) { s.linux->resources->cpu = c; }; };
  ExpectRejected({
      {"swap below limit", memory({.limit = 1 << 30, .swap = 1 << 20}),
       "linux.resources.memory.swap: memory+swap limit 1048576 is below the memory limit "
       "1073741824"},
      {"limit -2", memory({.limit = -2}),
       "linux.resources.memory.limit: must be -1 (unlimited) or a byte count, got -2"},
      {"swappiness", memory({.swappiness = 101}),
       "linux.resources.memory.swappiness: must be between 0 and 100, got 101"},
      {"shares", cpu({.shares = 1}),
       "linux.resources.cpu.shares: must be between 2 and 262144, got 1"},
      {"quota", cpu({.quota = 999}),
       "linux.resources.cpu.quota: must be -1 (unlimited) or at least 1000 microseconds, got 999"},
      {"period", cpu({.period = 2000000}),
       "linux.resources.cpu.period: must be between 1000 and 1000000 microseconds, got 2000000"},
      {"burst", cpu({.quota = 5000, .burst = 6000}),
       "linux.resources.cpu.burst: exceeds the quota 5000"},
      {"idle", cpu({.idle = 2}), "linux.resources.cpu.idle: must be 0 or 1, got 2"},
      {"cpus", cpu({.cpus = "3-1"}), "linux.resources.cpu.cpus: invalid cpu list \"3-1\""},
      {"mems", cpu({.mems = "0,,1"}), "linux.resources.cpu.mems: invalid node list \"0,,1\""},
      {"weight device",
       [](Spec& s) {
         s.linux->resources->block_io = BlockIoResources{.weight_device = {{.major = 8}}};
       },
       "linux.resources.blockIO.weightDevice[0]: needs weight or leafWeight"},
      {"page size",
       [](Spec& s) { s.linux->resources->hugepage_limits = {{.page_size = "2M", .limit = 1}}; },
       "linux.resources.hugepageLimits[0].pageSize: invalid page size \"2M\", want a size like "
       "2MB"},
      {"rdma", [](Spec& s) { s.linux->resources->rdma["mlx5_0"] = {}; },
       "linux.resources.rdma[\"mlx5_0\"]: needs hcaHandles or hcaObjects"},
      {"unified", [](Spec& s) { s.linux->resources->unified["../cpu.max"] = "max"; },
       "linux.resources.unified[\"../cpu.max\"]: must name a file of the cgroup"},
  });
}

TEST(ValidateTest, ReturnsTheFirstProblem) {
  Spec spec = Base();
  spec.process->cwd = "relative";
  spec.linux->namespaces[0].type = "bogus";
  EXPECT_EQ(Problem(spec), "config.json: process.cwd: \"relative\" is not an absolute path");
}

}  // namespace
}  // namespace berth::oci
