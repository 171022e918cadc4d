#include "daemon/container/seccomp_profile.h"

#include <fmt/format.h>
#include <sys/utsname.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace berth::daemon::container {
namespace {

using nlohmann::json;

Error Bad(const std::string& field, const std::string& message) {
  return Error(ErrorKind::kInvalidArgument, fmt::format("seccomp profile: {}: {}", field, message));
}

const std::set<std::string, std::less<>> kActions = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};
const std::set<std::string, std::less<>> kOperators = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};

std::string Join(const std::string& field, const char* key) {
  return field.empty() ? std::string(key) : field + "." + key;
}

// Field readers: a missing or null field leaves the target as it is.
Status ReadString(const json& j, const char* key, const std::string& field, std::string& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Ok();
  if (!it->is_string()) return Fail(Bad(Join(field, key), "not a string"));
  out = it->get<std::string>();
  return Ok();
}

Status ReadStrings(const json& j, const char* key, const std::string& field,
                   std::vector<std::string>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Ok();
  if (!it->is_array()) return Fail(Bad(Join(field, key), "not an array of strings"));
  for (const json& item : *it) {
    if (!item.is_string()) return Fail(Bad(Join(field, key), "not an array of strings"));
    out.push_back(item.get<std::string>());
  }
  return Ok();
}

template <typename T>
Status ReadNumber(const json& j, const char* key, const std::string& field, T& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Ok();
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0)) {
    return Fail(Bad(Join(field, key), "not a non-negative integer"));
  }
  out = it->get<T>();
  return Ok();
}

Status ReadErrno(const json& j, const char* key, const std::string& field,
                 std::optional<uint32_t>& out) {
  if (!j.contains(key) || j[key].is_null()) return Ok();
  uint32_t value = 0;
  BERTH_TRY(ReadNumber(j, key, field, value));
  out = value;
  return Ok();
}

Status CheckAction(const std::string& action, const std::string& field) {
  if (action.empty()) return Fail(Bad(field, "missing"));
  if (!kActions.contains(action)) return Fail(Bad(field, "unknown action \"" + action + "\""));
  return Ok();
}

Result<SeccompCondition> DecodeCondition(const json& j, const std::string& field) {
  SeccompCondition c;
  if (j.is_null()) return c;
  if (!j.is_object()) return Fail(Bad(field, "not an object"));
  BERTH_TRY(ReadStrings(j, "caps", field, c.caps));
  BERTH_TRY(ReadStrings(j, "arches", field, c.arches));
  BERTH_TRY(ReadString(j, "minKernel", field, c.min_kernel));
  return c;
}

Result<oci::SeccompArg> DecodeArg(const json& j, const std::string& field) {
  if (!j.is_object()) return Fail(Bad(field, "not an object"));
  oci::SeccompArg arg;
  BERTH_TRY(ReadNumber(j, "index", field, arg.index));
  BERTH_TRY(ReadNumber(j, "value", field, arg.value));
  BERTH_TRY(ReadNumber(j, "valueTwo", field, arg.value_two));
  BERTH_TRY(ReadString(j, "op", field, arg.op));
  if (!kOperators.contains(arg.op)) {
    return Fail(Bad(field + ".op", "unknown operator \"" + arg.op + "\""));
  }
  return arg;
}

Result<SeccompRule> DecodeRule(const json& j, const std::string& field) {
  if (!j.is_object()) return Fail(Bad(field, "not an object"));
  SeccompRule rule;
  std::string name;
  BERTH_TRY(ReadString(j, "name", field, name));
  BERTH_TRY(ReadStrings(j, "names", field, rule.names));
  if (!name.empty()) {
    if (!rule.names.empty()) return Fail(Bad(field, "both name and names are set"));
    rule.names.push_back(name);
  }
  if (rule.names.empty()) return Fail(Bad(field + ".names", "missing"));
  BERTH_TRY(ReadString(j, "action", field, rule.action));
  BERTH_TRY(CheckAction(rule.action, field + ".action"));
  BERTH_TRY(ReadErrno(j, "errnoRet", field, rule.errno_ret));
  if (auto it = j.find("args"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return Fail(Bad(field + ".args", "not an array"));
    for (size_t i = 0; i < it->size(); ++i) {
      BERTH_ASSIGN_OR_RETURN(oci::SeccompArg arg,
                             DecodeArg((*it)[i], fmt::format("{}.args[{}]", field, i)));
      rule.args.push_back(arg);
    }
  }
  BERTH_ASSIGN_OR_RETURN(rule.includes,
                         DecodeCondition(j.value("includes", json()), field + ".includes"));
  BERTH_ASSIGN_OR_RETURN(rule.excludes,
                         DecodeCondition(j.value("excludes", json()), field + ".excludes"));
  return rule;
}

bool Contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// KernelAtLeast: the host's kernel is version "X.Y" or newer (an unreadable version passes).
bool KernelAtLeast(const SeccompHost& host, std::string_view version) {
  int major = 0, minor = 0;
  const char* end = version.data() + version.size();
  auto [p, ec] = std::from_chars(version.data(), end, major);
  if (ec != std::errc()) return true;
  if (p < end && *p == '.') std::from_chars(p + 1, end, minor);
  return std::pair(host.kernel_major, host.kernel_minor) >= std::pair(major, minor);
}

bool Applies(const SeccompRule& rule, const std::vector<std::string>& caps,
             const SeccompHost& host) {
  for (const std::string& cap : rule.includes.caps) {
    if (!Contains(caps, cap)) return false;
  }
  if (!rule.includes.arches.empty() && !Contains(rule.includes.arches, host.arch)) return false;
  if (!rule.includes.min_kernel.empty() && !KernelAtLeast(host, rule.includes.min_kernel)) {
    return false;
  }
  for (const std::string& cap : rule.excludes.caps) {
    if (Contains(caps, cap)) return false;
  }
  return !Contains(rule.excludes.arches, host.arch);
}

// The libseccomp name of the architecture Go calls arch.
std::string_view SeccompArch(std::string_view arch) {
  static const std::map<std::string, std::string, std::less<>> kNames = {
      {"amd64", "SCMP_ARCH_X86_64"},     {"386", "SCMP_ARCH_X86"},
      {"arm64", "SCMP_ARCH_AARCH64"},    {"arm", "SCMP_ARCH_ARM"},
      {"ppc64le", "SCMP_ARCH_PPC64LE"},  {"s390x", "SCMP_ARCH_S390X"},
      {"riscv64", "SCMP_ARCH_RISCV64"},  {"mips64", "SCMP_ARCH_MIPS64"},
      {"mips64le", "SCMP_ARCH_MIPSEL64"}};
  auto it = kNames.find(arch);
  return it == kNames.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace

SeccompHost CurrentSeccompHost() {
  SeccompHost host;
  utsname u{};
  if (uname(&u) != 0) return host;
  static const std::map<std::string, std::string, std::less<>> kGoArch = {
      {"x86_64", "amd64"},  {"i686", "386"},        {"i386", "386"},
      {"aarch64", "arm64"}, {"armv7l", "arm"},      {"ppc64le", "ppc64le"},
      {"s390x", "s390x"},   {"riscv64", "riscv64"}, {"mips64", "mips64"}};
  if (auto it = kGoArch.find(std::string_view(u.machine)); it != kGoArch.end()) {
    host.arch = it->second;
  }
  const std::string_view release(u.release);
  const char* end = release.data() + release.size();
  auto [p, ec] = std::from_chars(release.data(), end, host.kernel_major);
  if (ec == std::errc() && p < end && *p == '.') std::from_chars(p + 1, end, host.kernel_minor);
  return host;
}

Result<SeccompProfile> DecodeSeccompProfile(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Fail(ErrorKind::kInvalidArgument, "seccomp profile: not a JSON object");
  }
  SeccompProfile profile;
  BERTH_TRY(ReadString(j, "defaultAction", "", profile.default_action));
  BERTH_TRY(CheckAction(profile.default_action, "defaultAction"));
  BERTH_TRY(ReadErrno(j, "defaultErrnoRet", "", profile.default_errno_ret));
  BERTH_TRY(ReadStrings(j, "architectures", "", profile.architectures));
  BERTH_TRY(ReadStrings(j, "flags", "", profile.flags));
  if (auto it = j.find("archMap"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return Fail(Bad("archMap", "not an array"));
    for (size_t i = 0; i < it->size(); ++i) {
      const std::string field = fmt::format("archMap[{}]", i);
      if (!(*it)[i].is_object()) return Fail(Bad(field, "not an object"));
      SeccompArchMap entry;
      BERTH_TRY(ReadString((*it)[i], "architecture", field, entry.architecture));
      BERTH_TRY(ReadStrings((*it)[i], "subArchitectures", field, entry.sub_architectures));
      profile.arch_map.push_back(std::move(entry));
    }
  }
  if (!profile.architectures.empty() && !profile.arch_map.empty()) {
    return Fail(Bad("architectures", "both architectures and archMap are set"));
  }
  if (auto it = j.find("syscalls"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return Fail(Bad("syscalls", "not an array"));
    for (size_t i = 0; i < it->size(); ++i) {
      BERTH_ASSIGN_OR_RETURN(SeccompRule rule,
                             DecodeRule((*it)[i], fmt::format("syscalls[{}]", i)));
      profile.syscalls.push_back(std::move(rule));
    }
  }
  return profile;
}

oci::Seccomp PlanSeccomp(const SeccompProfile& profile, const std::vector<std::string>& caps,
                         const SeccompHost& host) {
  oci::Seccomp out{.default_action = profile.default_action,
                   .default_errno_ret = profile.default_errno_ret,
                   .architectures = profile.architectures,
                   .flags = profile.flags};
  const std::string_view native = SeccompArch(host.arch);
  for (const SeccompArchMap& entry : profile.arch_map) {
    if (entry.architecture != native) continue;
    out.architectures.push_back(entry.architecture);
    out.architectures.insert(out.architectures.end(), entry.sub_architectures.begin(),
                             entry.sub_architectures.end());
  }
  for (const SeccompRule& rule : profile.syscalls) {
    if (!Applies(rule, caps, host)) continue;
    out.syscalls.push_back({.names = rule.names,
                            .action = rule.action,
                            .errno_ret = rule.errno_ret,
                            .args = rule.args});
  }
  return out;
}

}  // namespace berth::daemon::container
