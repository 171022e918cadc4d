#include <nlohmann/json.hpp>

#include "cmd/berth-runtime/commands.h"
#include "oci/runtime_spec_json.h"

namespace berth::cmd {

Action AddState(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("state", "print the state of a container (OCI state JSON)");
  auto id = std::make_shared<std::string>();
  cmd->add_option("id", *id, "container id")->required();
  return [&g, id]() -> Result<int> {
    BERTH_ASSIGN_OR_RETURN(runtime::ContainerInfo info, runtime::Inspect(g.rt, *id));
    auto j = nlohmann::json::parse(oci::EncodeState(info.state));
    j["rootfs"] = info.rootfs;
    j["created"] = info.created;
    j["owner"] = info.owner;
    PrintJson(j.dump(2));
    return 0;
  };
}

void PrintJson(const std::string& json) { std::printf("%s\n", json.c_str()); }

}  // namespace berth::cmd
