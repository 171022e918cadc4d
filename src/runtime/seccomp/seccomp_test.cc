#include "runtime/seccomp/seccomp.h"

#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/child_process.h"

namespace berth::runtime::seccomp {
namespace {

// Exit codes of a test child that could not install its filter.
constexpr int kNoNewPrivsFailed = 250;
constexpr int kLoadFailed = 251;

constexpr const char* kMissingPath = "/nonexistent-berth-seccomp-test/dir";

oci::SeccompSyscall Rule(std::vector<std::string> names, std::string action,
                         std::optional<uint32_t> errno_ret = std::nullopt,
                         std::vector<oci::SeccompArg> args = {}) {
  return {.names = std::move(names),
          .action = std::move(action),
          .errno_ret = errno_ret,
          .args = std::move(args)};
}

oci::SeccompArg Arg(uint32_t index, std::string op, uint64_t value, uint64_t value_two = 0) {
  return {.index = index, .value = value, .value_two = value_two, .op = std::move(op)};
}

// RunChild forks a child that exits with body()'s result, and waits for it.
template <typename F>
Result<ExitStatus> RunChild(F body) {
  pid_t pid = fork();
  if (pid < 0) return Fail(ErrnoNow("fork"));
  if (pid == 0) {
    // SIGSYS dumps core by default; a child killed by its filter must not leave one behind.
    rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    _exit(body());
  }
  BERTH_ASSIGN_OR_RETURN(ChildProcess child, ChildProcess::Adopt(pid));
  return child.Wait(10'000);
}

// RunFiltered runs body in a child confined by program. no_new_privs is what lets a process
// without CAP_SYS_ADMIN install a filter.
template <typename F>
Result<ExitStatus> RunFiltered(const Program& program, F body) {
  return RunChild([&] {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return kNoNewPrivsFailed;
    if (Load(program) != 0) return kLoadFailed;
    return body();
  });
}

// ExitCode builds and runs profile around body and returns the child's exit code; a child killed
// by a signal fails the test.
template <typename F>
int ExitCode(const oci::Seccomp& profile, F body) {
  auto program = Build(profile);
  EXPECT_TRUE(program) << program.error().message();
  if (!program) return -1;
  auto status = RunFiltered(*program, body);
  EXPECT_TRUE(status) << status.error().message();
  if (!status) return -1;
  EXPECT_EQ(status->signal, 0);
  return status->exit_code;
}

bool SameFilter(const Program& a, const Program& b) {
  return a.filter.size() == b.filter.size() &&
         std::memcmp(a.filter.data(), b.filter.data(), a.filter.size() * sizeof(sock_filter)) == 0;
}

int MkdirErrno() {
  if (mkdir(kMissingPath, 0755) == 0) return 0;
  return errno;
}

TEST(SeccompBuild, RejectsEachBadField) {
  struct Case {
    std::function<void(oci::Seccomp&)> mutate;
    ErrorKind kind;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](auto& s) { s.default_action = ""; }, ErrorKind::kInvalidArgument,
       "linux.seccomp.defaultAction: missing"},
      {[](auto& s) { s.default_action = "SCMP_ACT_FOO"; }, ErrorKind::kInvalidArgument,
       "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\""},
      {[](auto& s) { s.default_action = "SCMP_ACT_NOTIFY"; }, ErrorKind::kNotImplemented,
       "linux.seccomp.defaultAction: seccomp user notification is not supported"},
      {[](auto& s) { s.default_errno_ret = EPERM; }, ErrorKind::kInvalidArgument,
       "linux.seccomp.defaultErrnoRet: SCMP_ACT_ALLOW takes no errno"},
      {[](auto& s) {
         s.default_action = "SCMP_ACT_ERRNO";
         s.default_errno_ret = 65536;
       },
       ErrorKind::kInvalidArgument,
       "linux.seccomp.defaultErrnoRet: 65536 is out of range (0-65535)"},
      {[](auto& s) { s.syscalls[1].action = "SCMP_ACT_FOO"; }, ErrorKind::kInvalidArgument,
       "linux.seccomp.syscalls[1].action: unknown action \"SCMP_ACT_FOO\""},
      {[](auto& s) { s.syscalls[1].action = ""; }, ErrorKind::kInvalidArgument,
       "linux.seccomp.syscalls[1].action: missing"},
      {[](auto& s) { s.syscalls[1].action = "SCMP_ACT_NOTIFY"; }, ErrorKind::kNotImplemented,
       "linux.seccomp.syscalls[1].action: seccomp user notification is not supported"},
      {[](auto& s) { s.syscalls[1].action = "SCMP_ACT_KILL_PROCESS"; }, ErrorKind::kInvalidArgument,
       "linux.seccomp.syscalls[1].errnoRet: SCMP_ACT_KILL_PROCESS takes no errno"},
      // A rule equal to the default action is dropped, but only after it was checked.
      {[](auto& s) { s.syscalls[1].action = "SCMP_ACT_ALLOW"; }, ErrorKind::kInvalidArgument,
       "linux.seccomp.syscalls[1].errnoRet: SCMP_ACT_ALLOW takes no errno"},
      {[](auto& s) { s.syscalls[1].errno_ret = 70000; }, ErrorKind::kInvalidArgument,
       "linux.seccomp.syscalls[1].errnoRet: 70000 is out of range (0-65535)"},
      {[](auto& s) { s.syscalls[1].names.clear(); }, ErrorKind::kInvalidArgument,
       "linux.seccomp.syscalls[1].names: must contain at least one name"},
      {[](auto& s) { s.syscalls[1].names.push_back(""); }, ErrorKind::kInvalidArgument,
       "linux.seccomp.syscalls[1].names[1]: empty name"},
      {[](auto& s) { s.syscalls[1].args[0].index = 6; }, ErrorKind::kInvalidArgument,
       "linux.seccomp.syscalls[1].args[0].index: 6 is out of range (0-5)"},
      {[](auto& s) { s.syscalls[1].args[0].op = "SCMP_CMP_FOO"; }, ErrorKind::kInvalidArgument,
       "linux.seccomp.syscalls[1].args[0].op: unknown operator \"SCMP_CMP_FOO\""},
      {[](auto& s) { s.architectures = {"SCMP_ARCH_FOO"}; }, ErrorKind::kInvalidArgument,
       "linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_FOO\""},
      {[](auto& s) {
         s.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_FOO"};
       },
       ErrorKind::kInvalidArgument,
       "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\""},
      {[](auto& s) { s.listener_path = "/run/agent.sock"; }, ErrorKind::kNotImplemented,
       "linux.seccomp.listenerPath: seccomp user notification is not supported"},
      {[](auto& s) { s.listener_metadata = "x"; }, ErrorKind::kInvalidArgument,
       "linux.seccomp.listenerMetadata: set without linux.seccomp.listenerPath"},
  };
  const oci::Seccomp valid = {
      .default_action = "SCMP_ACT_ALLOW",
      .syscalls = {Rule({"getppid"}, "SCMP_ACT_ERRNO"),
                   Rule({"mkdir"}, "SCMP_ACT_ERRNO", ENOTSUP, {Arg(1, "SCMP_CMP_EQ", 0)})},
  };
  ASSERT_TRUE(Build(valid));
  for (const Case& c : cases) {
    oci::Seccomp profile = valid;
    c.mutate(profile);
    auto program = Build(profile);
    ASSERT_FALSE(program) << c.message;
    EXPECT_EQ(program.error().message(), c.message);
    EXPECT_EQ(program.error().kind(), c.kind) << c.message;
  }
}

TEST(SeccompLoad, ErrnoRuleFailsTheNamedSyscalls) {
  auto unconfined = RunChild(MkdirErrno);
  ASSERT_TRUE(unconfined);
  EXPECT_EQ(unconfined->exit_code, ENOENT);

  // A name this libseccomp does not know is skipped, as profiles list syscalls of newer kernels.
  oci::Seccomp profile = {
      .default_action = "SCMP_ACT_ALLOW",
      .syscalls = {Rule({"mkdir", "berth_no_such_syscall", "mkdirat"}, "SCMP_ACT_ERRNO", ENOTSUP)},
  };
  EXPECT_EQ(ExitCode(profile, MkdirErrno), ENOTSUP);
  // Other syscalls keep their own result.
  EXPECT_EQ(ExitCode(profile, [] { return rmdir(kMissingPath) == 0 ? 0 : errno; }), ENOENT);
}

TEST(SeccompLoad, ErrnoDefaultsToEperm) {
  oci::Seccomp profile = {.default_action = "SCMP_ACT_ALLOW",
                          .syscalls = {Rule({"getppid"}, "SCMP_ACT_ERRNO")}};
  EXPECT_EQ(ExitCode(profile, [] { return syscall(SYS_getppid) == -1 ? errno : 0; }), EPERM);
}

TEST(SeccompLoad, DefaultErrnoWithAllowList) {
  oci::Seccomp profile = {
      .default_action = "SCMP_ACT_ERRNO",
      .default_errno_ret = ENXIO,
      .syscalls = {Rule({"exit_group", "getpid"}, "SCMP_ACT_ALLOW")},
  };
  // The child leaves with a raw exit_group: nothing else may run under so short an allow-list
  // (a sanitizer's _exit, for one, makes calls of its own).
  EXPECT_EQ(ExitCode(profile,
                     [] {
                       int code = 1;
                       if (syscall(SYS_getpid) > 0) code = syscall(SYS_getppid) == -1 ? errno : 0;
                       syscall(SYS_exit_group, code);
                       return 2;
                     }),
            ENXIO);
}

TEST(SeccompLoad, ArgumentConditionSelectsCalls) {
  // personality(0xffffffff) only queries the persona; the filter refuses exactly that call.
  oci::Seccomp profile = {
      .default_action = "SCMP_ACT_ALLOW",
      .syscalls = {Rule({"personality"}, "SCMP_ACT_ERRNO", ENOTSUP,
                        {Arg(0, "SCMP_CMP_EQ", 0xffffffff)})},
  };
  EXPECT_EQ(ExitCode(profile,
                     [] {
                       if (syscall(SYS_personality, 0xffffffffUL) != -1 || errno != ENOTSUP) {
                         return 1;
                       }
                       if (syscall(SYS_personality, 0UL) == -1) return 2;
                       return 0;
                     }),
            0);
}

TEST(SeccompLoad, ConditionsOnDistinctArgumentsMustAllHold) {
  oci::Seccomp profile = {
      .default_action = "SCMP_ACT_ALLOW",
      .syscalls = {Rule({"lseek"}, "SCMP_ACT_ERRNO", ENOTSUP,
                        {Arg(0, "SCMP_CMP_EQ", 1000), Arg(2, "SCMP_CMP_EQ", SEEK_END)})},
  };
  EXPECT_EQ(ExitCode(profile,
                     [] {
                       if (lseek(1000, 0, SEEK_END) != -1 || errno != ENOTSUP) return 1;
                       if (lseek(1000, 0, SEEK_SET) != -1 || errno != EBADF) return 2;
                       if (lseek(1001, 0, SEEK_END) != -1 || errno != EBADF) return 3;
                       return 0;
                     }),
            0);
}

TEST(SeccompLoad, ConditionsOnOneArgumentAreAlternatives) {
  oci::Seccomp profile = {
      .default_action = "SCMP_ACT_ALLOW",
      .syscalls = {Rule({"close"}, "SCMP_ACT_ERRNO", ENOTSUP,
                        {Arg(0, "SCMP_CMP_EQ", 1000), Arg(0, "SCMP_CMP_EQ", 1001)})},
  };
  EXPECT_EQ(ExitCode(profile,
                     [] {
                       if (close(1000) != -1 || errno != ENOTSUP) return 1;
                       if (close(1001) != -1 || errno != ENOTSUP) return 2;
                       if (close(1002) != -1 || errno != EBADF) return 3;
                       return 0;
                     }),
            0);
}

TEST(SeccompLoad, MaskedEqualComparesTheMaskedArgument) {
  oci::Seccomp profile = {
      .default_action = "SCMP_ACT_ALLOW",
      .syscalls = {Rule({"close"}, "SCMP_ACT_ERRNO", ENOTSUP,
                        {Arg(0, "SCMP_CMP_MASKED_EQ", 0xff00, 0x0300)})},
  };
  EXPECT_EQ(ExitCode(profile,
                     [] {
                       if (close(0x305) != -1 || errno != ENOTSUP) return 1;
                       if (close(0x3ff) != -1 || errno != ENOTSUP) return 2;
                       if (close(0x405) != -1 || errno != EBADF) return 3;
                       return 0;
                     }),
            0);
}

class SeccompKill : public testing::TestWithParam<const char*> {};

TEST_P(SeccompKill, TerminatesWithSigsys) {
  oci::Seccomp profile = {.default_action = "SCMP_ACT_ALLOW",
                          .syscalls = {Rule({"getppid"}, GetParam())}};
  auto program = Build(profile);
  ASSERT_TRUE(program) << program.error().message();
  auto status = RunFiltered(*program, [] {
    syscall(SYS_getppid);
    return 0;
  });
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(status->signal, SIGSYS) << "exit code " << status->exit_code;
}

INSTANTIATE_TEST_SUITE_P(Actions, SeccompKill,
                         testing::Values("SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD",
                                         "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP"));

TEST(SeccompBuild, RuleWithTheDefaultActionIsDropped) {
  oci::Seccomp base = {.default_action = "SCMP_ACT_ERRNO",
                       .syscalls = {Rule({"exit_group"}, "SCMP_ACT_ALLOW")}};
  auto expected = Build(base);
  ASSERT_TRUE(expected) << expected.error().message();

  oci::Seccomp redundant = base;
  redundant.syscalls.push_back(Rule({"mkdir"}, "SCMP_ACT_ERRNO", EPERM));
  redundant.syscalls.push_back(Rule({"berth_no_such_syscall"}, "SCMP_ACT_ALLOW"));
  auto same = Build(redundant);
  ASSERT_TRUE(same) << same.error().message();
  EXPECT_TRUE(SameFilter(*same, *expected));

  // Another errno is another action, so that rule stays.
  oci::Seccomp distinct = base;
  distinct.syscalls.push_back(Rule({"mkdir"}, "SCMP_ACT_ERRNO", ENOTSUP));
  auto different = Build(distinct);
  ASSERT_TRUE(different) << different.error().message();
  EXPECT_FALSE(SameFilter(*different, *expected));
}

TEST(SeccompBuild, FlagsAreSetForSeccompCall) {
  oci::Seccomp profile = {
      .default_action = "SCMP_ACT_ALLOW",
      .flags = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                "SECCOMP_FILTER_FLAG_SPEC_ALLOW"},
      .syscalls = {Rule({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO", ENOTSUP)},
  };
  auto program = Build(profile);
  ASSERT_TRUE(program) << program.error().message();
  EXPECT_EQ(program->flags,
            SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
  // The kernel accepts the flags and the filter applies.
  auto status = RunFiltered(*program, MkdirErrno);
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(status->exit_code, ENOTSUP);
}

#ifdef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
TEST(SeccompBuild, WaitKillableRecvIsAcceptedWithoutEffect) {
  oci::Seccomp profile = {.default_action = "SCMP_ACT_ALLOW",
                          .flags = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}};
  auto program = Build(profile);
  ASSERT_TRUE(program) << program.error().message();
  EXPECT_EQ(program->flags, 0u);

  // Why it is dropped: without a notification listener the kernel refuses the flag.
  Program with_flag = *program;
  with_flag.flags = SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  auto status = RunChild([&] {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return kNoNewPrivsFailed;
    return -Load(with_flag);
  });
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(status->exit_code, EINVAL);
}
#endif

#if defined(__x86_64__)
// Int80 makes an i386 system call from this x86_64 process (IA-32 emulation).
long Int80(long nr) {
  long ret = nr;
  asm volatile("int $0x80" : "+a"(ret) : : "r8", "r9", "r10", "r11", "memory");
  return ret;
}

constexpr long kI386Getpid = 20;
constexpr long kI386Getppid = 64;

TEST(SeccompBuild, ArchitecturesExtendTheFilter) {
  auto probe = RunChild([] { return Int80(kI386Getpid) == static_cast<long>(getpid()) ? 0 : 1; });
  ASSERT_TRUE(probe) << probe.error().message();
  if (probe->signal != 0 || probe->exit_code != 0) {
    GTEST_SKIP() << "the kernel runs no i386 system calls (IA-32 emulation is off)";
  }
  auto i386_getppid_errno = [] {
    long ret = Int80(kI386Getppid);
    return ret < 0 ? static_cast<int>(-ret) : 0;
  };
  oci::Seccomp native = {.default_action = "SCMP_ACT_ALLOW",
                         .syscalls = {Rule({"getppid"}, "SCMP_ACT_ERRNO", ENOTSUP)}};
  auto native_program = Build(native);
  ASSERT_TRUE(native_program) << native_program.error().message();
  // A call of an architecture the filter lacks is killed (libseccomp's bad-arch action).
  auto killed = RunFiltered(*native_program, i386_getppid_errno);
  ASSERT_TRUE(killed) << killed.error().message();
  EXPECT_EQ(killed->signal, SIGSYS);

  oci::Seccomp multi = native;
  multi.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  EXPECT_EQ(ExitCode(multi, i386_getppid_errno), ENOTSUP);

  multi.architectures = {"SCMP_ARCH_S390X"};
  auto mixed = Build(multi);
  ASSERT_FALSE(mixed);
  EXPECT_EQ(mixed.error().message(),
            "linux.seccomp.architectures[0]: \"SCMP_ARCH_S390X\" has another byte order than the "
            "filter's architectures");
}
#endif

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(SeccompFeatures, ListsWhatBuildAccepts) {
  std::vector<std::string> actions = SupportedActions();
  EXPECT_EQ(actions.size(), 8u);
  EXPECT_FALSE(Contains(actions, "SCMP_ACT_NOTIFY"));
  for (const std::string& action : actions) {
    auto program = Build({.default_action = action});
    EXPECT_TRUE(program) << action << ": " << program.error().message();
  }
  std::vector<std::string> operators = SupportedOperators();
  EXPECT_EQ(operators.size(), 7u);
  for (const std::string& op : operators) {
    auto program = Build({.default_action = "SCMP_ACT_ALLOW",
                          .syscalls = {Rule({"close"}, "SCMP_ACT_ERRNO", {}, {Arg(0, op, 1)})}});
    EXPECT_TRUE(program) << op << ": " << program.error().message();
  }
  std::vector<std::string> flags = SupportedFlags();
  EXPECT_TRUE(Contains(flags, "SECCOMP_FILTER_FLAG_TSYNC"));
  EXPECT_TRUE(Build({.default_action = "SCMP_ACT_ALLOW", .flags = flags}));
  std::vector<std::string> architectures = SupportedArchitectures();
  EXPECT_TRUE(Contains(architectures, "SCMP_ARCH_X86_64"));
  EXPECT_TRUE(Contains(architectures, "SCMP_ARCH_AARCH64"));
  EXPECT_FALSE(Contains(architectures, "SCMP_ARCH_NATIVE"));
}

}  // namespace
}  // namespace berth::runtime::seccomp
