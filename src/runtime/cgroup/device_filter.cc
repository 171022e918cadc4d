#include "runtime/cgroup/device_filter.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/unique_fd.h"

namespace berth::runtime::cgroup {
namespace {

// Registers of the program: R1 holds the context (struct bpf_cgroup_dev_ctx) on entry.
constexpr uint8_t kR0 = 0, kR1 = 1, kType = 2, kAccess = 3, kMajor = 4, kMinor = 5;

bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn insn{};
  insn.code = code;
  insn.dst_reg = dst & 0xf;
  insn.src_reg = src & 0xf;
  insn.off = off;
  insn.imm = imm;
  return insn;
}

bpf_insn LoadWord(uint8_t dst, int16_t offset) {
  return Insn(BPF_LDX | BPF_MEM | BPF_W, dst, kR1, offset, 0);
}
bpf_insn MoveReg(uint8_t dst, uint8_t src) {
  return Insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
bpf_insn MoveImm(uint8_t dst, int32_t imm) {
  return Insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
bpf_insn ShiftRight(uint8_t dst, int32_t imm) {
  return Insn(BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm);
}
bpf_insn AndImm(uint8_t dst, int32_t imm) {
  return Insn(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm);
}
// Jumps by off instructions when (dst & imm) != 0.
bpf_insn JumpIfAnyBit(uint8_t dst, int32_t imm, int16_t off) {
  return Insn(BPF_JMP | BPF_JSET | BPF_K, dst, 0, off, imm);
}
// Jumps when the low 32 bits of dst differ from imm (majors and minors are 32-bit).
bpf_insn JumpIfNotEqual32(uint8_t dst, uint32_t imm, int16_t off) {
  return Insn(BPF_JMP32 | BPF_JNE | BPF_K, dst, 0, off, static_cast<int32_t>(imm));
}
bpf_insn Jump(int16_t off) { return Insn(BPF_JMP | BPF_JA, 0, 0, off, 0); }
bpf_insn Exit() { return Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

// One rule's test for one access bit: checks that jump past the rule on a mismatch, then the
// verdict. Returns false when the rule matches unconditionally (nothing after it is reachable).
bool EmitRule(const DeviceRule& rule, std::vector<bpf_insn>& body, std::vector<size_t>& to_end) {
  std::vector<bpf_insn> checks;
  if (rule.type != 'a') {
    checks.push_back(
        JumpIfNotEqual32(kType, rule.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0));
  }
  if (rule.major >= 0) checks.push_back(JumpIfNotEqual32(kMajor, rule.major, 0));
  if (rule.minor >= 0) checks.push_back(JumpIfNotEqual32(kMinor, rule.minor, 0));
  int verdict_length = rule.allow ? 1 : 2;
  for (size_t i = 0; i < checks.size(); ++i) {
    checks[i].off = static_cast<int16_t>(checks.size() - i - 1 + verdict_length);
    body.push_back(checks[i]);
  }
  if (rule.allow) {
    to_end.push_back(body.size());
    body.push_back(Jump(0));
  } else {
    body.push_back(MoveImm(kR0, 0));
    body.push_back(Exit());
  }
  return !checks.empty();
}

// The section deciding one access bit: skipped when the request lacks the bit; otherwise the
// rules that mention the bit are tried last to first, and the first match decides.
void EmitSection(const std::vector<DeviceRule>& rules, uint8_t bit, std::vector<bpf_insn>& out) {
  std::vector<bpf_insn> body;
  std::vector<size_t> to_end;
  bool reachable = true;
  for (auto it = rules.rbegin(); it != rules.rend() && reachable; ++it) {
    if (it->access & bit) reachable = EmitRule(*it, body, to_end);
  }
  if (reachable) {  // no rule matched: denied
    body.push_back(MoveImm(kR0, 0));
    body.push_back(Exit());
  }
  for (size_t index : to_end) body[index].off = static_cast<int16_t>(body.size() - index - 1);
  out.push_back(JumpIfAnyBit(kAccess, bit, 1));
  out.push_back(Jump(static_cast<int16_t>(body.size())));
  out.insert(out.end(), body.begin(), body.end());
}

long Bpf(int cmd, bpf_attr& attr) { return syscall(SYS_bpf, cmd, &attr, sizeof(attr)); }

Result<UniqueFd> LoadProgram(const std::vector<bpf_insn>& program) {
  static const char kLicense[] = "GPL";  // no helpers are called; the string grants nothing
  std::array<char, 16384> log{};
  for (uint32_t log_level : {0u, 1u}) {  // the verifier's log is only fetched on failure
    bpf_attr attr{};
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = reinterpret_cast<uintptr_t>(program.data());
    attr.insn_cnt = static_cast<uint32_t>(program.size());
    attr.license = reinterpret_cast<uintptr_t>(kLicense);
    std::strncpy(attr.prog_name, "berth_devices", sizeof(attr.prog_name) - 1);
    if (log_level != 0) {
      attr.log_level = log_level;
      attr.log_buf = reinterpret_cast<uintptr_t>(log.data());
      attr.log_size = log.size();
    }
    long fd = Bpf(BPF_PROG_LOAD, attr);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (log_level != 0 || (errno != EACCES && errno != EINVAL)) {
      Error error = ErrnoNow("bpf(BPF_PROG_LOAD) of the device program");
      if (log[0] == '\0') return Fail(std::move(error));
      return Fail(
          Error(error.kind(), error.message() + "; verifier: " + log.data(), error.sys_errno()));
    }
  }
  return Fail(ErrorKind::kInternal, "bpf(BPF_PROG_LOAD) of the device program: no result");
}

Result<std::vector<uint32_t>> AttachedPrograms(int cgroup_fd, const std::string& dir) {
  std::vector<uint32_t> ids(64);
  bpf_attr attr{};
  attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = reinterpret_cast<uintptr_t>(ids.data());
  attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
  if (Bpf(BPF_PROG_QUERY, attr) < 0) return Fail(ErrnoNow("bpf(BPF_PROG_QUERY) on " + dir));
  ids.resize(attr.query.prog_cnt);
  return ids;
}

Status Detach(int cgroup_fd, uint32_t id, const std::string& dir) {
  bpf_attr get{};
  get.prog_id = id;
  UniqueFd prog(static_cast<int>(Bpf(BPF_PROG_GET_FD_BY_ID, get)));
  if (!prog) {
    if (errno == ENOENT) return Ok();  // already gone
    return Fail(ErrnoNow(fmt::format("bpf(BPF_PROG_GET_FD_BY_ID) of program {}", id)));
  }
  bpf_attr detach{};
  detach.target_fd = static_cast<uint32_t>(cgroup_fd);
  detach.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  detach.attach_type = BPF_CGROUP_DEVICE;
  if (Bpf(BPF_PROG_DETACH, detach) < 0 && errno != ENOENT) {
    return Fail(ErrnoNow(fmt::format("bpf(BPF_PROG_DETACH) of program {} from {}", id, dir)));
  }
  return Ok();
}

Result<uint8_t> ParseAccess(const std::string& access, size_t index) {
  if (access.empty()) return kAccessAll;
  uint8_t bits = 0;
  for (char c : access) {
    switch (c) {
      case 'r':
        bits |= kAccessRead;
        break;
      case 'w':
        bits |= kAccessWrite;
        break;
      case 'm':
        bits |= kAccessMknod;
        break;
      default:
        return Fail(ErrorKind::kInvalidArgument,
                    fmt::format("check linux.resources.devices[{}].access: \"{}\" is not a "
                                "combination of r, w and m",
                                index, access));
    }
  }
  return bits;
}

Result<int64_t> ParseNumber(const std::optional<int64_t>& n, const char* field, size_t index) {
  if (!n || *n < 0) return -1;
  if (*n > UINT32_MAX) {
    return Fail(
        ErrorKind::kInvalidArgument,
        fmt::format("check linux.resources.devices[{}].{}: {} is too large", index, field, *n));
  }
  return *n;
}

}  // namespace

Result<std::vector<DeviceRule>> NormalizeDeviceRules(
    const std::vector<oci::DeviceCgroupRule>& rules) {
  std::vector<DeviceRule> out;
  for (size_t i = 0; i < rules.size(); ++i) {
    const oci::DeviceCgroupRule& r = rules[i];
    DeviceRule rule{.allow = r.allow};
    if (r.type == "b" || r.type == "c") {
      rule.type = r.type[0];
    } else if (!r.type.empty() && r.type != "a") {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("check linux.resources.devices[{}].type: \"{}\" is not a, b or c", i,
                              r.type));
    }
    BERTH_ASSIGN_OR_RETURN(rule.major, ParseNumber(r.major, "major", i));
    BERTH_ASSIGN_OR_RETURN(rule.minor, ParseNumber(r.minor, "minor", i));
    BERTH_ASSIGN_OR_RETURN(rule.access, ParseAccess(r.access, i));
    out.push_back(rule);
  }
  return out;
}

std::vector<bpf_insn> DeviceFilterProgram(const std::vector<DeviceRule>& rules) {
  // access_type is (access << 16) | type; major and minor follow it (struct bpf_cgroup_dev_ctx).
  std::vector<bpf_insn> program = {
      LoadWord(kType, offsetof(bpf_cgroup_dev_ctx, access_type)),
      MoveReg(kAccess, kType),
      ShiftRight(kAccess, 16),
      AndImm(kType, 0xffff),
      LoadWord(kMajor, offsetof(bpf_cgroup_dev_ctx, major)),
      LoadWord(kMinor, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  for (uint8_t bit : {kAccessMknod, kAccessRead, kAccessWrite}) EmitSection(rules, bit, program);
  program.push_back(MoveImm(kR0, 1));  // every requested bit was allowed
  program.push_back(Exit());
  return program;
}

Status AttachDeviceFilter(const std::string& cgroup_dir, const std::vector<bpf_insn>& program) {
  UniqueFd dir(open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return Fail(ErrnoNow("open " + cgroup_dir));
  BERTH_ASSIGN_OR_RETURN(std::vector<uint32_t> old, AttachedPrograms(dir.get(), cgroup_dir));
  BERTH_ASSIGN_OR_RETURN(UniqueFd prog, LoadProgram(program));
  bpf_attr attach{};
  attach.target_fd = static_cast<uint32_t>(dir.get());
  attach.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (Bpf(BPF_PROG_ATTACH, attach) < 0) {
    return Fail(ErrnoNow("bpf(BPF_PROG_ATTACH) of the device program to " + cgroup_dir));
  }
  for (uint32_t id : old) BERTH_TRY(Detach(dir.get(), id, cgroup_dir));
  return Ok();
}

}  // namespace berth::runtime::cgroup
