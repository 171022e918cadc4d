// docker network create, ls, inspect, rm, prune, connect and disconnect.
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

constexpr std::string_view kNetworksTable = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";

const json& NetworkHeaders() {
  static const json* headers =
      new json{{"ID", "NETWORK ID"},       {"Name", "NAME"}, {"Driver", "DRIVER"},
               {"Scope", "SCOPE"},         {"IPv6", "IPV6"}, {"Internal", "INTERNAL"},
               {"CreatedAt", "CREATED AT"}};
  return *headers;
}

// KeyValues turns "k=v" flags into an object.
json KeyValues(const std::vector<std::string>& entries) {
  json out = json::object();
  for (const std::string& entry : entries) {
    const size_t eq = entry.find('=');
    out[entry.substr(0, eq)] = eq == std::string::npos ? "" : entry.substr(eq + 1);
  }
  return out;
}

}  // namespace

Result<int> NetworkCreateCommand(Cli& cli, const std::string& path, const Args& args) {
  std::string driver = "bridge", subnet, gateway, ip_range;
  bool internal = false, attachable = false, ipv6 = false;
  std::vector<std::string> labels, options;
  FlagSet flags;
  flags.String(&driver, "d,driver", "Driver to manage the Network");
  flags.String(&subnet, "subnet", "Subnet in CIDR format that represents a network segment");
  flags.String(&gateway, "gateway", "IPv4 or IPv6 Gateway for the master subnet");
  flags.String(&ip_range, "ip-range", "Allocate container ip from a sub-range");
  flags.Bool(&internal, "internal", "Restrict external access to the network");
  flags.Bool(&attachable, "attachable", "Enable manual container attachment");
  flags.Bool(&ipv6, "ipv6", "Enable IPv6 networking");
  flags.Strings(&labels, "label", "Set metadata on a network");
  flags.Strings(&options, "o,opt", "Set driver specific options");
  auto names =
      cli.Parse(flags, args, {path, "[OPTIONS] NETWORK", "Create a network", Arity::Exactly(1)});
  if (!names) return cli.exit_code();
  json ipam_config = json::array();
  if (!subnet.empty() || !gateway.empty() || !ip_range.empty()) {
    if (subnet.empty()) {
      return Fail(ErrorKind::kInvalidArgument,
                  "every ip-range or gateway must have a "
                  "corresponding subnet");
    }
    json config = {{"Subnet", subnet}};
    if (!ip_range.empty()) config["IPRange"] = ip_range;
    if (!gateway.empty()) config["Gateway"] = gateway;
    ipam_config.push_back(config);
  }
  json body = {{"Name", (*names)[0]},
               {"CheckDuplicate", true},
               {"Driver", driver},
               {"EnableIPv6", ipv6},
               {"IPAM", {{"Driver", "default"}, {"Config", ipam_config}}},
               {"Internal", internal},
               {"Attachable", attachable},
               {"Options", KeyValues(options)},
               {"Labels", KeyValues(labels)}};
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(
      json created,
      client->DoJson({.method = "POST", .path = "/networks/create", .body = body.dump()}));
  cli.Out(StringAt(created, "Id") + "\n");
  return 0;
}

Result<int> NetworkLsCommand(Cli& cli, const std::string& path, const Args& args) {
  bool quiet = false, no_trunc = false;
  std::string format;
  std::vector<std::string> filters;
  FlagSet flags;
  flags.Bool(&quiet, "q,quiet", "Only display network IDs");
  flags.Bool(&no_trunc, "no-trunc", "Do not truncate the output");
  flags.String(&format, "format", "Pretty-print networks using a Go template");
  flags.Strings(&filters, "f,filter", "Provide filter values (e.g. 'driver=bridge')");
  auto positional = cli.Parse(flags, args, {path, "[OPTIONS]", "List networks", Arity::Exactly(0)});
  if (!positional) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(std::string encoded, FiltersJson(filters));
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  client::Request request{.path = "/networks"};
  if (!filters.empty()) request.query.emplace_back("filters", encoded);
  BERTH_ASSIGN_OR_RETURN(json networks, client->DoJson(request));
  std::vector<json> rows;
  for (const json& n : networks) {
    const std::string id = StringAt(n, "Id");
    rows.push_back({{"ID", no_trunc ? id : TruncateId(id)},
                    {"Name", StringAt(n, "Name")},
                    {"Driver", StringAt(n, "Driver")},
                    {"Scope", StringAt(n, "Scope")},
                    {"IPv6", BoolAt(n, "EnableIPv6") ? "true" : "false"},
                    {"Internal", BoolAt(n, "Internal") ? "true" : "false"},
                    {"CreatedAt", StringAt(n, "Created")},
                    {"Labels", ObjectAt(n, "Labels")}});
  }
  std::sort(rows.begin(), rows.end(), [](const json& a, const json& b) {
    return a["Name"].get<std::string>() < b["Name"].get<std::string>();
  });
  OutputFormat out = quiet ? ParseFormat("{{.ID}}", "") : ParseFormat(format, kNetworksTable);
  BERTH_ASSIGN_OR_RETURN(std::string text, RenderRows(out, rows, NetworkHeaders()));
  cli.Out(text);
  return 0;
}

Result<int> NetworkInspectCommand(Cli& cli, const std::string& path, const Args& args) {
  std::string format;
  FlagSet flags;
  flags.String(&format, "f,format", "Format the output using the given Go template");
  auto names =
      cli.Parse(flags, args,
                {path, "[OPTIONS] NETWORK [NETWORK...]",
                 "Display detailed information on one or more networks", Arity::AtLeast(1)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  return InspectEach(cli, *names, format, [&](const std::string& name) -> Result<json> {
    return client->DoJson(
        {.path = "/networks/" + name, .not_found = "Error: No such network: " + name});
  });
}

Result<int> NetworkRmCommand(Cli& cli, const std::string& path, const Args& args) {
  FlagSet flags;
  auto names =
      cli.Parse(flags, args,
                {path, "NETWORK [NETWORK...]", "Remove one or more networks", Arity::AtLeast(1)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  return ForEach(cli, *names, [&](const std::string& name) -> Result<std::string> {
    BERTH_TRY(client->Do({.method = "DELETE", .path = "/networks/" + name}));
    return name;
  });
}

Result<int> NetworkPruneCommand(Cli& cli, const std::string& path, const Args& args) {
  bool force = false;
  std::vector<std::string> filters;
  FlagSet flags;
  flags.Bool(&force, "f,force", "Do not prompt for confirmation");
  flags.Strings(&filters, "filter", "Provide filter values (e.g. 'until=<timestamp>')");
  auto positional =
      cli.Parse(flags, args, {path, "[OPTIONS]", "Remove all unused networks", Arity::Exactly(0)});
  if (!positional) return cli.exit_code();
  if (!force && !Confirm(cli,
                         "WARNING! This will remove all custom networks not used by at least one "
                         "container.")) {
    return 0;
  }
  BERTH_ASSIGN_OR_RETURN(std::string encoded, FiltersJson(filters));
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(json report, client->DoJson({.method = "POST",
                                                      .path = "/networks/prune",
                                                      .query = {{"filters", encoded}}}));
  const json& deleted = ArrayAt(report, "NetworksDeleted");
  if (!deleted.empty()) {
    std::string text = "Deleted Networks:\n";
    for (const json& name : deleted) {
      text += (name.is_string() ? name.get<std::string>() : "") + "\n";
    }
    cli.Out(text + "\n");
  }
  return 0;
}

Result<int> NetworkConnectCommand(Cli& cli, const std::string& path, const Args& args) {
  std::string ip;
  std::vector<std::string> aliases;
  FlagSet flags;
  flags.String(&ip, "ip", "IPv4 address (e.g., 172.30.100.104)");
  flags.Strings(&aliases, "alias", "Add network-scoped alias for the container");
  auto names = cli.Parse(
      flags, args,
      {path, "[OPTIONS] NETWORK CONTAINER", "Connect a container to a network", Arity::Exactly(2)});
  if (!names) return cli.exit_code();
  json endpoint = json::object();
  if (!ip.empty()) endpoint["IPAMConfig"] = {{"IPv4Address", ip}};
  if (!aliases.empty()) endpoint["Aliases"] = aliases;
  json body = {{"Container", (*names)[1]}, {"EndpointConfig", endpoint}};
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_TRY(client->Do(
      {.method = "POST", .path = "/networks/" + (*names)[0] + "/connect", .body = body.dump()}));
  return 0;
}

Result<int> NetworkDisconnectCommand(Cli& cli, const std::string& path, const Args& args) {
  bool force = false;
  FlagSet flags;
  flags.Bool(&force, "f,force", "Force the container to disconnect from a network");
  auto names = cli.Parse(flags, args,
                         {path, "[OPTIONS] NETWORK CONTAINER",
                          "Disconnect a container from a network", Arity::Exactly(2)});
  if (!names) return cli.exit_code();
  json body = {{"Container", (*names)[1]}, {"Force", force}};
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_TRY(client->Do(
      {.method = "POST", .path = "/networks/" + (*names)[0] + "/disconnect", .body = body.dump()}));
  return 0;
}

}  // namespace berth::cli
