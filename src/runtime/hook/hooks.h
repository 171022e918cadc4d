// Runs OCI hooks: each hook's program with its args and env, the container state JSON on stdin,
// bounded by its timeout. Used by the runtime (prestart, createRuntime, poststart, poststop) and by
// the init process inside the container (createContainer, startContainer).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/runtime_spec.h"

namespace berth::runtime {

// RunHooks runs the hooks in order and stops at the first failure, which names the kind, the index
// and the path: "run createRuntime hook 0 (/usr/bin/x): exit status 1: <stderr>".
Status RunHooks(const std::vector<oci::Hook>& hooks, std::string_view kind,
                const std::string& state_json);

}  // namespace berth::runtime
