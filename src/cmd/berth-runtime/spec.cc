#include <fcntl.h>
#include <unistd.h>

#include "base/file.h"
#include "cmd/berth-runtime/commands.h"
#include "oci/defaults.h"
#include "oci/runtime_spec_json.h"

namespace berth::cmd {

Action AddSpec(CLI::App& app, Globals&) {
  auto* cmd = app.add_subcommand("spec", "write a default config.json into the bundle");
  auto bundle = std::make_shared<std::string>(".");
  auto rootless = std::make_shared<bool>(false);
  cmd->add_option("-b,--bundle", *bundle, "bundle directory");
  cmd->add_flag("--rootless", *rootless, "a config for a container run by an unprivileged user");
  return [bundle, rootless]() -> Result<int> {
    std::string path = *bundle + "/config.json";
    if (access(path.c_str(), F_OK) == 0) {
      return Fail(ErrorKind::kAlreadyExists, "spec: " + path + " already exists");
    }
    BERTH_TRY(WriteFileAtomic(path, oci::EncodeSpec(oci::DefaultSpec(*rootless)) + "\n", 0666));
    return 0;
  };
}

}  // namespace berth::cmd
