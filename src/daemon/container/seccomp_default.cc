// docker's default seccomp profile, as data: the same decisions as dockerd's built-in profile.
#include "daemon/container/seccomp_profile.h"

namespace berth::daemon::container {
namespace {

constexpr const char* kAllow = "SCMP_ACT_ALLOW";
constexpr uint32_t kEnosys = 38;

// clone(2) flags that make new namespaces: without CAP_SYS_ADMIN, clone is allowed only when
// none of them is set.
constexpr uint64_t kNamespaceFlags = 0x7E020000;

SeccompRule Allow(std::vector<std::string> names) {
  return {.names = std::move(names), .action = kAllow};
}

SeccompRule AllowWith(std::vector<std::string> names, std::vector<std::string> caps) {
  return {.names = std::move(names), .action = kAllow, .includes = {.caps = std::move(caps)}};
}

SeccompRule AllowOn(std::vector<std::string> names, std::vector<std::string> arches) {
  return {.names = std::move(names), .action = kAllow, .includes = {.arches = std::move(arches)}};
}

// The calls any process may make: files, memory, signals, time, sockets, IPC, scheduling.
std::vector<std::string> Everyday() {
  // clang-format off
  return {
      "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget",
      "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
      "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
      "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat",
      "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
      "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
      "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
      "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2",
      "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr",
      "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
      "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_requeue", "futex_time64",
      "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu", "getcwd", "getdents",
      "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32",
      "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid",
      "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid",
      "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname",
      "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
      "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel",
      "ioctl", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get",
      "ioprio_set", "io_setup", "io_submit", "ipc", "kill", "landlock_add_rule",
      "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr",
      "link", "linkat", "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek",
      "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack", "membarrier", "memfd_create",
      "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2",
      "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
      "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
      "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
      "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open",
      "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
      "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
      "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
      "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
      "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
      "remap_file_pages", "removexattr", "rename", "renameat", "renameat2", "restart_syscall",
      "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
      "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
      "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam",
      "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
      "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
      "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
      "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile",
      "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid",
      "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid",
      "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
      "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
      "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr",
      "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
      "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs",
      "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo",
      "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
      "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
      "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate",
      "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
      "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
      "writev"};
  // clang-format on
}

SeccompProfile Build() {
  SeccompProfile p{.default_action = "SCMP_ACT_ERRNO", .default_errno_ret = 1};
  p.arch_map = {{"SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
                {"SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM"}},
                {"SCMP_ARCH_MIPS64", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"}},
                {"SCMP_ARCH_MIPSEL64", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"}},
                {"SCMP_ARCH_S390X", {"SCMP_ARCH_S390"}},
                {"SCMP_ARCH_RISCV64", {}},
                {"SCMP_ARCH_PPC64LE", {}}};
  std::vector<SeccompRule>& r = p.syscalls;
  r.push_back(Allow(Everyday()));
  // socket: every family but AF_VSOCK (40), which reaches the host's hypervisor.
  r.push_back({.names = {"socket"}, .action = kAllow, .args = {{0, 40, 0, "SCMP_CMP_NE"}}});
  // personality: Linux with or without the 2.6-uname and short-inode flags, and the query.
  for (uint64_t persona : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL}) {
    r.push_back(
        {.names = {"personality"}, .action = kAllow, .args = {{0, persona, 0, "SCMP_CMP_EQ"}}});
  }
  // Tracing and inspecting other processes: the kernel's own checks suffice since 4.8.
  const std::vector<std::string> ptrace = {
      "kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"};
  r.push_back({.names = ptrace, .action = kAllow, .includes = {.min_kernel = "4.8"}});
  r.push_back(AllowWith(ptrace, {"CAP_SYS_PTRACE"}));
  // Architecture-specific calls.
  r.push_back(AllowOn({"arch_prctl"}, {"amd64", "x32"}));
  r.push_back(AllowOn({"modify_ldt"}, {"amd64", "x32", "386"}));
  r.push_back(AllowOn({"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
                       "cacheflush", "set_tls"},
                      {"arm", "arm64"}));
  r.push_back(AllowOn({"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"},
                      {"s390", "s390x"}));
  r.push_back(AllowOn({"riscv_flush_icache"}, {"riscv64"}));
  // Namespaces, mounts and the machine's identity need CAP_SYS_ADMIN.
  r.push_back(
      AllowWith({"bpf",           "clone",         "clone3",      "fanotify_init",   "fsconfig",
                 "fsmount",       "fsopen",        "fspick",      "lookup_dcookie",  "mount",
                 "mount_setattr", "move_mount",    "open_tree",   "perf_event_open", "quotactl",
                 "quotactl_fd",   "setdomainname", "sethostname", "setns",           "syslog",
                 "umount",        "umount2",       "unshare"},
                {"CAP_SYS_ADMIN"}));
  // Without it, clone may not make namespaces (on s390 the flags are the second argument), and
  // clone3, whose flags seccomp cannot read, says ENOSYS so that libc falls back to clone.
  r.push_back({.names = {"clone"},
               .action = kAllow,
               .args = {{0, kNamespaceFlags, 0, "SCMP_CMP_MASKED_EQ"}},
               .excludes = {.caps = {"CAP_SYS_ADMIN"}, .arches = {"s390", "s390x"}}});
  r.push_back({.names = {"clone"},
               .action = kAllow,
               .args = {{1, kNamespaceFlags, 0, "SCMP_CMP_MASKED_EQ"}},
               .includes = {.arches = {"s390", "s390x"}},
               .excludes = {.caps = {"CAP_SYS_ADMIN"}}});
  r.push_back({.names = {"clone3"},
               .action = "SCMP_ACT_ERRNO",
               .errno_ret = kEnosys,
               .excludes = {.caps = {"CAP_SYS_ADMIN"}}});
  r.push_back(AllowWith({"reboot"}, {"CAP_SYS_BOOT"}));
  r.push_back(AllowWith({"chroot"}, {"CAP_SYS_CHROOT"}));
  r.push_back(AllowWith({"delete_module", "init_module", "finit_module"}, {"CAP_SYS_MODULE"}));
  r.push_back(AllowWith({"acct"}, {"CAP_SYS_PACCT"}));
  r.push_back(AllowWith({"iopl", "ioperm"}, {"CAP_SYS_RAWIO"}));
  r.push_back(
      AllowWith({"settimeofday", "stime", "clock_settime", "clock_settime64"}, {"CAP_SYS_TIME"}));
  r.push_back(AllowWith({"vhangup"}, {"CAP_SYS_TTY_CONFIG"}));
  r.push_back(AllowWith({"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"},
                        {"CAP_SYS_NICE"}));
  r.push_back(AllowWith({"syslog"}, {"CAP_SYSLOG"}));
  r.push_back(AllowWith({"open_by_handle_at"}, {"CAP_DAC_READ_SEARCH"}));
  r.push_back(AllowWith({"bpf"}, {"CAP_BPF"}));
  r.push_back(AllowWith({"perf_event_open"}, {"CAP_PERFMON"}));
  return p;
}

}  // namespace

const SeccompProfile& DefaultSeccompProfile() {
  static const SeccompProfile profile = Build();
  return profile;
}

}  // namespace berth::daemon::container
