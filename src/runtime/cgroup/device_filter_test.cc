#include "runtime/cgroup/device_filter.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace berth::runtime::cgroup {
namespace {

struct Request {
  char type;  // 'b' or 'c'
  uint8_t access;
  uint32_t major;
  uint32_t minor;
};

// A tiny interpreter for the instructions the generator uses. Fails the test on anything else,
// on a backward or out-of-range jump and on running off the end.
int Interpret(const std::vector<bpf_insn>& program, const Request& req) {
  uint32_t type = req.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
  uint32_t ctx[3] = {static_cast<uint32_t>(req.access) << 16 | type, req.major, req.minor};
  uint64_t reg[11] = {};
  for (size_t pc = 0; pc < program.size(); ++pc) {
    const bpf_insn& in = program[pc];
    uint64_t imm = static_cast<uint64_t>(static_cast<int64_t>(in.imm));
    size_t target = pc + 1 + in.off;
    switch (in.code) {
      case BPF_LDX | BPF_MEM | BPF_W:
        EXPECT_EQ(in.src_reg, 1);
        EXPECT_TRUE(in.off == 0 || in.off == 4 || in.off == 8) << in.off;
        reg[in.dst_reg] = ctx[in.off / 4];
        continue;
      case BPF_ALU64 | BPF_MOV | BPF_X:
        reg[in.dst_reg] = reg[in.src_reg];
        continue;
      case BPF_ALU64 | BPF_MOV | BPF_K:
        reg[in.dst_reg] = imm;
        continue;
      case BPF_ALU64 | BPF_RSH | BPF_K:
        reg[in.dst_reg] >>= in.imm;
        continue;
      case BPF_ALU64 | BPF_AND | BPF_K:
        reg[in.dst_reg] &= imm;
        continue;
      case BPF_JMP | BPF_EXIT:
        return static_cast<int>(reg[0]);
    }
    bool taken = false;
    switch (in.code) {
      case BPF_JMP | BPF_JA:
        taken = true;
        break;
      case BPF_JMP | BPF_JSET | BPF_K:
        taken = (reg[in.dst_reg] & imm) != 0;
        break;
      case BPF_JMP32 | BPF_JNE | BPF_K:
        taken = static_cast<uint32_t>(reg[in.dst_reg]) != static_cast<uint32_t>(in.imm);
        break;
      default:
        ADD_FAILURE() << "unexpected opcode " << int(in.code) << " at " << pc;
        return -1;
    }
    EXPECT_GE(in.off, 0) << "backward jump at " << pc;
    EXPECT_LT(target, program.size()) << "jump out of the program at " << pc;
    if (taken) pc = target - 1;
  }
  ADD_FAILURE() << "ran off the end of the program";
  return -1;
}

// The spec's semantics, evaluated directly: every requested bit must be allowed by the last rule
// that matches the device and mentions the bit.
bool Reference(const std::vector<DeviceRule>& rules, const Request& req) {
  for (uint8_t bit : {kAccessMknod, kAccessRead, kAccessWrite}) {
    if ((req.access & bit) == 0) continue;
    bool allowed = false;
    for (const DeviceRule& r : rules) {
      bool match = (r.type == 'a' || r.type == req.type) && (r.major < 0 || r.major == req.major) &&
                   (r.minor < 0 || r.minor == req.minor) && (r.access & bit);
      if (match) allowed = r.allow;
    }
    if (!allowed) return false;
  }
  return true;
}

// The verifier refuses unreachable instructions; every one must be reachable.
void ExpectAllReachable(const std::vector<bpf_insn>& program) {
  std::set<size_t> seen;
  std::vector<size_t> todo = {0};
  while (!todo.empty()) {
    size_t pc = todo.back();
    todo.pop_back();
    if (pc >= program.size() || !seen.insert(pc).second) continue;
    const bpf_insn& in = program[pc];
    uint8_t cls = in.code & 0x07;
    if (in.code == (BPF_JMP | BPF_EXIT)) continue;
    if (in.code == (BPF_JMP | BPF_JA)) {
      todo.push_back(pc + 1 + in.off);
      continue;
    }
    if (cls == BPF_JMP || cls == BPF_JMP32) todo.push_back(pc + 1 + in.off);
    todo.push_back(pc + 1);
  }
  EXPECT_EQ(seen.size(), program.size());
}

std::vector<DeviceRule> Normalize(const std::vector<oci::DeviceCgroupRule>& rules) {
  Result<std::vector<DeviceRule>> out = NormalizeDeviceRules(rules);
  EXPECT_TRUE(out) << out.error().message();
  return out ? *out : std::vector<DeviceRule>{};
}

TEST(NormalizeDeviceRulesTest, DefaultsAndErrors) {
  std::vector<DeviceRule> rules =
      Normalize({{.allow = false, .access = ""},
                 {.allow = true, .type = "c", .major = 1, .minor = -1, .access = "mr"}});
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_TRUE(rules[0].All());
  EXPECT_FALSE(rules[0].allow);
  EXPECT_EQ(rules[1], (DeviceRule{.allow = true,
                                  .type = 'c',
                                  .major = 1,
                                  .minor = -1,
                                  .access = kAccessMknod | kAccessRead}));
  EXPECT_FALSE(NormalizeDeviceRules({{.type = "p"}}));
  EXPECT_FALSE(NormalizeDeviceRules({{.type = "c", .access = "rwx"}}));
  EXPECT_FALSE(NormalizeDeviceRules({{.type = "c", .major = int64_t{1} << 33}}));
}

TEST(DeviceFilterProgramTest, TypicalContainerRules) {
  // Deny everything, then allow /dev/null (c 1:3), ptys (c 136:*) and mknod of any char device.
  std::vector<DeviceRule> rules =
      Normalize({{.allow = false, .access = "rwm"},
                 {.allow = true, .type = "c", .major = 1, .minor = 3, .access = "rwm"},
                 {.allow = true, .type = "c", .major = 136, .access = "rw"},
                 {.allow = true, .type = "c", .access = "m"}});
  std::vector<bpf_insn> program = DeviceFilterProgram(rules);
  ExpectAllReachable(program);
  EXPECT_EQ(Interpret(program, {'c', kAccessRead | kAccessWrite, 1, 3}), 1);
  EXPECT_EQ(Interpret(program, {'b', kAccessRead, 1, 3}), 0);
  EXPECT_EQ(Interpret(program, {'c', kAccessRead, 1, 5}), 0);
  EXPECT_EQ(Interpret(program, {'c', kAccessWrite, 136, 9}), 1);
  EXPECT_EQ(Interpret(program, {'c', kAccessMknod, 136, 9}), 1);
  EXPECT_EQ(Interpret(program, {'c', kAccessMknod | kAccessRead, 8, 0}), 0);
  EXPECT_EQ(Interpret(program, {'b', kAccessMknod, 8, 0}), 0);
}

TEST(DeviceFilterProgramTest, NoRulesDenyAndAllowAllAllows) {
  std::vector<bpf_insn> none = DeviceFilterProgram({});
  ExpectAllReachable(none);
  EXPECT_EQ(Interpret(none, {'c', kAccessRead, 1, 3}), 0);
  std::vector<bpf_insn> all = DeviceFilterProgram(Normalize({{.allow = true, .access = "rwm"}}));
  ExpectAllReachable(all);
  EXPECT_EQ(Interpret(all, {'b', kAccessAll, 8, 0}), 1);
}

TEST(DeviceFilterProgramTest, LaterRulesOverrideEarlierOnesPerAccessBit) {
  // Allow all, then deny writes to c 1:3: reads of it stay allowed, writes do not, until a later
  // rule allows writes again.
  std::vector<DeviceRule> rules =
      Normalize({{.allow = true, .access = "rwm"},
                 {.allow = false, .type = "c", .major = 1, .minor = 3, .access = "w"}});
  std::vector<bpf_insn> program = DeviceFilterProgram(rules);
  ExpectAllReachable(program);
  EXPECT_EQ(Interpret(program, {'c', kAccessRead, 1, 3}), 1);
  EXPECT_EQ(Interpret(program, {'c', kAccessRead | kAccessWrite, 1, 3}), 0);
  EXPECT_EQ(Interpret(program, {'c', kAccessWrite, 1, 4}), 1);
  rules.push_back(
      DeviceRule{.allow = true, .type = 'c', .major = 1, .minor = 3, .access = kAccessWrite});
  program = DeviceFilterProgram(rules);
  EXPECT_EQ(Interpret(program, {'c', kAccessRead | kAccessWrite, 1, 3}), 1);
}

TEST(DeviceFilterProgramTest, LargeDeviceNumbersCompareAs32Bit) {
  std::vector<DeviceRule> rules = {DeviceRule{
      .allow = true, .type = 'c', .major = 4000000000, .minor = 1, .access = kAccessAll}};
  std::vector<bpf_insn> program = DeviceFilterProgram(rules);
  EXPECT_EQ(Interpret(program, {'c', kAccessRead, 4000000000u, 1}), 1);
  EXPECT_EQ(Interpret(program, {'c', kAccessRead, 4000000001u, 1}), 0);
}

TEST(DeviceFilterProgramTest, AgreesWithTheSpecOnRandomRuleSets) {
  std::mt19937 rng(20240611);
  auto pick = [&rng](auto... options) -> std::common_type_t<decltype(options)...> {
    std::vector<std::common_type_t<decltype(options)...>> v = {options...};
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
  };
  for (int round = 0; round < 300; ++round) {
    std::vector<DeviceRule> rules;
    int count = std::uniform_int_distribution<int>(0, 6)(rng);
    for (int i = 0; i < count; ++i) {
      rules.push_back(DeviceRule{.allow = pick(true, false),
                                 .type = pick('a', 'b', 'c'),
                                 .major = pick(int64_t{-1}, int64_t{1}, int64_t{5}),
                                 .minor = pick(int64_t{-1}, int64_t{3}, int64_t{7}),
                                 .access = static_cast<uint8_t>(pick(1, 2, 3, 4, 5, 6, 7))});
    }
    std::vector<bpf_insn> program = DeviceFilterProgram(rules);
    ExpectAllReachable(program);
    for (char type : {'b', 'c'}) {
      for (uint32_t major : {1u, 5u, 9u}) {
        for (uint32_t minor : {3u, 7u, 8u}) {
          for (uint8_t access = 1; access <= kAccessAll; ++access) {
            Request req{type, access, major, minor};
            ASSERT_EQ(Interpret(program, req), Reference(rules, req) ? 1 : 0)
                << "round " << round << " " << type << " " << major << ":" << minor << " access "
                << int(access);
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace berth::runtime::cgroup
