#include "oci/platform.h"

#include <sys/utsname.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "base/check.h"
#include "base/strings.h"

namespace berth::oci {
namespace {

// Go's GOOS and GOARCH values (go/build/syslist.go), the names a lone specifier is checked
// against.
constexpr std::array<std::string_view, 17> kKnownOs = {
    "aix",   "android", "darwin", "dragonfly", "freebsd", "hurd",    "illumos", "ios", "js",
    "linux", "nacl",    "netbsd", "openbsd",   "plan9",   "solaris", "windows", "zos"};
constexpr std::array<std::string_view, 24> kKnownArch = {
    "386",     "amd64",   "amd64p32", "arm",    "armbe",  "arm64",    "arm64be",   "ppc64",
    "ppc64le", "loong64", "mips",     "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le",
    "ppc",     "riscv",   "riscv64",  "s390",   "s390x",  "sparc",    "sparc64",   "wasm"};

template <size_t N>
bool Contains(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Version parses "vN" (or "N") into N; nullopt for anything else.
std::optional<int> Version(std::string_view variant) {
  if (variant.starts_with('v')) variant.remove_prefix(1);
  int value = 0;
  auto [end, ec] = std::from_chars(variant.data(), variant.data() + variant.size(), value);
  if (ec != std::errc() || end != variant.data() + variant.size() || variant.empty()) {
    return std::nullopt;
  }
  return value;
}

void NormalizeArch(std::string& arch, std::string& variant) {
  if (arch == "i386") {
    arch = "386";
    variant.clear();
  } else if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
    arch = "amd64";
    if (variant == "v1") variant.clear();
  } else if (arch == "aarch64" || arch == "arm64") {
    arch = "arm64";
    if (variant.empty() || variant == "8" || variant == "v8" || variant == "v8.0") variant = "v8";
    if (variant == "9" || variant == "9.0" || variant == "v9.0") variant = "v9";
  } else if (arch == "armhf") {
    arch = "arm";
    variant = "v7";
  } else if (arch == "armel") {
    arch = "arm";
    variant = "v6";
  } else if (arch == "arm") {
    if (variant.empty() || variant == "7") variant = "v7";
    if (variant == "5" || variant == "6" || variant == "8") variant = "v" + variant;
  }
}

bool SameTriple(const Platform& a, const Platform& b) {
  return a.os == b.os && a.architecture == b.architecture && a.variant == b.variant;
}

Platform WithArch(const Platform& base, std::string arch, std::string variant) {
  Platform p = base;
  p.architecture = std::move(arch);
  p.variant = std::move(variant);
  return p;
}

// AppendArm64Fallbacks appends the arm64 variants an arm64 `variant` ("v8", "v8.2", "v9", "v9.3")
// also runs, best first.
void AppendArm64Fallbacks(const Platform& wanted, std::vector<Platform>& out) {
  std::string_view variant = wanted.variant;
  size_t dot = variant.find('.');
  std::optional<int> major = Version(variant.substr(0, dot));
  if (!major || *major < 8) return;
  int minor = 0;
  if (dot != std::string_view::npos) {
    std::optional<int> parsed = Version(variant.substr(dot + 1));
    if (!parsed) return;
    minor = *parsed;
  }
  auto name = [](int maj, int min) {
    std::string s = "v" + std::to_string(maj);
    return min == 0 ? s : s + "." + std::to_string(min);
  };
  int maj = *major;
  if (maj == 9) {
    for (int m = minor - 1; m >= 0; --m) out.push_back(WithArch(wanted, "arm64", name(9, m)));
    // v9.0 branched from v8.5: v9.x runs what v8.(x+5) runs, up to v8.9.
    maj = 8;
    minor = std::min(minor + 5, 9);
    out.push_back(WithArch(wanted, "arm64", name(maj, minor)));
  }
  for (int m = minor - 1; m >= 0; --m) out.push_back(WithArch(wanted, "arm64", name(maj, m)));
}

// AppendDownTo appends arch variants v(from-1) down to v(to); v1 is written without a variant.
void AppendDownTo(const Platform& wanted, std::string_view arch, int from, int to,
                  std::vector<Platform>& out) {
  for (int v = from - 1; v >= to; --v) {
    out.push_back(WithArch(wanted, std::string(arch), v == 1 ? "" : "v" + std::to_string(v)));
  }
}

std::vector<Platform> CompatiblePlatforms(const Platform& wanted) {
  std::vector<Platform> out = {wanted};
  if (wanted.architecture == "amd64") {
    std::optional<int> level = wanted.variant.empty() ? 1 : Version(wanted.variant);
    if (level) AppendDownTo(wanted, "amd64", *level, 1, out);
    out.push_back(WithArch(wanted, "386", ""));
  } else if (wanted.architecture == "arm") {
    if (std::optional<int> level = Version(wanted.variant)) {
      AppendDownTo(wanted, "arm", *level, 5, out);
    }
  } else if (wanted.architecture == "arm64") {
    AppendArm64Fallbacks(wanted, out);
    // Every arm64 CPU also runs 32-bit arm code up to ARMv8.
    Platform arm = WithArch(wanted, "arm", "v8");
    out.push_back(arm);
    AppendDownTo(arm, "arm", 8, 5, out);
  }
  return out;
}

bool IsSpecifierComponent(std::string_view part) {
  return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

}  // namespace

Platform NormalizePlatform(Platform platform) {
  platform.os = Lower(platform.os);
  if (platform.os == "macos") platform.os = "darwin";
  platform.architecture = Lower(platform.architecture);
  platform.variant = Lower(platform.variant);
  NormalizeArch(platform.architecture, platform.variant);
  return platform;
}

Result<Platform> ParsePlatform(std::string_view specifier) {
  auto invalid = [&](std::string_view why) {
    return Fail(ErrorKind::kInvalidArgument,
                "parse platform \"" + std::string(specifier) + "\": " + std::string(why));
  };
  std::vector<std::string> parts = Split(specifier, '/');
  if (parts.size() > 3) return invalid("more than three components");
  for (const std::string& part : parts) {
    if (part.empty()) return invalid("empty component");
    if (!IsSpecifierComponent(part)) {
      return invalid("component \"" + part + "\" has characters other than [A-Za-z0-9_.-]");
    }
  }
  Platform p;
  if (parts.size() == 1) {
    Platform lone = NormalizePlatform(Platform{.architecture = parts[0], .os = parts[0]});
    if (Contains(kKnownOs, lone.os)) {
      Platform host = HostPlatform();
      p = WithArch(Platform{.os = lone.os}, host.architecture, host.variant);
    } else if (Contains(kKnownArch, lone.architecture)) {
      p = WithArch(Platform{.os = "linux"}, lone.architecture, lone.variant);
    } else {
      return invalid("unknown operating system or architecture");
    }
    return NormalizePlatform(std::move(p));
  }
  p.os = parts[0];
  p.architecture = parts[1];
  if (parts.size() == 3) p.variant = parts[2];
  return NormalizePlatform(std::move(p));
}

std::string FormatPlatform(const Platform& platform) {
  std::string out = platform.os + "/" + platform.architecture;
  if (!platform.variant.empty()) out += "/" + platform.variant;
  return out;
}

Platform PlatformFromMachine(std::string_view machine) {
  Platform p{.os = "linux"};
  if (machine == "i386" || machine == "i486" || machine == "i586" || machine == "i686") {
    p.architecture = "386";
  } else if (machine == "loongarch64") {
    p.architecture = "loong64";
  } else if (machine.starts_with("armv") && machine != "armv8b") {
    // armv5tel, armv6l, armv7l, armv8l: a 32-bit arm kernel, or 32-bit mode of an ARMv8 CPU.
    size_t digits = 4;
    while (digits < machine.size() && machine[digits] >= '0' && machine[digits] <= '9') ++digits;
    p.architecture = "arm";
    if (digits > 4) p.variant = "v" + std::string(machine.substr(4, digits - 4));
  } else {
    p.architecture = std::string(machine);
  }
  return NormalizePlatform(std::move(p));
}

Platform HostPlatform() {
  struct utsname name;
  // uname(2) fails only for a bad buffer address.
  BERTH_CHECK(uname(&name) == 0);
  return PlatformFromMachine(name.machine);
}

PlatformMatcher::PlatformMatcher(const Platform& wanted)
    : compatible_(CompatiblePlatforms(NormalizePlatform(wanted))) {}

std::optional<size_t> PlatformMatcher::Rank(const Platform& candidate) const {
  Platform normalized = NormalizePlatform(candidate);
  for (size_t i = 0; i < compatible_.size(); ++i) {
    if (SameTriple(compatible_[i], normalized)) return i;
  }
  return std::nullopt;
}

Result<Descriptor> SelectManifest(const Index& index, const Platform& wanted) {
  PlatformMatcher matcher(wanted);
  const Descriptor* best = nullptr;
  size_t best_rank = 0;
  const Descriptor* without_platform = nullptr;
  std::vector<std::string> available;
  for (const Descriptor& d : index.manifests) {
    if (!IsManifestMediaType(d.media_type) && !IsIndexMediaType(d.media_type)) continue;
    if (!d.platform) {
      if (without_platform == nullptr) without_platform = &d;
      continue;
    }
    std::optional<size_t> rank = matcher.Rank(*d.platform);
    if (rank && (best == nullptr || *rank < best_rank)) {
      best = &d;
      best_rank = *rank;
    }
    Platform p = NormalizePlatform(*d.platform);
    std::string name = FormatPlatform(p);
    if (p.os != "unknown" && p.architecture != "unknown" &&
        std::find(available.begin(), available.end(), name) == available.end()) {
      available.push_back(name);
    }
  }
  if (best != nullptr) return *best;
  if (without_platform != nullptr) return *without_platform;
  return Fail(ErrorKind::kNotFound, "select manifest for " +
                                        FormatPlatform(NormalizePlatform(wanted)) +
                                        ": no match in index (available: " +
                                        (available.empty() ? "none" : Join(available, ", ")) + ")");
}

}  // namespace berth::oci
