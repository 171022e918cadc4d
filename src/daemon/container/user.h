// The user a container's process runs as: Config.User ("name", "uid", "name:group", "uid:gid")
// and HostConfig.GroupAdd resolved against the /etc/passwd and /etc/group of the container's
// rootfs, as docker resolves them (files read inside the rootfs: a symlink cannot lead out).
// Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/runtime_spec.h"

namespace berth::daemon::container {

// ResolveUserIn is the pure part: passwd and group are the files' contents ("" when the
// file is missing). A name that is not found is kInvalidArgument ("unable to find user x: no
// matching entries in passwd file"); numeric ids need no entry (gid 0 then, as docker).
Result<oci::User> ResolveUserIn(std::string_view user, const std::vector<std::string>& group_add,
                                std::string_view passwd, std::string_view group);

// ResolveUser reads the files from the rootfs at rootfs.
Result<oci::User> ResolveUser(const std::string& rootfs, std::string_view user,
                              const std::vector<std::string>& group_add);

}  // namespace berth::daemon::container
