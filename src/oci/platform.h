// Platforms (os, architecture, CPU variant) as users write them ("linux/arm64/v8", "arm64"), as
// tools and kernels name them (x86_64, aarch64, armhf), and as an index lists them: parsing,
// normalising to the canonical names containerd uses, the host's platform, and choosing the
// manifest of an index that runs best on a wanted platform. Pure functions over values except
// HostPlatform, which asks uname(2); all thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/image_spec.h"

namespace berth::oci {

// NormalizePlatform rewrites the names of os, architecture and variant to canonical ones:
// lowercase; macos → darwin; x86_64, x86-64 → amd64 (amd64 v1 → amd64); i386 → 386;
// aarch64 → arm64, whose variant 8, v8.0 or none → v8 and 9, v9.0 → v9; armhf → arm v7,
// armel → arm v6; arm without variant → v7, arm 5/6/7/8 → v5/v6/v7/v8. Other names pass through
// in lowercase. os_version and os_features are kept.
Platform NormalizePlatform(Platform platform);

// ParsePlatform reads a specifier "<os>/<arch>[/<variant>]" or a lone "<os>" or "<arch>", whose
// components are made of [A-Za-z0-9_.-], and returns it normalised. A lone known architecture
// gets the os "linux"; a lone known os gets the host's architecture. Errors (kInvalidArgument):
// `parse platform "linux//amd64": empty component`.
[[nodiscard]] Result<Platform> ParsePlatform(std::string_view specifier);

// FormatPlatform writes "<os>/<arch>" or "<os>/<arch>/<variant>".
std::string FormatPlatform(const Platform& platform);

// PlatformFromMachine maps a uname(2) machine name (x86_64, i686, aarch64, armv7l, armv6l,
// ppc64le, s390x, riscv64, loongarch64, ...) to the normalised Linux platform it runs natively.
Platform PlatformFromMachine(std::string_view machine);

// HostPlatform is PlatformFromMachine of this machine's uname(2).
Platform HostPlatform();

// PlatformMatcher ranks the platforms that run on a wanted one, as containerd's platforms.Only
// does: the wanted platform itself first, then what its CPU also runs, best first:
//   amd64 vN: amd64 vN-1 ... v1, then 386;
//   arm vN:   arm vN-1 ... v5;
//   arm64 v9.x: v9.x-1 ... v9, v8.(x+5, at most 9) ... v8; arm64 v8.x: v8.x-1 ... v8;
//   arm64 then also runs arm v8 ... v5.
// Candidates are normalised before they are compared; os.version and os.features are ignored.
class PlatformMatcher {
 public:
  explicit PlatformMatcher(const Platform& wanted);

  // Rank is 0 for the wanted platform, higher for less preferred ones, nullopt when candidate
  // does not run on the wanted platform.
  std::optional<size_t> Rank(const Platform& candidate) const;
  bool Matches(const Platform& candidate) const { return Rank(candidate).has_value(); }

  // The platforms that match, best first (normalised).
  const std::vector<Platform>& Compatible() const { return compatible_; }

 private:
  std::vector<Platform> compatible_;
};

// SelectManifest picks the entry of an index (manifests and nested indexes only) that runs best
// on `wanted`: the lowest PlatformMatcher rank, the first in index order among equals; an entry
// without a platform is taken only when no entry matches. kNotFound names the wanted platform
// and those the index offers (attestation entries, platform unknown/unknown, left out):
// `select manifest for linux/s390x: no match in index (available: linux/amd64, linux/arm/v7)`.
[[nodiscard]] Result<Descriptor> SelectManifest(const Index& index, const Platform& wanted);

}  // namespace berth::oci
