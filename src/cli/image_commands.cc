// docker images, image inspect, inspect, history, tag, rmi and image prune over the image
// endpoints, with docker's columns and wording.
#include <fmt/format.h>

#include "base/strings.h"
#include "cli/commands.h"
#include "cli/docker_config.h"
#include "cli/format.h"
#include "cli/inspect.h"
#include "cli/json_stream.h"
#include "cli/reference.h"
#include "cli/rows.h"

namespace berth::cli {

namespace {

using nlohmann::ordered_json;
using json = nlohmann::ordered_json;

constexpr std::string_view kImagesTable =
    "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
constexpr std::string_view kImagesDigestTable =
    "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
constexpr std::string_view kHistoryTable =
    "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";

int64_t IntField(const json& j, const char* key, int64_t fallback = 0) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : fallback;
}

std::string StrField(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> StrList(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const json& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::string SizeOrNa(int64_t size) { return size < 0 ? "N/A" : HumanSize(size, 3); }

// ImageRow is one line of docker images: the fields of docker's imageContext, by name.
ordered_json ImageRow(const json& image, const std::string& repo, const std::string& tag,
                      const std::string& digest, bool trunc) {
  const int64_t size = IntField(image, "Size");
  const int64_t shared = IntField(image, "SharedSize", -1);
  const int64_t containers = IntField(image, "Containers", -1);
  const int64_t created = IntField(image, "Created");
  const std::string id = StrField(image, "Id");
  ordered_json row;
  row["Containers"] = containers < 0 ? "N/A" : std::to_string(containers);
  row["CreatedAt"] = GoTimeString(created);
  row["CreatedSince"] = TimeAgo(created);
  row["Digest"] = digest;
  row["ID"] = trunc ? TruncateId(id) : id;
  row["Repository"] = repo;
  row["SharedSize"] = SizeOrNa(shared);
  row["Size"] = HumanSize(size, 3);
  row["Tag"] = tag;
  row["UniqueSize"] = shared < 0 ? "N/A" : HumanSize(size - shared, 3);
  // API 1.44 dropped VirtualSize from the list; docker shows what is sent (0B without it).
  row["VirtualSize"] = HumanSize(IntField(image, "VirtualSize", 0), 3);
  return row;
}

}  // namespace

const ordered_json& ImageHeaders() {
  static const ordered_json* headers = new ordered_json{{"Containers", "CONTAINERS"},
                                                        {"CreatedAt", "CREATED AT"},
                                                        {"CreatedSince", "CREATED"},
                                                        {"Digest", "DIGEST"},
                                                        {"ID", "IMAGE ID"},
                                                        {"Repository", "REPOSITORY"},
                                                        {"SharedSize", "SHARED SIZE"},
                                                        {"Size", "SIZE"},
                                                        {"Tag", "TAG"},
                                                        {"UniqueSize", "UNIQUE SIZE"},
                                                        {"VirtualSize", "VIRTUAL SIZE"}};
  return *headers;
}

std::vector<ordered_json> ImageRows(const json& image, bool digests, bool trunc) {
  std::vector<std::string> tags = StrList(image, "RepoTags");
  std::vector<std::string> repo_digests = StrList(image, "RepoDigests");
  std::vector<ordered_json> rows;
  const bool dangling = (tags.empty() && repo_digests.empty()) ||
                        (tags.size() == 1 && tags[0] == "<none>:<none>" &&
                         repo_digests.size() == 1 && repo_digests[0] == "<none>@<none>");
  if (dangling) {
    rows.push_back(ImageRow(image, "<none>", "<none>", "<none>", trunc));
    return rows;
  }
  std::vector<std::pair<std::string, std::vector<std::string>>> by_repo_tags, by_repo_digests;
  auto add = [](auto& list, const std::string& repo, const std::string& value) {
    for (auto& [name, values] : list) {
      if (name == repo) {
        values.push_back(value);
        return;
      }
    }
    list.push_back({repo, {value}});
  };
  for (const std::string& name : tags) {
    auto [repo, tag] = SplitRepoTag(name);
    if (!tag.empty()) add(by_repo_tags, repo, tag);
  }
  for (const std::string& name : repo_digests) {
    size_t at = name.find('@');
    if (at != std::string::npos) add(by_repo_digests, name.substr(0, at), name.substr(at + 1));
  }
  for (const auto& [repo, repo_tags] : by_repo_tags) {
    std::vector<std::string> found;
    for (auto it = by_repo_digests.begin(); it != by_repo_digests.end(); ++it) {
      if (it->first == repo) {
        found = it->second;
        by_repo_digests.erase(it);
        break;
      }
    }
    if (!digests) found.clear();
    for (const std::string& tag : repo_tags) {
      if (found.empty()) rows.push_back(ImageRow(image, repo, tag, "<none>", trunc));
      for (const std::string& digest : found) {
        rows.push_back(ImageRow(image, repo, tag, digest, trunc));
      }
    }
  }
  for (const auto& [repo, repo_digest_list] : by_repo_digests) {
    if (!digests) {
      rows.push_back(ImageRow(image, repo, "<none>", "", trunc));
      continue;
    }
    for (const std::string& digest : repo_digest_list) {
      rows.push_back(ImageRow(image, repo, "<none>", digest, trunc));
    }
  }
  return rows;
}

namespace {

// Ellipsis shortens s to width characters, the last one "…", as docker's formatter does.
std::string Ellipsis(const std::string& s, size_t width) {
  std::vector<std::string> runes;
  for (size_t i = 0; i < s.size();) {
    size_t n = 1;
    while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) ++n;
    runes.push_back(s.substr(i, n));
    i += n;
  }
  if (runes.size() <= width) return s;
  std::string out;
  for (size_t i = 0; i + 1 < width; ++i) out += runes[i];
  return out + "…";
}

std::string Rfc3339(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char text[64];
  size_t size = strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S%z", &tm);
  std::string out(text, size);
  // Go's RFC3339 writes "Z" for UTC and "+01:00" otherwise.
  if (out.ends_with("+0000")) return out.substr(0, out.size() - 5) + "Z";
  return out.insert(out.size() - 2, ":");
}

ordered_json HistoryRow(const json& item, bool trunc, bool human) {
  const std::string id = StrField(item, "Id");
  const int64_t created = IntField(item, "Created");
  std::string created_by = StrField(item, "CreatedBy");
  for (char& c : created_by) {
    if (c == '\t') c = ' ';
  }
  const int64_t size = IntField(item, "Size");
  ordered_json row;
  row["Comment"] = StrField(item, "Comment");
  row["CreatedAt"] = Rfc3339(created);
  row["CreatedBy"] = trunc ? Ellipsis(created_by, 45) : created_by;
  row["CreatedSince"] = human ? TimeAgo(created) : Rfc3339(created);
  row["ID"] = trunc && id != "<missing>" ? TruncateId(id) : id;
  row["Size"] = human ? HumanSize(size, 3) : std::to_string(size);
  return row;
}

}  // namespace

Result<int> ImagesCommand(Cli& cli, const std::string& path, const Args& args) {
  bool all = false, quiet = false, digests = false, no_trunc = false;
  std::vector<std::string> filters;
  std::string format;
  FlagSet flags;
  flags.Bool(&all, "a,all", "Show all images (default hides intermediate images)");
  flags.Bool(&digests, "digests", "Show digests");
  flags.Strings(&filters, "f,filter", "Filter output based on conditions provided");
  flags.String(&format, "format", "Format output using a custom template");
  flags.Bool(&no_trunc, "no-trunc", "Don't truncate output");
  flags.Bool(&quiet, "q,quiet", "Only show image IDs");
  auto positional = cli.Parse(
      flags, args, {path, "[OPTIONS] [REPOSITORY[:TAG]]", "List images", Arity::AtMost(1)});
  if (!positional) return cli.exit_code();
  if (!positional->empty()) filters.push_back("reference=" + (*positional)[0]);
  client::Request request{.path = "/images/json"};
  if (all) request.query.emplace_back("all", "1");
  if (!filters.empty()) {
    BERTH_ASSIGN_OR_RETURN(std::string encoded, FiltersJson(filters));
    request.query.emplace_back("filters", encoded);
  }
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(json images, client->DoJson(request));
  std::vector<ordered_json> rows;
  for (const json& image : images) {
    for (ordered_json& row : ImageRows(image, digests, !no_trunc)) rows.push_back(std::move(row));
  }
  BERTH_ASSIGN_OR_RETURN(format,
                         ConfiguredFormat(cli.options().config_dir, format, "imagesFormat"));
  OutputFormat out = quiet ? ParseFormat("{{.ID}}", "")
                           : ParseFormat(format, digests ? kImagesDigestTable : kImagesTable);
  BERTH_ASSIGN_OR_RETURN(std::string text, RenderRows(out, rows, ImageHeaders()));
  cli.Out(text);
  return 0;
}

Result<int> ImageInspectCommand(Cli& cli, const std::string& path, const Args& args) {
  std::string format;
  FlagSet flags;
  flags.String(&format, "f,format", "Format output using a custom template");
  auto names = cli.Parse(flags, args,
                         {path, "[OPTIONS] IMAGE [IMAGE...]",
                          "Display detailed information on one or more images", Arity::AtLeast(1)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  return InspectEach(cli, *names, format, [&](const std::string& name) -> Result<ordered_json> {
    BERTH_ASSIGN_OR_RETURN(client::Response r,
                           client->Do({.path = "/images/" + name + "/json",
                                       .not_found = "Error: No such image: " + name}));
    return r.Json();
  });
}

Result<int> InspectCommand(Cli& cli, const std::string& path, const Args& args) {
  std::string format, type;
  bool size = false;
  FlagSet flags;
  flags.String(&format, "f,format", "Format output using a custom template");
  flags.Bool(&size, "s,size", "Display total file sizes if the type is container");
  flags.String(&type, "type", "Return JSON for specified type");
  auto names = cli.Parse(flags, args,
                         {path, "[OPTIONS] NAME|ID [NAME|ID...]",
                          "Return low-level information on Docker objects", Arity::AtLeast(1)});
  if (!names) return cli.exit_code();
  if (!type.empty() && type != "container" && type != "image") {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("\"{}\" is not a valid value for --type", type));
  }
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  return InspectEach(cli, *names, format, [&](const std::string& name) -> Result<ordered_json> {
    if (type.empty() || type == "container") {
      client::Request request{.path = "/containers/" + name + "/json",
                              .not_found = "Error: No such container: " + name};
      if (size) request.query.emplace_back("size", "1");
      Result<client::Response> r = client->Do(request);
      if (r) return r->Json();
      if (r.error().kind() != ErrorKind::kNotFound || !type.empty()) return Fail(r.error());
    }
    Result<client::Response> r = client->Do(
        {.path = "/images/" + name + "/json", .not_found = "Error: No such image: " + name});
    if (r) return r->Json();
    if (r.error().kind() != ErrorKind::kNotFound || !type.empty()) return Fail(r.error());
    return Fail(ErrorKind::kNotFound, "Error: No such object: " + name);
  });
}

Result<int> HistoryCommand(Cli& cli, const std::string& path, const Args& args) {
  bool human = true, no_trunc = false, quiet = false;
  std::string format;
  FlagSet flags;
  flags.String(&format, "format", "Format output using a custom template");
  flags.Bool(&human, "H,human", "Print sizes and dates in human readable format");
  flags.Bool(&no_trunc, "no-trunc", "Don't truncate output");
  flags.Bool(&quiet, "q,quiet", "Only show image IDs");
  auto names = cli.Parse(
      flags, args, {path, "[OPTIONS] IMAGE", "Show the history of an image", Arity::Exactly(1)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(json items,
                         client->DoJson({.path = "/images/" + (*names)[0] + "/history"}));
  std::vector<ordered_json> rows;
  for (const json& item : items) rows.push_back(HistoryRow(item, !no_trunc, human));
  static const ordered_json headers = {{"Comment", "COMMENT"},
                                       {"CreatedAt", "CREATED AT"},
                                       {"CreatedBy", "CREATED BY"},
                                       {"CreatedSince", "CREATED"},
                                       {"ID", "IMAGE"},
                                       {"Size", "SIZE"}};
  OutputFormat out = quiet ? ParseFormat("{{.ID}}", "") : ParseFormat(format, kHistoryTable);
  BERTH_ASSIGN_OR_RETURN(std::string text, RenderRows(out, rows, headers));
  cli.Out(text);
  return 0;
}

Result<int> TagCommand(Cli& cli, const std::string& path, const Args& args) {
  FlagSet flags;
  auto names =
      cli.Parse(flags, args,
                {path, "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
                 "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", Arity::Exactly(2)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(NamedTag target, ParseNamed((*names)[1]));
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  client::Request request{.method = "POST", .path = "/images/" + (*names)[0] + "/tag"};
  request.query = {{"repo", target.familiar}, {"tag", target.tag.empty() ? "latest" : target.tag}};
  BERTH_TRY(client->Do(request));
  return 0;
}

Result<int> RmiCommand(Cli& cli, const std::string& path, const Args& args) {
  bool force = false, no_prune = false;
  FlagSet flags;
  flags.Bool(&force, "f,force", "Force removal of the image");
  flags.Bool(&no_prune, "no-prune", "Do not delete untagged parents");
  auto names = cli.Parse(
      flags, args,
      {path, "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images", Arity::AtLeast(1)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  std::vector<std::string> errors;
  for (const std::string& name : *names) {
    client::Request request{.method = "DELETE",
                            .path = "/images/" + name,
                            .not_found = "Error: No such image: " + name};
    if (force) request.query.emplace_back("force", "1");
    if (no_prune) request.query.emplace_back("noprune", "1");
    Result<json> items = client->DoJson(request);
    if (!items) {
      errors.push_back(items.error().message());
      continue;
    }
    std::string text;
    for (const json& item : *items) {
      if (!StrField(item, "Deleted").empty())
        text += "Deleted: " + StrField(item, "Deleted") + "\n";
      if (!StrField(item, "Untagged").empty()) {
        text += "Untagged: " + StrField(item, "Untagged") + "\n";
      }
    }
    cli.Out(text);
  }
  if (errors.empty()) return 0;
  return Fail(ErrorKind::kUnknown, Join(errors, "\n"));
}

bool Confirm(Cli& cli, std::string_view warning) {
  cli.Out(std::string(warning) + "\nAre you sure you want to continue? [y/N] ");
  std::string answer;
  int c;
  while ((c = std::getchar()) != EOF && c != '\n') answer += static_cast<char>(c);
  answer = std::string(TrimSpace(answer));
  return answer == "y" || answer == "Y";
}

Result<int> ImagePruneCommand(Cli& cli, const std::string& path, const Args& args) {
  bool all = false, force = false;
  std::vector<std::string> filters;
  FlagSet flags;
  flags.Bool(&all, "a,all", "Remove all unused images, not just dangling ones");
  flags.Strings(&filters, "filter", "Provide filter values (e.g. \"until=<timestamp>\")");
  flags.Bool(&force, "f,force", "Do not prompt for confirmation");
  auto positional =
      cli.Parse(flags, args, {path, "[OPTIONS]", "Remove unused images", Arity::Exactly(0)});
  if (!positional) return cli.exit_code();
  if (!force && !Confirm(cli, all ? "WARNING! This will remove all images without at least one "
                                    "container associated to them."
                                  : "WARNING! This will remove all dangling images.")) {
    cli.Out("Total reclaimed space: 0B\n");
    return 0;
  }
  filters.push_back(all ? "dangling=false" : "dangling=true");
  BERTH_ASSIGN_OR_RETURN(std::string encoded, FiltersJson(filters));
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(
      json report,
      client->DoJson({.method = "POST", .path = "/images/prune", .query = {{"filters", encoded}}}));
  std::string text;
  auto deleted = report.find("ImagesDeleted");
  if (deleted != report.end() && deleted->is_array() && !deleted->empty()) {
    text += "Deleted Images:\n";
    for (const json& item : *deleted) {
      if (!StrField(item, "Untagged").empty())
        text += "untagged: " + StrField(item, "Untagged") + "\n";
      if (!StrField(item, "Deleted").empty())
        text += "deleted: " + StrField(item, "Deleted") + "\n";
    }
    text += "\n";
  }
  text += "Total reclaimed space: " + HumanSize(IntField(report, "SpaceReclaimed")) + "\n";
  cli.Out(text);
  return 0;
}

}  // namespace berth::cli
