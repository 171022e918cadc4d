#include "daemon/container/seccomp_profile.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "runtime/seccomp/seccomp.h"

namespace berth::daemon::container {
namespace {

const std::vector<std::string> kDefaultCaps = {"CAP_CHOWN", "CAP_KILL", "CAP_SETUID",
                                               "CAP_SYS_CHROOT"};
const SeccompHost kAmd64{.arch = "amd64", .kernel_major = 6, .kernel_minor = 1};

// Rules naming syscall in the planned filter, with their actions.
std::vector<const oci::SeccompSyscall*> RulesFor(const oci::Seccomp& s, const std::string& name) {
  std::vector<const oci::SeccompSyscall*> out;
  for (const oci::SeccompSyscall& rule : s.syscalls) {
    if (std::find(rule.names.begin(), rule.names.end(), name) != rule.names.end()) {
      out.push_back(&rule);
    }
  }
  return out;
}

TEST(SeccompProfile, DefaultKeepsTheRulesTheCapabilitiesAllow) {
  const oci::Seccomp plain = PlanSeccomp(DefaultSeccompProfile(), kDefaultCaps, kAmd64);
  EXPECT_EQ(plain.default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(plain.default_errno_ret, 1u);
  EXPECT_EQ(plain.architectures,
            (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_TRUE(RulesFor(plain, "mount").empty());
  EXPECT_TRUE(RulesFor(plain, "unshare").empty());
  EXPECT_FALSE(RulesFor(plain, "read").empty());
  EXPECT_FALSE(RulesFor(plain, "chroot").empty());      // CAP_SYS_CHROOT is held
  EXPECT_FALSE(RulesFor(plain, "arch_prctl").empty());  // amd64
  EXPECT_TRUE(RulesFor(plain, "set_tls").empty());      // arm only
  ASSERT_EQ(RulesFor(plain, "clone").size(), 1u);       // without namespace flags
  EXPECT_EQ(RulesFor(plain, "clone")[0]->args.size(), 1u);
  ASSERT_EQ(RulesFor(plain, "clone3").size(), 1u);
  EXPECT_EQ(RulesFor(plain, "clone3")[0]->errno_ret, 38u);  // ENOSYS: libc falls back to clone
  EXPECT_EQ(RulesFor(plain, "ptrace").size(), 1u);          // kernel 4.8 or newer

  std::vector<std::string> admin = kDefaultCaps;
  admin.push_back("CAP_SYS_ADMIN");
  const oci::Seccomp with_admin = PlanSeccomp(DefaultSeccompProfile(), admin, kAmd64);
  EXPECT_FALSE(RulesFor(with_admin, "mount").empty());
  ASSERT_EQ(RulesFor(with_admin, "clone").size(), 1u);
  EXPECT_TRUE(RulesFor(with_admin, "clone")[0]->args.empty());
  EXPECT_EQ(RulesFor(with_admin, "clone3")[0]->action, "SCMP_ACT_ALLOW");

  const oci::Seccomp old_kernel =
      PlanSeccomp(DefaultSeccompProfile(), kDefaultCaps,
                  {.arch = "amd64", .kernel_major = 4, .kernel_minor = 4});
  EXPECT_TRUE(RulesFor(old_kernel, "ptrace").empty());
}

TEST(SeccompProfile, DefaultCompilesForEveryCapabilitySet) {
  std::vector<std::string> all = kDefaultCaps;
  for (const char* cap : {"CAP_SYS_ADMIN", "CAP_SYSLOG", "CAP_BPF", "CAP_PERFMON", "CAP_SYS_PTRACE",
                          "CAP_SYS_TIME", "CAP_SYS_NICE"}) {
    all.push_back(cap);
  }
  for (const auto& caps : {kDefaultCaps, all}) {
    auto program =
        runtime::seccomp::Build(PlanSeccomp(DefaultSeccompProfile(), caps, CurrentSeccompHost()));
    ASSERT_TRUE(program) << program.error().message();
    EXPECT_FALSE(program->filter.empty());
  }
}

// The default filter, loaded in a child: what a container may and may not do.
TEST(SeccompProfile, DefaultFilterRefusesNamespacesAndVsockButNotEverydayCalls) {
  auto program = runtime::seccomp::Build(
      PlanSeccomp(DefaultSeccompProfile(), kDefaultCaps, CurrentSeccompHost()));
  ASSERT_TRUE(program) << program.error().message();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(10);
    if (runtime::seccomp::Load(*program) != 0) _exit(11);
    if (unshare(CLONE_NEWUSER) == 0 || errno != EPERM) _exit(12);
    if (syscall(SYS_clone3, nullptr, 0) != -1 || errno != ENOSYS) _exit(13);
    if (socket(AF_VSOCK, SOCK_STREAM, 0) != -1 || errno != EPERM) _exit(14);
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) _exit(15);
    close(fd);
    if (getpid() <= 0 || syscall(SYS_personality, 0xffffffffUL) < 0) _exit(16);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SeccompProfile, DecodesDockersFormatAndPlansIt) {
  auto profile = DecodeSeccompProfile(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
                {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
    "syscalls": [
      {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 95},
      {"name": "chmod", "action": "SCMP_ACT_ERRNO", "excludes": {"caps": ["CAP_FOWNER"]}},
      {"names": ["kill"], "action": "SCMP_ACT_ERRNO",
       "args": [{"index": 1, "value": 9, "valueTwo": 0, "op": "SCMP_CMP_EQ"}],
       "includes": {"arches": ["arm64"]}},
      {"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "7.0"}}
    ]})");
  ASSERT_TRUE(profile) << profile.error().message();
  const oci::Seccomp s = PlanSeccomp(*profile, {"CAP_FOWNER"}, kAmd64);
  EXPECT_EQ(s.default_action, "SCMP_ACT_ALLOW");
  EXPECT_EQ(s.architectures, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}));
  ASSERT_EQ(s.syscalls.size(), 1u);
  EXPECT_EQ(s.syscalls[0].names, (std::vector<std::string>{"mkdir", "mkdirat"}));
  EXPECT_EQ(s.syscalls[0].errno_ret, 95u);
  EXPECT_EQ(PlanSeccomp(*profile, {}, kAmd64).syscalls.size(), 2u);  // chmod too
  const oci::Seccomp arm = PlanSeccomp(*profile, {}, {.arch = "arm64", .kernel_major = 7});
  EXPECT_EQ(arm.syscalls.size(), 4u);
  EXPECT_EQ(arm.syscalls[2].args[0].value, 9u);
}

TEST(SeccompProfile, BadProfilesNameTheField) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {"[]", "seccomp profile: not a JSON object"},
      {"{", "seccomp profile: not a JSON object"},
      {R"({})", "seccomp profile: defaultAction: missing"},
      {R"({"defaultAction":"SCMP_ACT_MAYBE"})",
       "seccomp profile: defaultAction: unknown action \"SCMP_ACT_MAYBE\""},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"]}]})",
       "seccomp profile: syscalls[0].action: missing"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"action":"SCMP_ACT_ALLOW"}]})",
       "seccomp profile: syscalls[0].names: missing"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],
           "action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_ABOUT"}]}]})",
       "seccomp profile: syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ABOUT\""},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],
           "action":"SCMP_ACT_ERRNO","errnoRet":-1}]})",
       "seccomp profile: syscalls[0].errnoRet: not a non-negative integer"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":{}})",
       "seccomp profile: syscalls: not an array"},
      {R"({"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86"],
           "archMap":[{"architecture":"SCMP_ARCH_X86_64"}]})",
       "seccomp profile: architectures: both architectures and archMap are set"},
  };
  for (const Case& c : cases) {
    auto profile = DecodeSeccompProfile(c.json);
    ASSERT_FALSE(profile) << c.json;
    EXPECT_EQ(profile.error().kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(profile.error().message(), c.message);
  }
}

}  // namespace
}  // namespace berth::daemon::container
