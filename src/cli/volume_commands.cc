// docker volume create, ls, inspect, rm and prune over the volume endpoints, with docker's
// columns and wording.
#include <fmt/format.h>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/inspect.h"
#include "cli/json_fields.h"
#include "cli/json_stream.h"

namespace berth::cli {
namespace {

using json = nlohmann::ordered_json;

constexpr std::string_view kVolumesTable = "table {{.Driver}}\t{{.Name}}";

// KeyValues reads "k=v" flag values into a JSON object ("k" alone is an empty value).
json KeyValues(const std::vector<std::string>& values) {
  json out = json::object();
  for (const std::string& value : values) {
    const size_t eq = value.find('=');
    out[value.substr(0, eq)] = eq == std::string::npos ? "" : value.substr(eq + 1);
  }
  return out;
}

// VolumeRow is one line of docker volume ls: the fields of docker's volumeContext, by name.
json VolumeRow(const json& v) {
  std::vector<std::string> labels;
  for (const auto& [key, value] : ObjectAt(v, "Labels").items()) {
    labels.push_back(key + "=" + (value.is_string() ? value.get<std::string>() : ""));
  }
  return {{"Name", StringAt(v, "Name")},
          {"Driver", StringAt(v, "Driver")},
          {"Scope", StringAt(v, "Scope")},
          {"Mountpoint", StringAt(v, "Mountpoint")},
          {"Labels", Join(labels, ",")},
          {"Links", "N/A"},
          {"Size", "N/A"},
          {"CreatedAt", StringAt(v, "CreatedAt")}};
}

}  // namespace

Result<int> VolumeCreateCommand(Cli& cli, const std::string& path, const Args& args) {
  std::string driver = "local", name;
  std::vector<std::string> labels, options;
  FlagSet flags;
  flags.String(&driver, "d,driver", "Specify volume driver name");
  flags.Strings(&labels, "label", "Set metadata for a volume");
  flags.Strings(&options, "o,opt", "Set driver specific options");
  flags.String(&name, "name", "Specify volume name");
  auto names =
      cli.Parse(flags, args, {path, "[OPTIONS] [VOLUME]", "Create a volume", Arity::AtMost(1)});
  if (!names) return cli.exit_code();
  if (!names->empty()) {
    if (!name.empty() && name != names->front()) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("conflicting options: either specify --name or provide positional "
                              "arg, not both"));
    }
    name = names->front();
  }
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  json body = {{"Name", name},
               {"Driver", driver},
               {"DriverOpts", KeyValues(options)},
               {"Labels", KeyValues(labels)}};
  BERTH_ASSIGN_OR_RETURN(json created, client->DoJson({.method = "POST",
                                                       .path = "/volumes/create",
                                                       .body = body.dump(),
                                                       .content_type = "application/json"}));
  cli.Out(StringAt(created, "Name") + "\n");
  return 0;
}

Result<int> VolumeLsCommand(Cli& cli, const std::string& path, const Args& args) {
  bool quiet = false;
  std::string format;
  std::vector<std::string> filters;
  FlagSet flags;
  flags.Bool(&quiet, "q,quiet", "Only display volume names");
  flags.String(&format, "format", "Format output using a custom template");
  flags.Strings(&filters, "f,filter", "Provide filter values (e.g. \"dangling=true\")");
  auto positional = cli.Parse(flags, args, {path, "[OPTIONS]", "List volumes", Arity::Exactly(0)});
  if (!positional) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  client::Request request{.path = "/volumes"};
  if (!filters.empty()) {
    BERTH_ASSIGN_OR_RETURN(std::string encoded, FiltersJson(filters));
    request.query.emplace_back("filters", encoded);
  }
  BERTH_ASSIGN_OR_RETURN(json answer, client->DoJson(request));
  std::vector<json> rows;
  for (const json& v : ArrayAt(answer, "Volumes")) rows.push_back(VolumeRow(v));
  std::sort(rows.begin(), rows.end(), [](const json& a, const json& b) {
    return a["Name"].get<std::string>() < b["Name"].get<std::string>();
  });
  static const json headers = {{"Name", "VOLUME NAME"}, {"Driver", "DRIVER"},
                               {"Scope", "SCOPE"},      {"Mountpoint", "MOUNTPOINT"},
                               {"Labels", "LABELS"},    {"Links", "LINKS"},
                               {"Size", "SIZE"},        {"CreatedAt", "CREATED"}};
  const OutputFormat out =
      quiet && format.empty() ? ParseFormat("{{.Name}}", "") : ParseFormat(format, kVolumesTable);
  BERTH_ASSIGN_OR_RETURN(std::string text, RenderRows(out, rows, headers));
  cli.Out(text);
  return 0;
}

Result<int> VolumeInspectCommand(Cli& cli, const std::string& path, const Args& args) {
  std::string format;
  FlagSet flags;
  flags.String(&format, "f,format", "Format output using a custom template");
  auto names =
      cli.Parse(flags, args,
                {path, "[OPTIONS] VOLUME [VOLUME...]",
                 "Display detailed information on one or more volumes", Arity::AtLeast(1)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  return InspectEach(cli, *names, format, [&](const std::string& name) -> Result<json> {
    BERTH_ASSIGN_OR_RETURN(client::Response r, client->Do({.path = "/volumes/" + name}));
    return r.Json();
  });
}

Result<int> VolumeRmCommand(Cli& cli, const std::string& path, const Args& args) {
  bool force = false;
  FlagSet flags;
  flags.Bool(&force, "f,force", "Force the removal of one or more volumes");
  auto names = cli.Parse(
      flags, args,
      {path, "[OPTIONS] VOLUME [VOLUME...]", "Remove one or more volumes", Arity::AtLeast(1)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  return ForEach(cli, *names, [&](const std::string& name) -> Result<std::string> {
    client::Request request{.method = "DELETE", .path = "/volumes/" + name};
    if (force) request.query.emplace_back("force", "1");
    BERTH_TRY(client->Do(request));
    return name;
  });
}

Result<int> VolumePruneCommand(Cli& cli, const std::string& path, const Args& args) {
  bool all = false, force = false;
  std::vector<std::string> filters;
  FlagSet flags;
  flags.Bool(&all, "a,all", "Remove all unused volumes, not just anonymous ones");
  flags.Strings(&filters, "filter", "Provide filter values (e.g. \"label=<label>\")");
  flags.Bool(&force, "f,force", "Do not prompt for confirmation");
  auto positional =
      cli.Parse(flags, args, {path, "[OPTIONS]", "Remove unused local volumes", Arity::Exactly(0)});
  if (!positional) return cli.exit_code();
  if (!force && !Confirm(cli, all ? "WARNING! This will remove all local volumes not used by at "
                                    "least one container."
                                  : "WARNING! This will remove anonymous local volumes not used "
                                    "by at least one container.")) {
    cli.Out("Total reclaimed space: 0B\n");
    return 0;
  }
  if (all) filters.push_back("all=true");
  BERTH_ASSIGN_OR_RETURN(std::string encoded, FiltersJson(filters));
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(json report, client->DoJson({.method = "POST",
                                                      .path = "/volumes/prune",
                                                      .query = {{"filters", encoded}}}));
  std::string text;
  const json& deleted = ArrayAt(report, "VolumesDeleted");
  if (!deleted.empty()) {
    text += "Deleted Volumes:\n";
    for (const json& name : deleted) {
      text += (name.is_string() ? name.get<std::string>() : "") + "\n";
    }
    text += "\n";
  }
  text += "Total reclaimed space: " + HumanSize(IntAt(report, "SpaceReclaimed")) + "\n";
  cli.Out(text);
  return 0;
}

}  // namespace berth::cli
