#include <nlohmann/json.hpp>

#include "cmd/berth-runtime/commands.h"
#include "oci/runtime_spec_json.h"

namespace berth::cmd {

Action AddList(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("list", "list the containers");
  auto format = std::make_shared<std::string>("table");
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("-f,--format", *format, "table or json");
  cmd->add_flag("-q,--quiet", *quiet, "print only the ids");
  return [&g, format, quiet]() -> Result<int> {
    BERTH_ASSIGN_OR_RETURN(std::vector<runtime::ContainerInfo> all, runtime::List(g.rt));
    if (*quiet) {
      for (const auto& c : all) std::printf("%s\n", c.state.id.c_str());
      return 0;
    }
    if (*format == "json") {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& c : all) {
        auto j = nlohmann::json::parse(oci::EncodeState(c.state));
        j["rootfs"] = c.rootfs;
        j["created"] = c.created;
        j["owner"] = c.owner;
        out.push_back(j);
      }
      PrintJson(out.dump());
      return 0;
    }
    if (*format != "table") {
      return Fail(ErrorKind::kInvalidArgument, "list: invalid format \"" + *format + "\"");
    }
    std::printf("%-20s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
                "OWNER");
    for (const auto& c : all) {
      std::printf("%-20s %-8d %-10s %-40s %-32s %s\n", c.state.id.c_str(), c.state.pid,
                  oci::StatusName(c.state.status), c.state.bundle.c_str(), c.created.c_str(),
                  c.owner.c_str());
    }
    return 0;
  };
}

}  // namespace berth::cmd
