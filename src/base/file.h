// Whole-file helpers with clear errors. WriteFileAtomic writes a temporary file in the same
// directory and renames it over the target, so a killed writer leaves either the old or the new
// content. A kDurable file is also fsynced, and its directory, so that a machine crash keeps it;
// a kUntilReboot file describes processes that a reboot ends anyway (runtime state under /run:
// pid files, a container's runtime state, its exit status) and skips both fsyncs.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/result.h"

namespace berth {

Result<std::string> ReadFile(const std::string& path);
Status WriteFile(const std::string& path, std::string_view data, mode_t mode = 0644);
enum class Lifetime { kDurable, kUntilReboot };
Status WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode = 0644,
                       Lifetime lifetime = Lifetime::kDurable);
// MakeDirs creates path and its missing parents (like mkdir -p).
Status MakeDirs(const std::string& path, mode_t mode = 0755);
// RemoveAll deletes path recursively; a missing path is not an error.
Status RemoveAll(const std::string& path);

}  // namespace berth
