// The stat of a path in a container that docker's archive endpoints (HEAD and GET
// /containers/{id}/archive) send in the X-Docker-Container-Path-Stat header: base64 (standard
// alphabet, padded) of the JSON of moby's ContainerPathStat, {"name", "size", "mode" (Go's
// os.FileMode bits), "mtime" (RFC 3339), "linkTarget"}. Shared by berthd and the client; pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::api::types {

inline constexpr std::string_view kPathStatHeader = "X-Docker-Container-Path-Stat";

struct ContainerPathStat {
  std::string name;
  int64_t size = 0;
  uint32_t mode = 0;  // Go's os.FileMode: 1<<31 a directory, 1<<27 a symlink, low 9 bits perms
  std::string mtime;  // RFC 3339 with nanoseconds
  std::string link_target;
  bool operator==(const ContainerPathStat&) const = default;
};

std::string EncodePathStat(const ContainerPathStat& stat);
// DecodePathStat reads a header value; kInvalidArgument when it is not base64 of such JSON.
Result<ContainerPathStat> DecodePathStat(std::string_view header);

}  // namespace berth::api::types
