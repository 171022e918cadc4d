#include "daemon/container/archive_path.h"

#include "base/path.h"

namespace berth::daemon::container {
namespace {

constexpr int kMaxLinks = 255;

}  // namespace

uint32_t GoFileMode(mode_t mode) {
  uint32_t go = mode & 0777;
  switch (mode & S_IFMT) {
    case S_IFBLK:
      go |= kGoModeDevice;
      break;
    case S_IFCHR:
      go |= kGoModeDevice | kGoModeCharDevice;
      break;
    case S_IFDIR:
      go |= kGoModeDir;
      break;
    case S_IFIFO:
      go |= kGoModeNamedPipe;
      break;
    case S_IFLNK:
      go |= kGoModeSymlink;
      break;
    case S_IFSOCK:
      go |= kGoModeSocket;
      break;
    default:
      break;
  }
  if (mode & S_ISGID) go |= kGoModeSetgid;
  if (mode & S_ISUID) go |= kGoModeSetuid;
  if (mode & S_ISVTX) go |= kGoModeSticky;
  return go;
}

std::string ContainerPath(std::string_view path) {
  return PreserveTrailingDotOrSeparator(GoClean("/" + std::string(path)), path);
}

bool InMount(std::string_view destination, std::string_view path) {
  const std::string dest = GoClean(destination);
  if (dest == "/") return true;
  return path == dest || (path.size() > dest.size() && path.substr(0, dest.size()) == dest &&
                          path[dest.size()] == '/');
}

Result<std::string> ResolveInScope(std::string_view path, const ReadlinkFn& readlink) {
  std::string rest(path);
  std::string resolved;  // relative to the root, each component followed by "/"
  int links = 0;
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    std::string part = rest.substr(0, slash);
    rest = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (part.empty()) continue;
    const std::string clean = GoClean("/" + resolved + part);
    if (clean == "/") {
      resolved.clear();
      continue;
    }
    BERTH_ASSIGN_OR_RETURN(std::optional<std::string> target, readlink(clean));
    if (!target) {
      resolved += part + "/";
      continue;
    }
    if (++links > kMaxLinks) {
      return Fail(ErrorKind::kInvalidArgument,
                  "evalSymlinksInScope: too many links in " + std::string(path));
    }
    if (!target->empty() && target->front() == '/') resolved.clear();
    rest = *target + "/" + rest;
  }
  return GoClean("/" + resolved);
}

}  // namespace berth::daemon::container
