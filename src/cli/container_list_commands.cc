// docker ps, logs, top, stats and export: reading what containers are and say.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/docker_config.h"
#include "cli/format.h"
#include "cli/json_fields.h"
#include "cli/json_stream.h"
#include "cli/output.h"
#include "cli/rows.h"
#include "client/stdcopy.h"

namespace berth::cli {

namespace {

using json = nlohmann::ordered_json;

constexpr std::string_view kPsTable =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

int64_t Int(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// GoQuote quotes as strconv.Quote does for printable text.
std::string GoQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

std::string EllipsisText(const std::string& s, size_t width) {
  size_t runes = 0;
  for (char c : s) runes += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (runes <= width) return s;
  std::string out;
  size_t kept = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && ++kept == width) break;
    out += s[i];
  }
  return out + "…";
}

// PortsText renders a container's ports as docker's ps does ("0.0.0.0:8080->80/tcp, 443/tcp").
std::string PortsText(const json& ports) {
  std::vector<std::string> parts;
  if (!ports.is_array()) return "";
  for (const json& p : ports) {
    std::string proto = Str(p, "Type");
    std::string port = std::to_string(Int(p, "PrivatePort")) + "/" + proto;
    if (Int(p, "PublicPort") != 0) {
      std::string ip = Str(p, "IP");
      if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
      parts.push_back(fmt::format("{}:{}->{}", ip, Int(p, "PublicPort"), port));
    } else {
      parts.push_back(port);
    }
  }
  return Join(parts, ", ");
}

}  // namespace

json ContainerRow(const json& c, bool trunc) {
  std::vector<std::string> names;
  if (c.contains("Names") && c["Names"].is_array()) {
    for (const json& n : c["Names"]) {
      std::string name = n.is_string() ? n.get<std::string>() : "";
      if (!name.empty() && name[0] == '/') name.erase(0, 1);
      // Legacy links appear as "/other/alias"; ps shows them only untruncated.
      if (trunc && name.find('/') != std::string::npos) continue;
      names.push_back(name);
    }
  }
  std::string image = Str(c, "Image");
  if (trunc) {
    if (image.starts_with("sha256:")) image = TruncateId(image);
    size_t at = image.find('@');
    if (at != std::string::npos) image = image.substr(0, at);
  }
  std::vector<std::string> labels;
  if (c.contains("Labels") && c["Labels"].is_object()) {
    for (const auto& item : c["Labels"].items()) {
      labels.push_back(item.key() + "=" +
                       (item.value().is_string() ? item.value().get<std::string>() : ""));
    }
  }
  std::vector<std::string> mounts;
  if (c.contains("Mounts") && c["Mounts"].is_array()) {
    for (const json& m : c["Mounts"]) {
      std::string name = Str(m, "Name").empty() ? Str(m, "Source") : Str(m, "Name");
      mounts.push_back(trunc ? EllipsisText(name, 15) : name);
    }
  }
  std::vector<std::string> networks;
  const json settings = ObjectAt(c, "NetworkSettings");
  if (settings.is_object() && settings.contains("Networks") && settings["Networks"].is_object()) {
    for (const auto& item : settings["Networks"].items()) networks.push_back(item.key());
  }
  const std::string command = Str(c, "Command");
  const int64_t created = Int(c, "Created");
  json row;
  row["Command"] = GoQuote(trunc ? EllipsisText(command, 20) : command);
  row["CreatedAt"] = GoTimeString(created);
  row["ID"] = trunc ? TruncateId(Str(c, "Id")) : Str(c, "Id");
  row["Image"] = image;
  row["Labels"] = Join(labels, ",");
  row["LocalVolumes"] = std::to_string(mounts.size());
  row["Mounts"] = Join(mounts, ",");
  row["Names"] = Join(names, ",");
  row["Networks"] = Join(networks, ",");
  row["Ports"] = PortsText(ArrayAt(c, "Ports"));
  row["RunningFor"] = TimeAgo(created);
  row["Size"] = IntAt(c, "SizeRootFs") > 0
                    ? fmt::format("{} (virtual {})", HumanSize(Int(c, "SizeRw"), 3),
                                  HumanSize(Int(c, "SizeRootFs"), 3))
                    : HumanSize(Int(c, "SizeRw"), 3);
  row["State"] = Str(c, "State");
  row["Status"] = Str(c, "Status");
  return row;
}

const json& ContainerHeaders() {
  static const json* headers = new json{
      {"Command", "COMMAND"}, {"CreatedAt", "CREATED AT"}, {"ID", "CONTAINER ID"},
      {"Image", "IMAGE"},     {"Labels", "LABELS"},        {"LocalVolumes", "LOCAL VOLUMES"},
      {"Mounts", "MOUNTS"},   {"Names", "NAMES"},          {"Networks", "NETWORKS"},
      {"Ports", "PORTS"},     {"RunningFor", "CREATED"},   {"Size", "SIZE"},
      {"State", "STATE"},     {"Status", "STATUS"}};
  return *headers;
}

namespace {

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrnoNow("write"));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Ok();
}

}  // namespace

Result<int> PsCommand(Cli& cli, const std::string& path, const Args& args) {
  bool all = false, quiet = false, size = false, no_trunc = false, latest = false;
  int64_t last = -1;
  std::vector<std::string> filters;
  std::string format;
  FlagSet flags;
  flags.Bool(&all, "a,all", "Show all containers (default shows just running)");
  flags.Strings(&filters, "f,filter", "Filter output based on conditions provided");
  flags.String(&format, "format", "Format output using a custom template");
  flags.Int(&last, "n,last", "Show n last created containers (includes all states)");
  flags.Bool(&latest, "l,latest", "Show the latest created container (includes all states)");
  flags.Bool(&no_trunc, "no-trunc", "Don't truncate output");
  flags.Bool(&quiet, "q,quiet", "Only display container IDs");
  flags.Bool(&size, "s,size", "Display total file sizes");
  auto positional =
      cli.Parse(flags, args, {path, "[OPTIONS]", "List containers", Arity::Exactly(0)});
  if (!positional) return cli.exit_code();
  client::Request request{.path = "/containers/json"};
  if (latest) last = 1;
  if (all) request.query.emplace_back("all", "1");
  if (last > 0) request.query.emplace_back("limit", std::to_string(last));
  BERTH_ASSIGN_OR_RETURN(format, ConfiguredFormat(cli.options().config_dir, format, "psFormat"));
  OutputFormat out = quiet ? ParseFormat("{{.ID}}", "")
                           : ParseFormat(format, size ? std::string(kPsTable) + "\t{{.Size}}"
                                                      : std::string(kPsTable));
  // Sizes cost the daemon a walk of each container's layer: ask only when they are shown.
  if (size || out.body.find(".Size") != std::string::npos) request.query.emplace_back("size", "1");
  if (!filters.empty()) {
    BERTH_ASSIGN_OR_RETURN(std::string encoded, FiltersJson(filters));
    request.query.emplace_back("filters", encoded);
  }
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(json containers, client->DoJson(request));
  std::vector<json> rows;
  for (const json& c : containers) rows.push_back(ContainerRow(c, !no_trunc));
  BERTH_ASSIGN_OR_RETURN(std::string text, RenderRows(out, rows, ContainerHeaders()));
  cli.Out(text);
  return 0;
}

Result<int> LogsCommand(Cli& cli, const std::string& path, const Args& args) {
  bool follow = false, timestamps = false, details = false;
  std::string tail = "all", since, until;
  FlagSet flags;
  flags.Bool(&details, "details", "Show extra details provided to logs");
  flags.Bool(&follow, "f,follow", "Follow log output");
  flags.String(&since, "since", "Show logs since timestamp or relative (e.g. 42m for 42 minutes)");
  flags.String(&tail, "n,tail", "Number of lines to show from the end of the logs");
  flags.Bool(&timestamps, "t,timestamps", "Show timestamps");
  flags.String(&until, "until",
               "Show logs before a timestamp or relative (e.g. 42m for 42 minutes)");
  auto names =
      cli.Parse(flags, args,
                {path, "[OPTIONS] CONTAINER", "Fetch the logs of a container", Arity::Exactly(1)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(json info,
                         client->DoJson({.path = "/containers/" + (*names)[0] + "/json",
                                         .not_found = "Error: No such container: " + (*names)[0]}));
  const bool tty = BoolAt(ObjectAt(info, "Config"), "Tty");
  client::Request request{.path = "/containers/" + (*names)[0] + "/logs",
                          .not_found = "Error: No such container: " + (*names)[0]};
  request.query = {{"stdout", "1"}, {"stderr", "1"}};
  if (follow) request.query.emplace_back("follow", "1");
  if (timestamps) request.query.emplace_back("timestamps", "1");
  if (details) request.query.emplace_back("details", "1");
  if (!since.empty()) request.query.emplace_back("since", since);
  if (!until.empty()) request.query.emplace_back("until", until);
  request.query.emplace_back("tail", tail);
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<client::ResponseStream> stream, client->Stream(request));
  client::Demuxer demuxer;
  auto sink = [](client::StdStream s, std::string_view data) -> Status {
    return WriteAll(s == client::StdStream::kStderr ? STDERR_FILENO : STDOUT_FILENO, data);
  };
  char data[32 << 10];
  while (true) {
    BERTH_ASSIGN_OR_RETURN(size_t n, stream->Read(data, sizeof(data)));
    if (n == 0) break;
    std::string_view piece(data, n);
    BERTH_TRY(tty ? WriteAll(STDOUT_FILENO, piece) : demuxer.Feed(piece, sink));
  }
  return 0;
}

Result<int> TopCommand(Cli& cli, const std::string& path, const Args& args) {
  FlagSet flags;
  auto positional =
      cli.Parse(flags, args,
                {path, "CONTAINER [ps OPTIONS]", "Display the running processes of a container",
                 Arity::AtLeast(1), false});
  if (!positional) return cli.exit_code();
  client::Request request{.path = "/containers/" + (*positional)[0] + "/top"};
  if (positional->size() > 1) {
    request.query.emplace_back(
        "ps_args", Join(std::vector<std::string>(positional->begin() + 1, positional->end()), " "));
  }
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(json top, client->DoJson(request));
  std::string text;
  std::vector<std::string> titles;
  for (const json& t : ArrayAt(top, "Titles")) titles.push_back(t.get<std::string>());
  text += Join(titles, "\t") + "\n";
  for (const json& process : ArrayAt(top, "Processes")) {
    std::vector<std::string> cells;
    for (const json& cell : process)
      cells.push_back(cell.is_string() ? cell.get<std::string>() : cell.dump());
    text += Join(cells, "\t") + "\n";
  }
  // docker's top uses tabwriter(20, 1, 3) for its columns.
  cli.Out(TabWrite(text, 20, 3));
  return 0;
}

Result<int> ExportCommand(Cli& cli, const std::string& path, const Args& args) {
  std::string output;
  FlagSet flags;
  flags.String(&output, "o,output", "Write to a file, instead of STDOUT");
  auto names = cli.Parse(flags, args,
                         {path, "[OPTIONS] CONTAINER",
                          "Export a container's filesystem as a tar archive", Arity::Exactly(1)});
  if (!names) return cli.exit_code();
  if (output.empty() && Cli::OutIsTerminal()) {
    return Fail(ErrorKind::kInvalidArgument,
                "cowardly refusing to save to a terminal. Use the -o flag or redirect");
  }
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<client::ResponseStream> stream,
                         client->Stream({.path = "/containers/" + (*names)[0] + "/export"}));
  return StreamToOutput(*stream, output);
}

Result<int> StatsCommand(Cli& cli, const std::string& path, const Args& args) {
  bool no_stream = false, all = false, no_trunc = false;
  std::string format;
  FlagSet flags;
  flags.Bool(&all, "a,all", "Show all containers (default shows just running)");
  flags.String(&format, "format", "Format output using a custom template");
  flags.Bool(&no_stream, "no-stream", "Disable streaming stats and only pull the first result");
  flags.Bool(&no_trunc, "no-trunc", "Do not truncate output");
  auto names =
      cli.Parse(flags, args,
                {path, "[OPTIONS] [CONTAINER...]",
                 "Display a live stream of container(s) resource usage statistics", Arity::Any()});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  std::vector<std::string> targets = *names;
  if (targets.empty()) {
    client::Request list{.path = "/containers/json"};
    if (all) list.query.emplace_back("all", "1");
    BERTH_ASSIGN_OR_RETURN(json containers, client->DoJson(list));
    for (const json& c : containers) targets.push_back(Str(c, "Id"));
  }
  static const json headers = {
      {"BlockIO", "BLOCK I/O"}, {"CPUPerc", "CPU %"}, {"Container", "CONTAINER"},
      {"ID", "CONTAINER ID"},   {"MemPerc", "MEM %"}, {"MemUsage", "MEM USAGE / LIMIT"},
      {"Name", "NAME"},         {"NetIO", "NET I/O"}, {"PIDs", "PIDS"}};
  BERTH_ASSIGN_OR_RETURN(format, ConfiguredFormat(cli.options().config_dir, format, "statsFormat"));
  OutputFormat out = ParseFormat(format,
                                 "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t"
                                 "{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}");
  while (true) {
    std::vector<json> rows;
    for (const std::string& target : targets) {
      BERTH_ASSIGN_OR_RETURN(json s, client->DoJson({.path = "/containers/" + target + "/stats",
                                                     .query = {{"stream", "0"}}}));
      rows.push_back(StatsRow(s, target, !no_trunc));
    }
    BERTH_ASSIGN_OR_RETURN(std::string text, RenderRows(out, rows, headers));
    if (no_stream) {
      cli.Out(text);
      return 0;
    }
    // Redraw in place as docker does: clear the screen, home the cursor.
    cli.Out("\x1b[2J\x1b[H" + text);
    sleep(1);
  }
}

}  // namespace berth::cli
