// Whole-file helpers with clear errors. WriteFileAtomic is the durable write: a temporary file in
// the same directory, fsynced, renamed over the target, and the directory fsynced, so a crash
// leaves either the old or the new content.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/result.h"

namespace berth {

Result<std::string> ReadFile(const std::string& path);
Status WriteFile(const std::string& path, std::string_view data, mode_t mode = 0644);
Status WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode = 0644);
// MakeDirs creates path and its missing parents (like mkdir -p).
Status MakeDirs(const std::string& path, mode_t mode = 0755);
// RemoveAll deletes path recursively; a missing path is not an error.
Status RemoveAll(const std::string& path);

}  // namespace berth
