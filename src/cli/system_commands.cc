// docker version, info, system df and events over the system endpoints.
#include <fmt/format.h>

#include <csignal>
#include <ctime>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/json_fields.h"
#include "cli/json_stream.h"
#include "cli/output.h"
#include "cli/rows.h"
#include "cli/template.h"

namespace berth::cli {

namespace {

using json = nlohmann::ordered_json;

constexpr std::string_view kClientVersion = "0.1.0";

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : PrintValue(*it);
}

int64_t Int(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

// CommitId is the ID of one of info's commit objects (ContainerdCommit, RuncCommit, InitCommit).
std::string CommitId(const json& info, const char* key) {
  auto it = info.find(key);
  return it != info.end() && it->is_object() ? Str(*it, "ID") : "";
}

// Executes a --format template over one value and prints it with a newline.
Result<int> PrintFormatted(Cli& cli, const std::string& format, const json& value) {
  OutputFormat parsed = ParseFormat(format, "");
  BERTH_ASSIGN_OR_RETURN(Template tmpl, Template::Parse(parsed.body));
  BERTH_ASSIGN_OR_RETURN(std::string text, tmpl.Execute(value));
  cli.Out(text + "\n");
  return 0;
}

std::string Joined(const json& j, const char* key) {
  std::vector<std::string> parts;
  auto it = j.find(key);
  if (it != j.end() && it->is_array()) {
    for (const json& v : *it) parts.push_back(v.is_string() ? v.get<std::string>() : PrintValue(v));
  }
  return Join(parts, " ");
}

// VerboseDiskUsage is system df -v: docker's tables of images (each by its first name),
// containers, local volumes and the build cache.
Result<std::string> VerboseDiskUsage(const json& df) {
  auto list = [&](const char* key) {
    return df.contains(key) && df[key].is_array() ? df[key] : json::array();
  };
  std::string text = "Images space usage:\n\n";
  std::vector<json> rows;
  for (const json& image : list("Images")) rows.push_back(ImageRows(image, false, true).front());
  BERTH_ASSIGN_OR_RETURN(
      std::string table,
      RenderRows(ParseFormat("",
                             "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t"
                             "{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}"),
                 rows, ImageHeaders()));
  text += table + "\nContainers space usage:\n\n";
  rows.clear();
  for (const json& c : list("Containers")) rows.push_back(ContainerRow(c, true));
  BERTH_ASSIGN_OR_RETURN(table,
                         RenderRows(ParseFormat("",
                                                "table {{.ID}}\t{{.Image}}\t{{.Command}}\t"
                                                "{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t"
                                                "{{.Status}}\t{{.Names}}"),
                                    rows, ContainerHeaders()));
  text += table + "\nLocal Volumes space usage:\n\n";
  rows.clear();
  for (const json& v : list("Volumes")) {
    const json usage = v.contains("UsageData") ? v["UsageData"] : json::object();
    const int64_t size = usage.contains("Size") ? Int(usage, "Size") : -1;
    rows.push_back({{"Name", Str(v, "Name")},
                    {"Links", std::to_string(Int(usage, "RefCount"))},
                    {"Size", size < 0 ? "N/A" : HumanSize(size, 3)}});
  }
  static const json volume_headers = {
      {"Name", "VOLUME NAME"}, {"Links", "LINKS"}, {"Size", "SIZE"}};
  BERTH_ASSIGN_OR_RETURN(
      table,
      RenderRows(ParseFormat("", "table {{.Name}}\t{{.Links}}\t{{.Size}}"), rows, volume_headers));
  int64_t cache_size = 0;
  for (const json& b : list("BuildCache")) cache_size += Int(b, "Size");
  text += table + "\nBuild cache usage: " + HumanSize(cache_size) + "\n\n";
  static const json cache_headers = {
      {"ID", "CACHE ID"},          {"CacheType", "CACHE TYPE"},    {"Size", "SIZE"},
      {"CreatedSince", "CREATED"}, {"LastUsedSince", "LAST USED"}, {"UsageCount", "USAGE"},
      {"Shared", "SHARED"}};
  BERTH_ASSIGN_OR_RETURN(table, RenderRows(ParseFormat("",
                                                       "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t"
                                                       "{{.CreatedSince}}\t{{.LastUsedSince}}\t"
                                                       "{{.UsageCount}}\t{{.Shared}}"),
                                           {}, cache_headers));
  return text + table;
}

}  // namespace

Result<int> VersionCommand(Cli& cli, const std::string& path, const Args& args) {
  std::string format;
  FlagSet flags;
  flags.String(&format, "f,format", "Format output using a custom template");
  auto positional = cli.Parse(
      flags, args, {path, "[OPTIONS]", "Show the Docker version information", Arity::Exactly(0)});
  if (!positional) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  json client_info = {{"Platform", {{"Name", ""}}},
                      {"Version", kClientVersion},
                      {"ApiVersion", ""},
                      {"DefaultAPIVersion", client::kMaxApiVersion},
                      {"Os", "linux"},
                      {"Arch", "amd64"},
                      {"Context", "default"}};
#if defined(__aarch64__)
  client_info["Arch"] = "arm64";
#endif
  Result<std::string> version = client->ApiVersion();
  Result<json> server = version ? client->DoJson({.path = "/version"}) : Fail(version.error());
  client_info["ApiVersion"] = version ? *version : std::string(client::kMaxApiVersion);
  json all = {{"Client", client_info}, {"Server", server ? *server : json()}};
  if (!format.empty()) {
    BERTH_TRY(PrintFormatted(cli, format, all));
    if (!server) return Fail(server.error());
    return 0;
  }
  std::string text = fmt::format(
      "Client:\n Version:           {}\n API version:       {}\n OS/Arch:           linux/{}\n"
      " Context:           default\n",
      kClientVersion,
      Str(client_info, "ApiVersion") +
          (Str(client_info, "ApiVersion") != client::kMaxApiVersion
               ? fmt::format(" (downgraded from {})", client::kMaxApiVersion)
               : ""),
      Str(client_info, "Arch"));
  if (server) {
    const json& s = *server;
    text += fmt::format("\nServer: {}\n", s.contains("Platform") ? Str(s["Platform"], "Name") : "");
    auto components = s.find("Components");
    if (components != s.end() && components->is_array()) {
      for (const json& component : *components) {
        text += fmt::format(" {}:\n  Version:          {}\n", Str(component, "Name"),
                            Str(component, "Version"));
        if (Str(component, "Name") != "Engine") continue;
        text += fmt::format(
            "  API version:      {} (minimum version {})\n  Go version:       {}\n"
            "  Git commit:       {}\n  Built:            {}\n  OS/Arch:          {}/{}\n"
            "  Experimental:     {}\n",
            Str(s, "ApiVersion"), Str(s, "MinAPIVersion"), Str(s, "GoVersion"), Str(s, "GitCommit"),
            Str(s, "BuildTime"), Str(s, "Os"), Str(s, "Arch"), Str(s, "Experimental"));
      }
    }
  }
  cli.Out(text);
  if (!server) return Fail(server.error());
  return 0;
}

Result<int> InfoCommand(Cli& cli, const std::string& path, const Args& args) {
  std::string format;
  FlagSet flags;
  flags.String(&format, "f,format", "Format output using a custom template");
  auto positional = cli.Parse(
      flags, args, {path, "[OPTIONS]", "Display system-wide information", Arity::Exactly(0)});
  if (!positional) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(json info, client->DoJson({.path = "/info"}));
  if (!format.empty()) return PrintFormatted(cli, format, info);
  std::string t = fmt::format("Client:\n Version:    {}\n Context:    default\n Debug Mode: {}\n\n",
                              kClientVersion, cli.options().debug);
  t += fmt::format(
      "Server:\n Containers: {}\n  Running: {}\n  Paused: {}\n  Stopped: {}\n Images: {}\n"
      " Server Version: {}\n Storage Driver: {}\n Logging Driver: {}\n Cgroup Driver: {}\n"
      " Cgroup Version: {}\n",
      Int(info, "Containers"), Int(info, "ContainersRunning"), Int(info, "ContainersPaused"),
      Int(info, "ContainersStopped"), Int(info, "Images"), Str(info, "ServerVersion"),
      Str(info, "Driver"), Str(info, "LoggingDriver"), Str(info, "CgroupDriver"),
      Str(info, "CgroupVersion"));
  if (info.contains("Plugins") && info["Plugins"].is_object()) {
    const json& plugins = info["Plugins"];
    t += fmt::format(" Plugins:\n  Volume: {}\n  Network: {}\n  Log: {}\n",
                     Joined(plugins, "Volume"), Joined(plugins, "Network"), Joined(plugins, "Log"));
  }
  std::vector<std::string> runtimes;
  if (info.contains("Runtimes") && info["Runtimes"].is_object()) {
    for (const auto& item : info["Runtimes"].items()) runtimes.push_back(item.key());
  }
  t += fmt::format(
      " Swarm: {}\n Runtimes: {}\n Default Runtime: {}\n Init Binary: {}\n containerd version: {}\n"
      " runc version: {}\n init version: {}\n Kernel Version: {}\n"
      " Operating System: {}\n OSType: {}\n Architecture: {}\n CPUs: {}\n Total Memory: {}\n"
      " Name: {}\n ID: {}\n Docker Root Dir: {}\n Debug Mode: {}\n Experimental: {}\n"
      " Live Restore Enabled: {}\n\n",
      info.contains("Swarm") ? Str(info["Swarm"], "LocalNodeState") : "", Join(runtimes, " "),
      Str(info, "DefaultRuntime"), Str(info, "InitBinary"), CommitId(info, "ContainerdCommit"),
      CommitId(info, "RuncCommit"), CommitId(info, "InitCommit"), Str(info, "KernelVersion"),
      Str(info, "OperatingSystem"), Str(info, "OSType"), Str(info, "Architecture"),
      Int(info, "NCPU"), BytesSize(static_cast<double>(Int(info, "MemTotal"))), Str(info, "Name"),
      Str(info, "ID"), Str(info, "DockerRootDir"), Str(info, "Debug"),
      Str(info, "ExperimentalBuild"), Str(info, "LiveRestoreEnabled"));
  cli.Out(t);
  std::string warnings;
  if (info.contains("Warnings") && info["Warnings"].is_array()) {
    for (const json& w : info["Warnings"]) warnings += PrintValue(w) + "\n";
  }
  if (!warnings.empty()) cli.Err(warnings);
  return 0;
}

Result<int> SystemDfCommand(Cli& cli, const std::string& path, const Args& args) {
  std::string format;
  bool verbose = false;
  FlagSet flags;
  flags.String(&format, "format", "Format output using a custom template");
  flags.Bool(&verbose, "v,verbose", "Show detailed information on space usage");
  auto positional =
      cli.Parse(flags, args, {path, "[OPTIONS]", "Show docker disk usage", Arity::Exactly(0)});
  if (!positional) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(json df, client->DoJson({.path = "/system/df"}));
  if (verbose) {
    BERTH_ASSIGN_OR_RETURN(std::string text, VerboseDiskUsage(df));
    cli.Out(text);
    return 0;
  }
  auto list = [&](const char* key) {
    return df.contains(key) && df[key].is_array() ? df[key] : json::array();
  };
  auto reclaimable = [](int64_t total, int64_t reclaim) {
    return total > 0 ? fmt::format("{} ({}%)", HumanSize(reclaim), reclaim * 100 / total)
                     : HumanSize(reclaim);
  };
  std::vector<json> rows;
  {
    int64_t active = 0, used = 0;
    for (const json& image : list("Images")) {
      if (Int(image, "Containers") == 0) continue;
      ++active;
      if (Int(image, "SharedSize") >= 0) used += Int(image, "Size") - Int(image, "SharedSize");
    }
    int64_t total = Int(df, "LayersSize");
    rows.push_back({{"Type", "Images"},
                    {"TotalCount", std::to_string(list("Images").size())},
                    {"Active", std::to_string(active)},
                    {"Size", HumanSize(total)},
                    {"Reclaimable", reclaimable(total, total - used)}});
  }
  {
    int64_t active = 0, total = 0, reclaim = 0;
    for (const json& c : list("Containers")) {
      total += Int(c, "SizeRw");
      if (Str(c, "State") == "running") {
        ++active;
      } else {
        reclaim += Int(c, "SizeRw");
      }
    }
    rows.push_back({{"Type", "Containers"},
                    {"TotalCount", std::to_string(list("Containers").size())},
                    {"Active", std::to_string(active)},
                    {"Size", HumanSize(total)},
                    {"Reclaimable", reclaimable(total, reclaim)}});
  }
  {
    int64_t active = 0, total = 0, reclaim = 0;
    for (const json& v : list("Volumes")) {
      const json usage = v.contains("UsageData") ? v["UsageData"] : json::object();
      int64_t size = std::max<int64_t>(Int(usage, "Size"), 0);
      total += size;
      if (Int(usage, "RefCount") > 0) {
        ++active;
      } else {
        reclaim += size;
      }
    }
    rows.push_back({{"Type", "Local Volumes"},
                    {"TotalCount", std::to_string(list("Volumes").size())},
                    {"Active", std::to_string(active)},
                    {"Size", HumanSize(total)},
                    {"Reclaimable", reclaimable(total, reclaim)}});
  }
  {
    int64_t active = 0, total = 0, reclaim = 0;
    for (const json& b : list("BuildCache")) {
      total += Int(b, "Size");
      if (BoolAt(b, "InUse")) {
        ++active;
      } else if (!BoolAt(b, "Shared")) {
        reclaim += Int(b, "Size");
      }
    }
    rows.push_back({{"Type", "Build Cache"},
                    {"TotalCount", std::to_string(list("BuildCache").size())},
                    {"Active", std::to_string(active)},
                    {"Size", HumanSize(total)},
                    {"Reclaimable", HumanSize(reclaim)}});
  }
  static const json headers = {{"Type", "TYPE"},
                               {"TotalCount", "TOTAL"},
                               {"Active", "ACTIVE"},
                               {"Size", "SIZE"},
                               {"Reclaimable", "RECLAIMABLE"}};
  OutputFormat out = ParseFormat(
      format, "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}");
  BERTH_ASSIGN_OR_RETURN(std::string text, RenderRows(out, rows, headers));
  cli.Out(text);
  return 0;
}

namespace {

// EventLine renders an event as docker's default events output does:
// "<time RFC3339Nano> <type> <action> <id> (k=v, ...)".
std::string EventLine(const json& event) {
  int64_t nanos = Int(event, "timeNano");
  if (nanos == 0) nanos = Int(event, "time") * 1000000000;
  time_t seconds = static_cast<time_t>(nanos / 1000000000);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char stamp[64];
  size_t size = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  char zone[16];
  size_t zone_size = strftime(zone, sizeof(zone), "%z", &tm);
  std::string offset(zone, zone_size);
  offset = offset == "+0000" ? "Z" : offset.insert(3, ":");
  std::string line = fmt::format("{}.{:09d}{} {} {} ", std::string(stamp, size), nanos % 1000000000,
                                 offset, Str(event, "Type"), Str(event, "Action"));
  const json actor = event.contains("Actor") ? event["Actor"] : json::object();
  line += Str(actor, "ID");
  if (actor.contains("Attributes") && actor["Attributes"].is_object() &&
      !actor["Attributes"].empty()) {
    std::vector<std::string> attrs;
    for (const auto& item : actor["Attributes"].items()) {
      attrs.push_back(item.key() + "=" + PrintValue(item.value()));
    }
    std::sort(attrs.begin(), attrs.end());
    line += " (" + Join(attrs, ", ") + ")";
  }
  return line + "\n";
}

}  // namespace

Result<int> EventsCommand(Cli& cli, const std::string& path, const Args& args) {
  std::string since, until, format;
  std::vector<std::string> filters;
  FlagSet flags;
  flags.Strings(&filters, "f,filter", "Filter output based on conditions provided");
  flags.String(&format, "format", "Format output using a custom template");
  flags.String(&since, "since", "Show all events created since timestamp");
  flags.String(&until, "until", "Stream events until this timestamp");
  auto positional = cli.Parse(
      flags, args, {path, "[OPTIONS]", "Get real time events from the server", Arity::Exactly(0)});
  if (!positional) return cli.exit_code();
  client::Request request{.path = "/events"};
  if (!since.empty()) request.query.emplace_back("since", since);
  if (!until.empty()) request.query.emplace_back("until", until);
  if (!filters.empty()) {
    BERTH_ASSIGN_OR_RETURN(std::string encoded, FiltersJson(filters));
    request.query.emplace_back("filters", encoded);
  }
  std::optional<Template> tmpl;
  if (!format.empty()) {
    BERTH_ASSIGN_OR_RETURN(tmpl, Template::Parse(ParseFormat(format, "").body));
  }
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<client::ResponseStream> stream, client->Stream(request));
  while (true) {
    BERTH_ASSIGN_OR_RETURN(std::optional<std::string> line, stream->ReadLine());
    if (!line) return 0;
    json event = json::parse(*line, nullptr, false);
    if (!event.is_object()) continue;
    if (tmpl) {
      BERTH_ASSIGN_OR_RETURN(std::string text, tmpl->Execute(event));
      cli.Out(text + "\n");
    } else {
      cli.Out(EventLine(event));
    }
  }
}

}  // namespace berth::cli
