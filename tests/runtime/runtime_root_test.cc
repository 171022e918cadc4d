// berth-runtime observed from inside its containers: each test runs the real binary on a busybox
// bundle and checks what the container process sees.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/child_process.h"
#include "base/file.h"
#include "base/strings.h"
#include "runtime_harness.h"

namespace berth::testing {
namespace {

std::string UniqueId(const std::string& base) { return base + "-" + std::to_string(getpid()); }

TEST(RuntimeRun, ExitCodeAndOutputPropagate) {
  Bundle b("echo hello; exit 3");
  CommandResult r = b.RunContainer(UniqueId("exit"));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "hello\n");
}

TEST(RuntimeRun, SignalPropagatesAs128PlusSignal) {
  // Outside a pid namespace of its own the shell is not an init, so its own SIGTERM kills it.
  Bundle b("kill -TERM $$; sleep 5");
  auto& namespaces = b.spec().linux->namespaces;
  std::erase_if(namespaces, [](const oci::Namespace& ns) { return ns.type == "pid"; });
  CommandResult r = b.RunContainer(UniqueId("signal"));
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
}

TEST(RuntimeRun, HostnameUserGroupsUmask) {
  Bundle b("hostname; id -u; id -g; id -G; umask");
  b.spec().hostname = "box";
  b.spec().process->user = {.uid = 1000, .gid = 1000, .umask = 027, .additional_gids = {10, 20}};
  CommandResult r = b.RunContainer(UniqueId("ids"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "box\n1000\n1000\n1000 10 20\n0027\n");
}

TEST(RuntimeRun, CapabilitiesAreExactlyTheConfiguredOnes) {
  Bundle b("grep -E '^Cap(Eff|Bnd|Prm)' /proc/self/status");
  // CAP_KILL (5) and CAP_NET_BIND_SERVICE (10): 0x420.
  b.spec().process->capabilities =
      oci::Capabilities{.bounding = {"CAP_KILL", "CAP_NET_BIND_SERVICE"},
                        .effective = {"CAP_KILL", "CAP_NET_BIND_SERVICE"},
                        .permitted = {"CAP_KILL", "CAP_NET_BIND_SERVICE"}};
  CommandResult r = b.RunContainer(UniqueId("caps"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("CapPrm:\t0000000000000420"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CapEff:\t0000000000000420"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CapBnd:\t0000000000000420"), std::string::npos) << r.out;
}

TEST(RuntimeRun, UngrantableCapabilityIsAWarningNotAnError) {
  if (prctl(PR_CAPBSET_READ, CAP_SYS_RESOURCE, 0, 0, 0) == 1) {
    GTEST_SKIP() << "CAP_SYS_RESOURCE is in this machine's bounding set: nothing to withhold";
  }
  Bundle b("grep CapEff /proc/self/status");
  auto& caps = *b.spec().process->capabilities;
  for (auto* set : {&caps.bounding, &caps.effective, &caps.permitted}) {
    *set = {"CAP_KILL", "CAP_SYS_RESOURCE"};
  }
  CommandResult r = b.RunContainer(UniqueId("capwarn"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "CapEff:\t0000000000000020\n");
  EXPECT_NE(r.err.find("CAP_SYS_RESOURCE cannot be granted"), std::string::npos) << r.err;
}

TEST(RuntimeRun, RlimitsApply) {
  Bundle b("ulimit -n; ulimit -Hn");
  b.spec().process->rlimits = {{.type = "RLIMIT_NOFILE", .soft = 256, .hard = 512}};
  CommandResult r = b.RunContainer(UniqueId("rlimit"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "256\n512\n");
}

TEST(RuntimeRun, MaskedAndReadonlyPaths) {
  Bundle b(
      "cat /proc/kcore >/dev/null 2>&1 && echo kcore-readable;"
      "ls /proc/acpi 2>/dev/null | wc -l;"
      "echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo sys-writable;"
      "touch /etc/x 2>/dev/null && echo root-writable; echo done");
  CommandResult r = b.RunContainer(UniqueId("mask"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0\ndone\n");
}

TEST(RuntimeRun, SeccompReturnsConfiguredErrno) {
  Bundle b("mkdir /tmp/d; echo $?; ls -d /tmp/d 2>&1 | head -1");
  b.spec().linux->seccomp = oci::Seccomp{
      .default_action = "SCMP_ACT_ALLOW",
      .syscalls = {{.names = {"mkdir", "mkdirat"}, .action = "SCMP_ACT_ERRNO", .errno_ret = 95}}};
  CommandResult r = b.RunContainer(UniqueId("seccomp"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("Operation not supported"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.substr(0, 2), "1\n") << r.out;
}

TEST(RuntimeRun, SeccompProfileNeedNotAllowTheRuntimesOwnCalls) {
  // A profile written for the container's program denies what the runtime still does before the
  // exec (closing its descriptors): the container must start all the same.
  Bundle b("echo started");
  b.spec().linux->seccomp = oci::Seccomp{
      .default_action = "SCMP_ACT_ALLOW",
      .syscalls = {{.names = {"close_range"}, .action = "SCMP_ACT_ERRNO", .errno_ret = 1}}};
  CommandResult r = b.RunContainer(UniqueId("seccomp-own"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "started\n");
}

TEST(RuntimeRun, DefaultDevicesWorkBehindADenyAllDeviceCgroup) {
  // The default spec's device rules deny everything; the nodes the runtime creates stay usable.
  Bundle b("echo x > /dev/null && head -c 4 /dev/zero | wc -c && head -c 1 /dev/urandom | wc -c");
  ASSERT_FALSE(b.spec().linux->resources->devices.empty());
  CommandResult r = b.RunContainer(UniqueId("devices"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "4\n1\n");
}

TEST(RuntimeRun, DeviceCgroupDeniesWhatTheConfigDenies) {
  Bundle b(
      "mknod /tmp/mem c 1 1 && (head -c 1 /tmp/mem >/dev/null 2>&1 && echo read || echo denied)");
  b.spec().process->capabilities->bounding.push_back("CAP_MKNOD");
  b.spec().process->capabilities->effective.push_back("CAP_MKNOD");
  b.spec().process->capabilities->permitted.push_back("CAP_MKNOD");
  b.spec().mounts.back().options = {"nosuid", "mode=1777"};  // /tmp without nodev
  CommandResult r = b.RunContainer(UniqueId("devdeny"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "denied\n");
}

TEST(RuntimeRun, MemoryAndPidsLimitsReachTheCgroup) {
  Bundle b(
      "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null ||"
      " cat /sys/fs/cgroup/memory.max; cat /sys/fs/cgroup/pids/pids.max 2>/dev/null ||"
      " cat /sys/fs/cgroup/pids.max");
  b.spec().linux->resources = oci::Resources{};
  b.spec().linux->resources->memory = oci::MemoryResources{.limit = 64 << 20};
  b.spec().linux->resources->pids = oci::PidsResources{.limit = 42};
  CommandResult r = b.RunContainer(UniqueId("cgroup"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "67108864\n42\n");
}

TEST(RuntimeRun, HooksRunWithTheState) {
  Bundle b("true");
  auto hook = [&](const std::string& kind) {
    return oci::Hook{.path = "/bin/sh", .args = {"sh", "-c", "cat > " + b.dir() + "/" + kind}};
  };
  b.spec().hooks = oci::Hooks{.create_runtime = {hook("createRuntime")},
                              .poststart = {hook("poststart")},
                              .poststop = {hook("poststop")}};
  std::string id = UniqueId("hooks");
  CommandResult r = b.RunContainer(id);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const char* kinds[] = {"createRuntime", "poststart", "poststop"};
  const char* states[] = {"creating", "running", "stopped"};
  for (size_t i = 0; i < 3; ++i) {
    auto text = ReadFile(b.dir() + "/" + kinds[i]);
    ASSERT_TRUE(text) << kinds[i] << " did not run";
    auto state = nlohmann::json::parse(*text);
    EXPECT_EQ(state["id"], id);
    EXPECT_EQ(state["status"], states[i]) << kinds[i];
    EXPECT_EQ(state["bundle"], b.dir());
    EXPECT_GT(state["pid"].get<int>(), 0);
  }
}

TEST(RuntimeRun, TerminalGivesThePtyAsStdio) {
  Bundle b("tty; stty size");
  b.spec().process->terminal = true;
  b.spec().process->console_size = oci::ConsoleSize{.height = 30, .width = 100};
  CommandResult r = b.RunContainer(UniqueId("tty"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The foreground run proxies the pty: the output arrives through it, with CRLF line ends.
  EXPECT_EQ(r.out.rfind("/dev/pts/0\r\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("30 100"), std::string::npos) << r.out;
}

TEST(RuntimeRun, UserNamespaceMapsRootToAnUnprivilegedHostId) {
  Bundle b("id -u; cat /proc/self/uid_map; cat /proc/self/gid_map");
  b.spec().linux->namespaces.push_back({.type = "user"});
  b.spec().linux->uid_mappings = {{.container_id = 0, .host_id = 100000, .size = 65536}};
  b.spec().linux->gid_mappings = {{.container_id = 0, .host_id = 100000, .size = 65536}};
  CommandResult r = b.RunContainer(UniqueId("userns"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> words;
  for (auto& w : Split(std::string(TrimSpace(r.out)), ' ')) {
    for (auto& x : Split(w, '\n')) {
      if (!x.empty()) words.push_back(x);
    }
  }
  EXPECT_EQ(words, (std::vector<std::string>{"0", "0", "100000", "65536", "0", "100000", "65536"}))
      << r.out;
}

TEST(RuntimeRun, JoinsANetworkNamespaceByPathAndWritesItsSysctls) {
  std::string ns = UniqueId("berth-test-netns");
  ASSERT_EQ(RunCommand({"ip", "netns", "add", ns}).exit_code, 0);
  Bundle b("readlink /proc/self/ns/net; cat /proc/sys/net/ipv4/ip_forward");
  for (auto& n : b.spec().linux->namespaces) {
    if (n.type == "network") n.path = "/run/netns/" + ns;
  }
  b.spec().linux->sysctl = {{"net.ipv4.ip_forward", "1"}};
  CommandResult r = b.RunContainer(UniqueId("netns"));
  struct stat st {};
  ASSERT_EQ(stat(("/run/netns/" + ns).c_str(), &st), 0);
  RunCommand({"ip", "netns", "delete", ns});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "net:[" + std::to_string(st.st_ino) + "]\n1\n");
}

TEST(RuntimeRun, OomScoreAdjApplies) {
  Bundle b("cat /proc/self/oom_score_adj");
  b.spec().process->oom_score_adj = 345;
  CommandResult r = b.RunContainer(UniqueId("oom"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "345\n");
}

TEST(RuntimeLifecycle, CreateStartStateKillDelete) {
  Bundle b("sleep 100");
  std::string id = UniqueId("life");
  std::string pid_file = b.dir() + "/pid";
  CommandResult r = b.Runtime({"create", "--bundle", b.dir(), "--pid-file", pid_file, id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto state = nlohmann::json::parse(b.Runtime({"state", id}).out);
  EXPECT_EQ(state["status"], "created");
  EXPECT_EQ(std::to_string(state["pid"].get<int>()), *ReadFile(pid_file));
  // The owner is the name /etc/passwd gives the runtime's uid (root here).
  bool listed = false;
  for (const auto& c : nlohmann::json::parse(b.Runtime({"list", "--format", "json"}).out)) {
    if (c["id"] != id) continue;
    listed = true;
    EXPECT_EQ(c["owner"], "root");
  }
  EXPECT_TRUE(listed);
  ASSERT_EQ(b.Runtime({"start", id}).exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(b.Runtime({"state", id}).out)["status"], "running");
  EXPECT_NE(b.Runtime({"delete", id}).exit_code, 0) << "a running container is not deleted";
  ASSERT_EQ(b.Runtime({"pause", id}).exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(b.Runtime({"state", id}).out)["status"], "paused");
  ASSERT_EQ(b.Runtime({"resume", id}).exit_code, 0);
  ASSERT_EQ(b.Runtime({"kill", id, "KILL"}).exit_code, 0);
  for (int i = 0; i < 100; ++i) {
    if (nlohmann::json::parse(b.Runtime({"state", id}).out)["status"] == "stopped") break;
    usleep(20000);
  }
  EXPECT_EQ(nlohmann::json::parse(b.Runtime({"state", id}).out)["status"], "stopped");
  ASSERT_EQ(b.Runtime({"delete", id}).exit_code, 0);
  EXPECT_NE(b.Runtime({"state", id}).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(b.state_root() + "/" + id));
}

TEST(RuntimeLifecycle, StartReturnsOnceTheProcessRuns) {
  // A startContainer hook holds the init process back before its exec; start must wait for it,
  // so that a signal sent right after start reaches the container's program (as with runc).
  Bundle b("sleep 100");
  b.spec().hooks = oci::Hooks{.start_container = {{.path = "/bin/sleep", .args = {"sleep", "1"}}}};
  std::string id = UniqueId("startwait");
  ASSERT_EQ(b.Runtime({"create", "--bundle", b.dir(), id}).exit_code, 0);
  auto state = nlohmann::json::parse(b.Runtime({"state", id}).out);
  std::string exe_link = "/proc/" + std::to_string(state["pid"].get<int>()) + "/exe";
  ASSERT_EQ(b.Runtime({"start", id}).exit_code, 0);
  std::error_code ec;
  std::string exe = std::filesystem::read_symlink(exe_link, ec).string();
  EXPECT_EQ(exe.find("berth-runtime"), std::string::npos) << exe;
  EXPECT_NE(exe.find("busybox"), std::string::npos) << exe;
  EXPECT_EQ(b.Runtime({"delete", "--force", id}).exit_code, 0);
}

TEST(RuntimeLifecycle, ExecRunsInTheContainer) {
  Bundle b("sleep 100");
  b.spec().hostname = "exec-box";
  std::string id = UniqueId("exec");
  ASSERT_EQ(b.Runtime({"run", "--detach", "--bundle", b.dir(), id}).exit_code, 0);
  CommandResult r = b.Runtime({"exec", id, "sh", "-c", "hostname; echo $$; exit 4"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  std::vector<std::string> lines = Split(std::string(TrimSpace(r.out)), '\n');
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_EQ(lines[0], "exec-box");
  EXPECT_NE(lines[1], "1");
  auto pids = nlohmann::json::parse(b.Runtime({"ps", "--format", "json", id}).out);
  EXPECT_EQ(pids.size(), 1u);
  EXPECT_EQ(b.Runtime({"delete", "--force", id}).exit_code, 0);
}

// A process in namespaces of its own that a container can join by path (/proc/PID/ns/*); killed
// and reaped, with every mount made in its mount namespace, when the test ends.
class NamespaceHolder {
 public:
  explicit NamespaceHolder(const std::vector<std::string>& unshare_flags) {
    std::vector<std::string> argv = {"unshare"};
    argv.insert(argv.end(), unshare_flags.begin(), unshare_flags.end());
    argv.insert(argv.end(), {"sleep", "1000"});
    auto child = ChildProcess::Spawn({.argv = argv});
    if (child) process_ = std::move(*child);
    // unshare has entered its namespaces once its mount namespace differs from ours.
    for (int i = 0; i < 200 && process_ && NsLink("mnt") == Link("/proc/self/ns/mnt"); ++i) {
      usleep(10000);
    }
  }
  bool ok() const { return process_ && NsLink("mnt") != Link("/proc/self/ns/mnt"); }
  std::string NsPath(const std::string& ns) const {
    return "/proc/" + std::to_string(process_->pid()) + "/ns/" + ns;
  }
  std::string NsLink(const std::string& ns) const { return Link(NsPath(ns)); }
  static std::string Link(const std::string& path) {
    std::error_code ec;
    return std::filesystem::read_symlink(path, ec).string();
  }

 private:
  std::optional<ChildProcess> process_;
};

TEST(RuntimeNamespaces, JoinedByPathIncludingMount) {
  NamespaceHolder holder({"--mount", "--ipc", "--uts", "--net"});
  ASSERT_TRUE(holder.ok()) << "unshare did not start";
  Bundle b("sleep 100");
  for (auto& ns : b.spec().linux->namespaces) {
    if (ns.type == "mount") ns.path = holder.NsPath("mnt");
    if (ns.type == "ipc") ns.path = holder.NsPath("ipc");
    if (ns.type == "uts") ns.path = holder.NsPath("uts");
    if (ns.type == "network") ns.path = holder.NsPath("net");
  }
  b.spec().hostname.clear();
  std::string id = UniqueId("nsjoin");
  CommandResult run = b.Runtime({"run", "--detach", "--bundle", b.dir(), id});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto state = nlohmann::json::parse(b.Runtime({"state", id}).out);
  std::string init_ns = "/proc/" + std::to_string(state["pid"].get<int>()) + "/ns/";
  for (const char* ns : {"mnt", "ipc", "uts", "net"}) {
    EXPECT_EQ(NamespaceHolder::Link(init_ns + ns), holder.NsLink(ns)) << ns;
  }
  // Cloned by the intermediate process, the init process is still placed in its cgroup.
  auto cgroups = ReadFile("/proc/" + std::to_string(state["pid"].get<int>()) + "/cgroup");
  ASSERT_TRUE(cgroups);
  EXPECT_NE(cgroups->find("/" + id + "\n"), std::string::npos) << *cgroups;
  // The container's mounts were made in the joined namespace only; its processes, the init and
  // an exec'd one, see the rootfs as their root.
  EXPECT_FALSE(std::filesystem::exists(BusyboxRootfs() + "/proc/self"));
  CommandResult r =
      b.Runtime({"exec", id, "sh", "-c", "test -d /proc/self && test ! -e /work && echo in"});
  EXPECT_EQ(r.out, "in\n") << r.err;
  EXPECT_EQ(b.Runtime({"delete", "--force", id}).exit_code, 0);
}

TEST(RuntimeNamespaces, SharedWithTheRuntimeWithoutAMountNamespace) {
  Bundle b("readlink /proc/self/ns/mnt; test -e /work || echo chrooted");
  std::erase_if(b.spec().linux->namespaces,
                [](const oci::Namespace& ns) { return ns.type == "mount" || ns.type == "pid"; });
  // Masking and read-only binds need a mount namespace of the container's own (as with runc).
  b.spec().linux->masked_paths.clear();
  b.spec().linux->readonly_paths.clear();
  b.Write();
  // The runtime runs in a mount namespace of the test's own, so the mounts it leaves under the
  // rootfs go away with it; the shell there says which namespace that is.
  CommandResult r = RunCommand(
      {"unshare", "--mount", "sh", "-c", "readlink /proc/self/ns/mnt; exec \"$@\"", "sh",
       RuntimeBinary(), "--root", b.state_root(), "run", "--bundle", b.dir(), UniqueId("nsshare")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Split(std::string(TrimSpace(r.out)), '\n');
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0], lines[1]) << "the container has a mount namespace of its own";
  EXPECT_NE(lines[0], NamespaceHolder::Link("/proc/self/ns/mnt"));
  EXPECT_EQ(lines[2], "chrooted");
}

TEST(RuntimeNamespaces, JoinsUserAndPidNamespacesByPath) {
  // A user namespace mapping root to the test's root, with a pid namespace it owns (unshare's
  // children live in it, unshare itself does not): the container joins both, so its processes are
  // numbered in that pid namespace (the holder's sleep is 1 there) and its new namespaces belong to
  // the joined user namespace. --kill-child: the forked child dies with unshare, which the holder
  // kills; an orphan would keep the test's output open.
  NamespaceHolder holder({"--user", "--map-root-user", "--pid", "--kill-child", "--mount"});
  ASSERT_TRUE(holder.ok()) << "unshare did not start";
  Bundle b(
      "readlink /proc/self/ns/user; readlink /proc/self/ns/pid; echo $$; cat /proc/self/uid_map");
  for (auto& ns : b.spec().linux->namespaces) {
    if (ns.type == "pid") ns.path = holder.NsPath("pid_for_children");
  }
  b.spec().linux->namespaces.push_back({.type = "user", .path = holder.NsPath("user")});
  // A joined user namespace brings its own id maps; unshare's maps only root, so devpts cannot
  // take the tty group's gid 5.
  for (auto& m : b.spec().mounts) {
    if (m.destination == "/dev/pts") std::erase(m.options, "gid=5");
  }
  CommandResult r = b.RunContainer(UniqueId("userpidjoin"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Split(std::string(TrimSpace(r.out)), '\n');
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[0], holder.NsLink("user"));
  EXPECT_EQ(lines[1], holder.NsLink("pid_for_children"));
  EXPECT_NE(lines[2], "1") << "the holder's process is the pid namespace's init";
  EXPECT_EQ(Split(std::string(TrimSpace(lines[3])), ' ').front(), "0");
}

TEST(RuntimeNamespaces, TimeNamespaceOffsetsShiftTheClocks) {
  // /proc/uptime counts CLOCK_BOOTTIME, which the offset moves forward by ten days; the host's
  // uptime is read right before for comparison.
  constexpr int64_t kTenDays = 10 * 86400;
  Bundle b("cat /proc/uptime; readlink /proc/self/ns/time");
  b.spec().linux->namespaces.push_back({.type = "time"});
  b.spec().linux->time_offsets = {{"boottime", {.secs = kTenDays}},
                                  {"monotonic", {.secs = kTenDays}}};
  Result<std::string> host = ReadFile("/proc/uptime");
  ASSERT_TRUE(host);
  CommandResult r = b.RunContainer(UniqueId("timens"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Split(std::string(TrimSpace(r.out)), '\n');
  ASSERT_EQ(lines.size(), 2u) << r.out;
  const double host_uptime = std::stod(*host);
  const double container_uptime = std::stod(lines[0]);
  EXPECT_GE(container_uptime, host_uptime + kTenDays) << r.out;
  EXPECT_LT(container_uptime, host_uptime + kTenDays + 60) << r.out;
  EXPECT_NE(lines[1], NamespaceHolder::Link("/proc/self/ns/time"));
}

TEST(RuntimeCgroups, HugepageLimitReachesTheHugetlbController) {
  // hugetlb is a v1 hierarchy on some hosts and a controller of the unified hierarchy on others
  // (this hybrid layout has it only there): read the limit wherever the host keeps it.
  std::string v1 = "/sys/fs/cgroup/hugetlb";
  std::string v2 = std::filesystem::exists("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified"
                                                                     : "/sys/fs/cgroup";
  bool on_v1 = std::filesystem::exists(v1 + "/hugetlb.2MB.limit_in_bytes");
  if (!on_v1 && !std::filesystem::exists(v2 + "/cgroup.controllers")) {
    GTEST_SKIP() << "no hugetlb controller";
  }
  Result<std::string> controllers = ReadFile(v2 + "/cgroup.controllers");
  if (!on_v1 && (!controllers || controllers->find("hugetlb") == std::string::npos)) {
    GTEST_SKIP() << "no hugetlb controller";
  }
  Bundle b("sleep 100");
  std::string id = UniqueId("hugetlb");
  b.spec().linux->cgroups_path = "/berth-test/" + id;
  b.spec().linux->resources = oci::Resources{};
  b.spec().linux->resources->hugepage_limits = {{.page_size = "2MB", .limit = 8 << 20}};
  CommandResult run = b.Runtime({"run", "--detach", "--bundle", b.dir(), id});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  Result<std::string> limit =
      on_v1 ? ReadFile(v1 + "/berth-test/" + id + "/hugetlb.2MB.limit_in_bytes")
            : ReadFile(v2 + "/berth-test/" + id + "/hugetlb.2MB.max");
  EXPECT_EQ(b.Runtime({"delete", "--force", id}).exit_code, 0);
  ASSERT_TRUE(limit) << limit.error().message();
  EXPECT_EQ(*limit, "8388608\n");
  // The runtime leaves the parent it made for the test; remove it in every hierarchy.
  for (const auto& hierarchy : std::filesystem::directory_iterator("/sys/fs/cgroup")) {
    rmdir((hierarchy.path().string() + "/berth-test").c_str());
  }
}

TEST(RuntimeErrors, InvalidConfigIsRejectedAndLeavesNothing) {
  Bundle b("true");
  b.spec().linux->namespaces.push_back({.type = "bogus"});
  std::string id = UniqueId("bad");
  CommandResult r = b.RunContainer(id);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("linux.namespaces"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(b.state_root() + "/" + id));
}

TEST(RuntimeErrors, MissingProgramIsNamedAndCleanedUp) {
  Bundle b("true");
  b.spec().process->args = {"/no/such/program"};
  std::string id = UniqueId("noprog");
  CommandResult r = b.Runtime({"create", "--bundle", b.dir(), id});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("/no/such/program"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(b.state_root() + "/" + id));
}

TEST(RuntimeErrors, AppArmorProfileThatCannotBeAppliedFailsCreate) {
  // Without AppArmor, or with it and no such profile, the kernel refuses the profile: create must
  // say so rather than the process dying after start.
  Bundle b("true");
  b.spec().process->apparmor_profile = "berth-test-no-such-profile";
  std::string id = UniqueId("apparmor");
  CommandResult r = b.Runtime({"create", "--bundle", b.dir(), id});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("apparmor profile berth-test-no-such-profile"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(b.state_root() + "/" + id));
}

TEST(RuntimeSafety, NoHostDescriptorOrCwdLeaks) {
  Bundle b("ls /proc/self/fd | sort -n | tr '\\n' ' '; pwd");
  CommandResult r = b.RunContainer(UniqueId("fds"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // stdio plus the directory ls opened to list /proc/self/fd.
  EXPECT_EQ(r.out, "0 1 2 3 /\n");
}

TEST(RuntimeSafety, RuntimeExecutableIsNotReachableForWriting) {
  // A createContainer hook runs as a child of the container's init process while that process still
  // runs the runtime's code: the init's /proc/PID/exe is what a container could reach
  // (CVE-2019-5736).
  Bundle b("true");
  std::string out = b.dir() + "/exe";
  // The hook is in the container's pid namespace but sees the host's /proc: take the parent's
  // pid from the shell's own /proc/self/stat, which speaks in the host's numbers.
  std::string script = "read a b c p rest < /proc/self/stat; readlink /proc/$p/exe > " + out +
                       "; (echo x >> /proc/$p/exe) 2>/dev/null && echo writable >> " + out +
                       "; true";
  b.spec().hooks =
      oci::Hooks{.create_container = {{.path = "/bin/sh", .args = {"sh", "-c", script}}}};
  std::string binary_before = *ReadFile(RuntimeBinary());
  CommandResult r = b.RunContainer(UniqueId("exe"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto text = ReadFile(out);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->rfind("/memfd:berth-runtime", 0), 0u) << *text;
  EXPECT_EQ(text->find("writable"), std::string::npos) << *text;
  EXPECT_EQ(*ReadFile(RuntimeBinary()), binary_before);
}

}  // namespace
}  // namespace berth::testing
