// `berth`'s entry point: docker's global options (-H/--host, DOCKER_HOST, DOCKER_API_VERSION,
// --config/DOCKER_CONFIG, -D/--debug, -l/--log-level, --tls, --tlsverify/DOCKER_TLS_VERIFY,
// --tlscacert, --tlscert, --tlskey/DOCKER_CERT_PATH, -v/--version), then the command, in its
// short form (`berth images`) or under its management command (`berth image ls`).
#pragma once

namespace berth::cli {

// Main runs one invocation and returns the process's exit code.
int Main(int argc, char** argv);

}  // namespace berth::cli
