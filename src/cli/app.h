// `berth`'s entry point: docker's global options (-H/--host, DOCKER_HOST, DOCKER_API_VERSION,
// --config/DOCKER_CONFIG, -D/--debug, -l/--log-level, --tls, --tlsverify/DOCKER_TLS_VERIFY,
// --tlscacert, --tlscert, --tlskey/DOCKER_CERT_PATH, -v/--version), then the command, in its
// short form (`berth images`) or under its management command (`berth image ls`).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace berth::cli {

// A command the program adds to the table: one that needs libraries the cli may not use
// (cmd/berth adds `registry`, the registry server). run gets the words after its name and
// returns the exit code.
struct ProgramCommand {
  std::string name;
  std::string summary;
  std::function<int(const std::vector<std::string>& args)> run;
};

// Main runs one invocation and returns the process's exit code.
int Main(int argc, char** argv, const std::vector<ProgramCommand>& program_commands = {});

}  // namespace berth::cli
