#include "runtime/seccomp/cache.h"

#include <fmt/format.h>
#include <linux/filter.h>
#include <seccomp.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "base/file.h"
#include "base/log.h"

namespace berth::runtime::seccomp {
namespace {

// A cache file: this header, the profile's key (key_size bytes), then the program's instructions.
// Host byte order: the files never leave the machine (a tmpfs that a reboot empties).
constexpr char kMagic[16] = "berth-seccomp-1";
struct Header {
  char magic[sizeof(kMagic)];
  uint32_t flags;
  uint32_t key_size;
  uint32_t instructions;
  uint32_t reserved;
};

void AppendString(std::string& key, std::string_view s) {
  key += std::to_string(s.size());
  key += ':';
  key += s;
}

void AppendNumber(std::string& key, uint64_t n) {
  key += std::to_string(n);
  key += ';';
}

void AppendOptional(std::string& key, const std::optional<uint32_t>& n) {
  if (n) {
    AppendNumber(key, *n);
  } else {
    key += "-;";
  }
}

void AppendStrings(std::string& key, const std::vector<std::string>& list) {
  AppendNumber(key, list.size());
  for (const std::string& s : list) AppendString(key, s);
}

// Key describes everything Build's result depends on, without ambiguity (every string is
// length-prefixed, every list counted): the libseccomp that compiles, the native architecture it
// adds to every filter, and the whole profile.
std::string Key(const oci::Seccomp& seccomp) {
  const scmp_version* version = seccomp_version();
  std::string key = fmt::format("libseccomp {}.{}.{} native {}\n", version->major, version->minor,
                                version->micro, seccomp_arch_native());
  AppendString(key, seccomp.default_action);
  AppendOptional(key, seccomp.default_errno_ret);
  AppendStrings(key, seccomp.architectures);
  AppendStrings(key, seccomp.flags);
  AppendString(key, seccomp.listener_path);
  AppendString(key, seccomp.listener_metadata);
  AppendNumber(key, seccomp.syscalls.size());
  for (const oci::SeccompSyscall& syscall : seccomp.syscalls) {
    AppendStrings(key, syscall.names);
    AppendString(key, syscall.action);
    AppendOptional(key, syscall.errno_ret);
    AppendNumber(key, syscall.args.size());
    for (const oci::SeccompArg& arg : syscall.args) {
      AppendNumber(key, arg.index);
      AppendNumber(key, arg.value);
      AppendNumber(key, arg.value_two);
      AppendString(key, arg.op);
    }
  }
  return key;
}

// FNV-1a, 64 bits: the file's name only spreads profiles over files; the key inside decides.
uint64_t Fnv1a(std::string_view data) {
  uint64_t hash = 0xcbf29ce484222325u;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 0x100000001b3u;
  }
  return hash;
}

std::string NameOf(std::string_view key) { return fmt::format("{:016x}.bpf", Fnv1a(key)); }

std::string Encode(std::string_view key, const Program& program) {
  Header header{};
  std::memcpy(header.magic, kMagic, sizeof(kMagic));
  header.flags = program.flags;
  header.key_size = static_cast<uint32_t>(key.size());
  header.instructions = static_cast<uint32_t>(program.filter.size());
  std::string out(reinterpret_cast<const char*>(&header), sizeof(header));
  out += key;
  out.append(reinterpret_cast<const char*>(program.filter.data()),
             program.filter.size() * sizeof(sock_filter));
  return out;
}

// Decode reads a cache file's program when the file was written for key.
Result<Program> Decode(std::string_view data, std::string_view key) {
  Header header{};
  if (data.size() < sizeof(header)) return Fail(ErrorKind::kDataLoss, "shorter than its header");
  std::memcpy(&header, data.data(), sizeof(header));
  if (std::memcmp(header.magic, kMagic, sizeof(kMagic)) != 0) {
    return Fail(ErrorKind::kDataLoss, "not a compiled seccomp program");
  }
  data.remove_prefix(sizeof(header));
  if (header.key_size != key.size() || data.substr(0, key.size()) != key) {
    return Fail(ErrorKind::kDataLoss, "compiled from another profile");
  }
  data.remove_prefix(key.size());
  if (header.instructions == 0 || header.instructions > BPF_MAXINSNS ||
      data.size() != header.instructions * sizeof(sock_filter)) {
    return Fail(ErrorKind::kDataLoss, fmt::format("{} bytes of program for {} instructions",
                                                  data.size(), header.instructions));
  }
  Program program;
  program.flags = header.flags;
  program.filter.resize(header.instructions);
  std::memcpy(program.filter.data(), data.data(), data.size());
  return program;
}

}  // namespace

std::string CacheFileName(const oci::Seccomp& seccomp) { return NameOf(Key(seccomp)); }

Result<Program> BuildCached(const oci::Seccomp& seccomp, const std::string& dir) {
  const std::string key = Key(seccomp);
  const std::string path = dir + "/" + NameOf(key);
  Result<std::string> data = ReadFile(path);
  if (data) {
    Result<Program> cached = Decode(*data, key);
    if (cached) return cached;
    log::Debug("seccomp cache {}: {}; compiling the profile", path, cached.error().message());
  } else if (data.error().sys_errno() != ENOENT) {
    log::Warn("seccomp cache: {}; compiling the profile", data.error().message());
  }
  BERTH_ASSIGN_OR_RETURN(Program program, Build(seccomp));
  if (Status written = WriteFileAtomic(path, Encode(key, program), 0600, Lifetime::kUntilReboot);
      !written) {
    log::Warn("seccomp cache: {}", written.error().message());
  }
  return program;
}

}  // namespace berth::runtime::seccomp
