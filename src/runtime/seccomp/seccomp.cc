#include "runtime/seccomp/seccomp.h"

#include <fmt/format.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "base/log.h"
#include "base/unique_fd.h"

namespace berth::runtime::seccomp {
namespace {

// A system call has at most six arguments (syscall(2)).
constexpr uint32_t kMaxSyscallArgs = 6;

// libseccomp lays out long rule lists as a binary tree when asked (SCMP_FLTATR_CTL_OPTIMIZE = 2),
// which pays off for profiles such as Docker's default with hundreds of syscalls. Below this many
// rules the plain list is as good, and libseccomp up to 2.5.4 misbehaves when the tree is asked
// for a filter without rules.
constexpr size_t kBinaryTreeMinRules = 32;

struct ActionSpec {
  std::string_view name;
  uint32_t action;
  bool takes_errno;  // the low 16 bits carry errnoRet (ERRNO) or the tracer's value (TRACE)
};

// The spec's names (config-linux.md "Seccomp"). SCMP_ACT_KILL is libseccomp's historic name for
// killing the thread. SCMP_ACT_NOTIFY is recognised separately: it is refused.
constexpr ActionSpec kActions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
};
constexpr std::string_view kNotifyAction = "SCMP_ACT_NOTIFY";

struct OperatorSpec {
  std::string_view name;
  scmp_compare op;
};

constexpr OperatorSpec kOperators[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

// The architectures the spec lists. libseccomp names each by the lower-case suffix
// ("SCMP_ARCH_X86_64" is "x86_64"), so whether this libseccomp knows one is asked at run time.
constexpr std::string_view kArchPrefix = "SCMP_ARCH_";
constexpr std::string_view kArchitectures[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
};

struct FlagSpec {
  std::string_view name;
  unsigned int bits;
};

constexpr FlagSpec kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
#ifdef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
    // Only meaningful with a user-notification listener: seccomp(2) refuses it with EINVAL unless
    // SECCOMP_FILTER_FLAG_NEW_LISTENER is also set. Notification is not supported, so the flag is
    // accepted (profiles carry it) and sets nothing.
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 0},
#endif
};

template <typename T, size_t N>
const T* FindByName(const T (&table)[N], std::string_view name) {
  for (const T& entry : table) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

struct FilterRelease {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using FilterPtr = std::unique_ptr<void, FilterRelease>;

Status CheckListener(const oci::Seccomp& seccomp) {
  if (!seccomp.listener_path.empty()) {
    return Fail(ErrorKind::kNotImplemented,
                "linux.seccomp.listenerPath: seccomp user notification is not supported");
  }
  if (!seccomp.listener_metadata.empty()) {
    return Fail(ErrorKind::kInvalidArgument,
                "linux.seccomp.listenerMetadata: set without linux.seccomp.listenerPath");
  }
  return Ok();
}

// ParseAction turns an action name and its optional errno into libseccomp's action value.
Result<uint32_t> ParseAction(std::string_view name, const std::optional<uint32_t>& errno_ret,
                             std::string_view field, std::string_view errno_field) {
  if (name.empty()) return Fail(ErrorKind::kInvalidArgument, fmt::format("{}: missing", field));
  if (name == kNotifyAction) {
    return Fail(ErrorKind::kNotImplemented,
                fmt::format("{}: seccomp user notification is not supported", field));
  }
  const ActionSpec* spec = FindByName(kActions, name);
  if (spec == nullptr) {
    return Fail(ErrorKind::kInvalidArgument, fmt::format("{}: unknown action \"{}\"", field, name));
  }
  if (!spec->takes_errno) {
    // The spec: when the action does not support an errno, the runtime must fail.
    if (errno_ret) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}: {} takes no errno", errno_field, spec->name));
    }
    return spec->action;
  }
  uint32_t data = errno_ret.value_or(EPERM);
  if (data > SECCOMP_RET_DATA) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: {} is out of range (0-{})", errno_field, data, SECCOMP_RET_DATA));
  }
  return spec->action | data;
}

Result<unsigned int> ParseFlags(const std::vector<std::string>& names) {
  unsigned int flags = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    const FlagSpec* spec = FindByName(kFlags, names[i]);
    if (spec == nullptr) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("linux.seccomp.flags[{}]: unknown flag \"{}\"", i, names[i]));
    }
    flags |= spec->bits;
  }
  return flags;
}

// ResolveArch returns libseccomp's token for a spec name, or 0 when this libseccomp lacks it.
uint32_t ResolveArch(std::string_view name) {
  std::string token(name.substr(kArchPrefix.size()));
  for (char& c : token) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return seccomp_arch_resolve_name(token.c_str());
}

bool IsSpecArch(std::string_view name) {
  for (std::string_view known : kArchitectures) {
    if (known == name) return true;
  }
  return false;
}

Status AddArchitectures(scmp_filter_ctx ctx, const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    std::string field = fmt::format("linux.seccomp.architectures[{}]", i);
    if (!IsSpecArch(names[i])) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}: unknown architecture \"{}\"", field, names[i]));
    }
    uint32_t token = ResolveArch(names[i]);
    if (token == 0) {
      return Fail(ErrorKind::kNotImplemented,
                  fmt::format("{}: architecture \"{}\" is not supported by libseccomp {}.{}.{}",
                              field, names[i], SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO));
    }
    // The native architecture is in every new filter; naming it again is not an error.
    int rc = seccomp_arch_add(ctx, token);
    if (rc == -EDOM) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}: \"{}\" has another byte order than the filter's architectures",
                              field, names[i]));
    }
    if (rc < 0 && rc != -EEXIST) {
      return Fail(Errno(-rc, fmt::format("{}: add architecture \"{}\"", field, names[i])));
    }
  }
  return Ok();
}

Result<std::vector<scmp_arg_cmp>> ParseArgs(const std::vector<oci::SeccompArg>& args,
                                            std::string_view field) {
  std::vector<scmp_arg_cmp> conditions;
  for (size_t i = 0; i < args.size(); ++i) {
    const oci::SeccompArg& arg = args[i];
    if (arg.index >= kMaxSyscallArgs) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}.args[{}].index: {} is out of range (0-{})", field, i, arg.index,
                              kMaxSyscallArgs - 1));
    }
    const OperatorSpec* spec = FindByName(kOperators, arg.op);
    if (spec == nullptr) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("{}.args[{}].op: unknown operator \"{}\"", field, i, arg.op));
    }
    // For SCMP_CMP_MASKED_EQ, value is the mask and valueTwo the value the masked argument equals.
    conditions.push_back(scmp_arg_cmp{
        .arg = arg.index, .op = spec->op, .datum_a = arg.value, .datum_b = arg.value_two});
  }
  return conditions;
}

bool ReusesArgIndex(const std::vector<scmp_arg_cmp>& conditions) {
  bool seen[kMaxSyscallArgs] = {};
  for (const scmp_arg_cmp& condition : conditions) {
    if (seen[condition.arg]) return true;
    seen[condition.arg] = true;
  }
  return false;
}

// AddRules adds the rules of one syscall. Conditions on distinct arguments form one rule, matched
// when all of them hold. libseccomp refuses (EINVAL) a rule that tests one argument twice, so when
// conditions share an index each becomes a rule of its own and the syscall matches when any one
// holds; runc reads such profiles the same way, so they behave alike under both runtimes.
Status AddRules(scmp_filter_ctx ctx, uint32_t action, int nr,
                const std::vector<scmp_arg_cmp>& conditions, std::string_view what) {
  if (!ReusesArgIndex(conditions)) {
    int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned int>(conditions.size()),
                                    conditions.data());
    if (rc < 0) return Fail(Errno(-rc, fmt::format("add rule for {}", what)));
    return Ok();
  }
  for (const scmp_arg_cmp& condition : conditions) {
    int rc = seccomp_rule_add_array(ctx, action, nr, 1, &condition);
    if (rc < 0) return Fail(Errno(-rc, fmt::format("add rule for {}", what)));
  }
  return Ok();
}

// AddSyscall validates linux.seccomp.syscalls[index] and adds its rules; it counts the syscalls
// added in *rule_count.
Status AddSyscall(scmp_filter_ctx ctx, const oci::SeccompSyscall& entry, size_t index,
                  uint32_t default_action, size_t* rule_count) {
  std::string field = fmt::format("linux.seccomp.syscalls[{}]", index);
  if (entry.names.empty()) {
    return Fail(ErrorKind::kInvalidArgument, field + ".names: must contain at least one name");
  }
  BERTH_ASSIGN_OR_RETURN(uint32_t action, ParseAction(entry.action, entry.errno_ret,
                                                      field + ".action", field + ".errnoRet"));
  BERTH_ASSIGN_OR_RETURN(std::vector<scmp_arg_cmp> conditions, ParseArgs(entry.args, field));
  for (size_t i = 0; i < entry.names.size(); ++i) {
    if (entry.names[i].empty()) {
      return Fail(ErrorKind::kInvalidArgument, fmt::format("{}.names[{}]: empty name", field, i));
    }
  }
  // libseccomp refuses a rule whose action is the default one; such a rule changes nothing.
  if (action == default_action) return Ok();
  for (const std::string& name : entry.names) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) {
      log::Debug("seccomp: syscall \"{}\" of {} is unknown to libseccomp, skipped", name, field);
      continue;
    }
    BERTH_TRY(Annotate(AddRules(ctx, action, nr, conditions, fmt::format("\"{}\"", name)), field));
    ++*rule_count;
  }
  return Ok();
}

// Export writes the filter as BPF into a memfd (libseccomp 2.5 exports only to a descriptor) and
// reads the instructions back.
Result<std::vector<sock_filter>> Export(scmp_filter_ctx ctx) {
  UniqueFd fd(memfd_create("berth-seccomp-bpf", MFD_CLOEXEC));
  if (!fd) return Fail(ErrnoNow("memfd_create for the seccomp filter"));
  int rc = seccomp_export_bpf(ctx, fd.get());
  if (rc < 0) return Fail(Errno(-rc, "export seccomp filter"));
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return Fail(ErrnoNow("fstat exported seccomp filter"));
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0 || size % sizeof(sock_filter) != 0) {
    return Fail(ErrorKind::kInternal,
                fmt::format("export seccomp filter: {} bytes is no whole BPF program", size));
  }
  std::vector<sock_filter> filter(size / sizeof(sock_filter));
  auto* out = reinterpret_cast<char*>(filter.data());
  size_t done = 0;
  while (done < size) {
    ssize_t n = pread(fd.get(), out + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrnoNow("read exported seccomp filter"));
    if (n == 0) return Fail(ErrorKind::kInternal, "read exported seccomp filter: short file");
    done += static_cast<size_t>(n);
  }
  return filter;
}

Status SetAttribute(scmp_filter_ctx ctx, scmp_filter_attr attr, uint32_t value,
                    std::string_view name) {
  int rc = seccomp_attr_set(ctx, attr, value);
  if (rc < 0) return Fail(Errno(-rc, fmt::format("set seccomp filter attribute {}", name)));
  return Ok();
}

}  // namespace

Result<Program> Build(const oci::Seccomp& seccomp) {
  BERTH_TRY(CheckListener(seccomp));
  BERTH_ASSIGN_OR_RETURN(
      uint32_t default_action,
      ParseAction(seccomp.default_action, seccomp.default_errno_ret, "linux.seccomp.defaultAction",
                  "linux.seccomp.defaultErrnoRet"));
  Program program;
  BERTH_ASSIGN_OR_RETURN(program.flags, ParseFlags(seccomp.flags));

  FilterPtr filter(seccomp_init(default_action));
  if (!filter) {
    return Fail(ErrorKind::kInternal,
                fmt::format("create seccomp filter with default action {}: libseccomp refused",
                            seccomp.default_action));
  }
  // The runtime sets no_new_privs itself when process.noNewPrivileges asks for it; the filter
  // must not force it (libseccomp's default would, if it loaded the filter).
  BERTH_TRY(SetAttribute(filter.get(), SCMP_FLTATR_CTL_NNP, 0, "SCMP_FLTATR_CTL_NNP"));
  BERTH_TRY(AddArchitectures(filter.get(), seccomp.architectures));
  size_t rule_count = 0;
  for (size_t i = 0; i < seccomp.syscalls.size(); ++i) {
    BERTH_TRY(AddSyscall(filter.get(), seccomp.syscalls[i], i, default_action, &rule_count));
  }
  if (rule_count > kBinaryTreeMinRules) {
    BERTH_TRY(SetAttribute(filter.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2, "SCMP_FLTATR_CTL_OPTIMIZE"));
  }
  BERTH_ASSIGN_OR_RETURN(program.filter, Export(filter.get()));
  if (program.filter.size() > BPF_MAXINSNS) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("linux.seccomp: the filter has {} instructions, more than the "
                            "kernel's limit of {}",
                            program.filter.size(), BPF_MAXINSNS));
  }
  return program;
}

int Load(const Program& program) noexcept {
  sock_fprog fprog{};
  fprog.len = static_cast<unsigned short>(program.filter.size());
  fprog.filter = const_cast<sock_filter*>(program.filter.data());
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, program.flags, &fprog);
  if (rc < 0) return -errno;
  // With SECCOMP_FILTER_FLAG_TSYNC a positive result is the id of a thread that could not be
  // synchronized; nothing was installed.
  if (rc > 0) return -ESRCH;
  return 0;
}

std::vector<std::string> SupportedActions() {
  std::vector<std::string> names;
  for (const ActionSpec& spec : kActions) names.emplace_back(spec.name);
  return names;
}

std::vector<std::string> SupportedOperators() {
  std::vector<std::string> names;
  for (const OperatorSpec& spec : kOperators) names.emplace_back(spec.name);
  return names;
}

std::vector<std::string> SupportedArchitectures() {
  std::vector<std::string> names;
  for (std::string_view name : kArchitectures) {
    if (ResolveArch(name) != 0) names.emplace_back(name);
  }
  return names;
}

std::vector<std::string> SupportedFlags() {
  std::vector<std::string> names;
  for (const FlagSpec& spec : kFlags) names.emplace_back(spec.name);
  return names;
}

}  // namespace berth::runtime::seccomp
