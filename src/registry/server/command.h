// The registry server's command line, shared by `berth-registry` and `berth registry`: `serve`
// (the distribution API v2 over a root directory on a TCP address until SIGINT or SIGTERM, with
// Basic or token authentication, over HTTPS with --tls-cert and --tls-key) and `gc` (delete the
// blobs no manifest references, while no server runs on the root). Run from a program's main thread
// before it starts other threads: it blocks SIGINT and SIGTERM, which serve waits for.
#pragma once

#include <string>
#include <vector>

namespace berth::registry::server {

// RunCommand parses args (the subcommand and its flags: {"serve", "--root", "/srv"}) and runs it;
// program names the command in help and errors ("berth-registry", "berth registry"). It returns
// the process's exit code.
int RunCommand(const std::string& program, const std::vector<std::string>& args);

}  // namespace berth::registry::server
