// berth: the docker-compatible command line, a client of berthd's Engine API (cli/), and
// `berth registry serve|gc`, the registry server (registry/server/command.h).
#include "cli/app.h"
#include "registry/server/command.h"

int main(int argc, char** argv) {
  return berth::cli::Main(
      argc, argv,
      {{"registry", "Run a registry server (serve, gc)", [](const std::vector<std::string>& args) {
          return berth::registry::server::RunCommand("berth registry", args);
        }}});
}
