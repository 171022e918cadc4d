// The path rules of docker's archive endpoints (GET/HEAD/PUT /containers/{id}/archive), pure: a
// path given by the client is taken as absolute in the container and cleaned, keeping a trailing
// "/" or "/." (moby's PreserveTrailingDotOrSeparator), the name of a path is Go's
// filepath.Base, symlinks are followed within the container's root as moby's
// FollowSymlinkInScope follows them, file modes are written as Go's os.FileMode bits, and the
// stat of a path is what the X-Docker-Container-Path-Stat header carries (Go's path functions
// themselves are base/path.h's). Thread-safe.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::daemon::container {

// Go's os.FileMode type bits (io/fs); the low 9 bits are the permissions.
inline constexpr uint32_t kGoModeDir = 1u << 31;
inline constexpr uint32_t kGoModeSymlink = 1u << 27;
inline constexpr uint32_t kGoModeDevice = 1u << 26;
inline constexpr uint32_t kGoModeNamedPipe = 1u << 25;
inline constexpr uint32_t kGoModeSocket = 1u << 24;
inline constexpr uint32_t kGoModeSetuid = 1u << 23;
inline constexpr uint32_t kGoModeSetgid = 1u << 22;
inline constexpr uint32_t kGoModeCharDevice = 1u << 21;
inline constexpr uint32_t kGoModeSticky = 1u << 20;

// GoFileMode converts a stat mode to Go's os.FileMode, as Go's os.Lstat fills it.
uint32_t GoFileMode(mode_t mode);

// ContainerPath is the path the archive endpoints work on: "/" joined with path and cleaned,
// with a trailing "/" or "/." of path kept ("etc/" → "/etc/", "/etc/." → "/etc/.").
std::string ContainerPath(std::string_view path);

// InMount says whether path (absolute, cleaned) is destination or below it, as moby's
// HasResource decides which mount a path is in.
bool InMount(std::string_view destination, std::string_view path);

// ReadlinkFn returns the target of the symlink at an absolute path of the container; nullopt
// when the path is not a symlink or does not exist.
using ReadlinkFn = std::function<Result<std::optional<std::string>>(const std::string& path)>;

// ResolveInScope follows every symlink of path within the container's root, as far as the path
// exists (a missing component is taken as it is), and returns the cleaned absolute result; an
// absolute link target starts again from the root, ".." never climbs above it. More than 255
// links is kInvalidArgument.
Result<std::string> ResolveInScope(std::string_view path, const ReadlinkFn& readlink);

// What docker's archive endpoints say of a path.
struct PathStat {
  std::string name;  // GoBase of the path as asked for
  int64_t size = 0;
  uint32_t mode = 0;  // Go's os.FileMode
  std::chrono::system_clock::time_point mtime;
  std::string link_target;  // for a symlink: ResolveInScope of the path
  bool operator==(const PathStat&) const = default;
};

}  // namespace berth::daemon::container
