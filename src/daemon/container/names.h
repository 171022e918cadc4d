// Container names and ids: docker's rule for names users give ([a-zA-Z0-9][a-zA-Z0-9_.-]+, stored
// with a leading "/") and generated names of the form adjective_noun for containers created without
// one. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::daemon::container {

// CheckName accepts "web" or "/web" and returns "/web"; anything else is kInvalidArgument with
// docker's message.
Result<std::string> CheckName(std::string_view name);

// GenerateName returns a random "/adjective_noun"; attempt > 0 appends a number, for retries
// after a collision.
std::string GenerateName(int attempt);

// NewId is 64 random hex digits, docker's form of container, exec, network and endpoint ids.
std::string NewId();

}  // namespace berth::daemon::container
