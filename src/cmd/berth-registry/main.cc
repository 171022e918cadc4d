// berth-registry: the registry server, `serve` and `gc` (registry/server/command.h).
#include <string>
#include <vector>

#include "registry/server/command.h"

int main(int argc, char** argv) {
  return berth::registry::server::RunCommand("berth-registry",
                                             std::vector<std::string>(argv + 1, argv + argc));
}
