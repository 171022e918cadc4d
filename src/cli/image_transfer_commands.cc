// docker load, save and import: archives streamed between files (or stdin/stdout) and the
// daemon, never held whole in memory.
#include <fcntl.h>
#include <unistd.h>

#include "base/unique_fd.h"
#include "cli/commands.h"
#include "cli/docker_config.h"
#include "cli/json_stream.h"
#include "cli/output.h"
#include "cli/reference.h"

namespace berth::cli {

namespace {

// OpenInput opens a file to send as a request body.
Result<UniqueFd> OpenInput(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Fail(ErrnoNow("open " + path));
  return fd;
}

}  // namespace

Result<int> LoadCommand(Cli& cli, const std::string& path, const Args& args) {
  std::string input;
  bool quiet = false;
  FlagSet flags;
  flags.String(&input, "i,input", "Read from tar archive file, instead of STDIN");
  flags.Bool(&quiet, "q,quiet", "Suppress the load output");
  auto positional = cli.Parse(
      flags, args,
      {path, "[OPTIONS]", "Load an image from a tar archive or STDIN", Arity::Exactly(0)});
  if (!positional) return cli.exit_code();
  UniqueFd file;
  int fd = STDIN_FILENO;
  if (!input.empty()) {
    BERTH_ASSIGN_OR_RETURN(file, OpenInput(input));
    fd = file.get();
  } else if (Cli::InIsTerminal()) {
    return Fail(ErrorKind::kInvalidArgument, "requested load from stdin, but stdin is empty");
  }
  // Progress bars need a terminal; elsewhere only the result lines are wanted.
  if (!Cli::OutIsTerminal()) quiet = true;
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  client::Request request{.method = "POST", .path = "/images/load"};
  request.body_fd = fd;
  request.content_type = "application/x-tar";
  if (quiet) request.query.emplace_back("quiet", "1");
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<client::ResponseStream> stream, client->Stream(request));
  BERTH_TRY(DisplayJsonStream(*stream, Cli::OutIsTerminal()));
  return 0;
}

Result<int> SaveCommand(Cli& cli, const std::string& path, const Args& args) {
  std::string output;
  FlagSet flags;
  flags.String(&output, "o,output", "Write to a file, instead of STDOUT");
  auto names =
      cli.Parse(flags, args,
                {path, "[OPTIONS] IMAGE [IMAGE...]",
                 "Save one or more images to a tar archive (streamed to STDOUT by default)",
                 Arity::AtLeast(1)});
  if (!names) return cli.exit_code();
  if (output.empty() && Cli::OutIsTerminal()) {
    return Fail(ErrorKind::kInvalidArgument,
                "cowardly refusing to save to a terminal. Use the -o flag or redirect");
  }
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  client::Request request{.path = "/images/get"};
  for (const std::string& name : *names) request.query.emplace_back("names", name);
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<client::ResponseStream> stream, client->Stream(request));
  return StreamToOutput(*stream, output);
}

Result<int> ImportCommand(Cli& cli, const std::string& path, const Args& args) {
  std::vector<std::string> changes;
  std::string message, platform;
  FlagSet flags;
  flags.Strings(&changes, "c,change", "Apply Dockerfile instruction to the created image");
  flags.String(&message, "m,message", "Set commit message for imported image");
  flags.String(&platform, "platform", "Set platform if server is multi-platform capable");
  auto positional = cli.Parse(
      flags, args,
      {path, "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
       "Import the contents from a tarball to create a filesystem image", Arity::Range(1, 2)});
  if (!positional) return cli.exit_code();
  const std::string source = (*positional)[0];
  client::Request request{.method = "POST", .path = "/images/create"};
  UniqueFd file;
  if (source == "-") {
    request.query.emplace_back("fromSrc", "-");
    request.body_fd = STDIN_FILENO;
  } else if (source.starts_with("http://") || source.starts_with("https://")) {
    request.query.emplace_back("fromSrc", source);
  } else {
    BERTH_ASSIGN_OR_RETURN(file, OpenInput(source));
    request.query.emplace_back("fromSrc", "-");
    request.body_fd = file.get();
  }
  request.content_type = "application/x-tar";
  if (positional->size() == 2) {
    BERTH_ASSIGN_OR_RETURN(NamedTag named, ParseNamed((*positional)[1]));
    request.query.emplace_back("repo", named.familiar);
    if (!named.tag.empty()) request.query.emplace_back("tag", named.tag);
  }
  if (!message.empty()) request.query.emplace_back("message", message);
  for (const std::string& change : changes) request.query.emplace_back("changes", change);
  if (!platform.empty()) request.query.emplace_back("platform", platform);
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<client::ResponseStream> stream, client->Stream(request));
  BERTH_TRY(DisplayJsonStream(*stream, Cli::OutIsTerminal()));
  return 0;
}

// AddAuthHeader sends the login stored for the repository's registry, if any.
Status AddAuthHeader(const Cli& cli, const NamedTag& named, client::Request& request) {
  BERTH_ASSIGN_OR_RETURN(std::optional<std::string> auth,
                         AuthHeaderFor(ConfigFilePath(cli.options().config_dir), named.repository));
  if (auth) request.headers.emplace_back("X-Registry-Auth", *auth);
  return Ok();
}

namespace {

// PullNamed pulls named (every tag of its repository with all_tags) for platform ("": the
// daemon's), showing the daemon's progress on out (nullptr: nowhere).
Status PullNamed(const Cli& cli, client::Client& client, const NamedTag& named, std::FILE* out,
                 const std::string& platform, bool all_tags) {
  client::Request request{.method = "POST", .path = "/images/create"};
  request.query = {{"fromImage", named.familiar}};
  // Without a tag the daemon pulls every tag of the repository.
  if (!all_tags) request.query.emplace_back("tag", named.tag.empty() ? "latest" : named.tag);
  if (!platform.empty()) request.query.emplace_back("platform", platform);
  BERTH_TRY(AddAuthHeader(cli, named, request));
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<client::ResponseStream> stream, client.Stream(request));
  return DisplayJsonStream(*stream, out != nullptr && isatty(fileno(out)) == 1, out);
}

}  // namespace

Status PullImage(Cli& cli, client::Client& client, const std::string& name, std::FILE* out,
                 const std::string& platform) {
  BERTH_ASSIGN_OR_RETURN(NamedTag named, ParseNamed(name));
  return PullNamed(cli, client, named, out, platform, false);
}

Result<int> PushCommand(Cli& cli, const std::string& path, const Args& args) {
  bool quiet = false, all_tags = false;
  FlagSet flags;
  flags.Bool(&all_tags, "a,all-tags", "Push all tagged images in the repository");
  flags.Bool(&quiet, "q,quiet", "Suppress verbose output");
  auto names = cli.Parse(flags, args,
                         {path, "[OPTIONS] NAME[:TAG]",
                          "Push an image or a repository to a registry", Arity::Exactly(1)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(NamedTag named, ParseNamed((*names)[0]));
  client::Request request{.method = "POST", .path = "/images/" + named.familiar + "/push"};
  // Without a tag the daemon pushes every tag of the repository; -a says so, docker's default
  // without it is "latest".
  if (!all_tags) request.query.emplace_back("tag", named.tag.empty() ? "latest" : named.tag);
  BERTH_TRY(AddAuthHeader(cli, named, request));
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<client::ResponseStream> stream, client->Stream(request));
  BERTH_TRY(DisplayJsonStream(*stream, Cli::OutIsTerminal(), quiet ? nullptr : stdout));
  if (quiet) cli.Out(named.repository + ":" + (named.tag.empty() ? "latest" : named.tag) + "\n");
  return 0;
}

Result<int> PullCommand(Cli& cli, const std::string& path, const Args& args) {
  bool quiet = false, all_tags = false;
  std::string platform;
  FlagSet flags;
  flags.Bool(&all_tags, "a,all-tags", "Download all tagged images in the repository");
  flags.String(&platform, "platform", "Set platform if server is multi-platform capable");
  flags.Bool(&quiet, "q,quiet", "Suppress verbose output");
  auto names = cli.Parse(flags, args,
                         {path, "[OPTIONS] NAME[:TAG|@DIGEST]",
                          "Pull an image or a repository from a registry", Arity::Exactly(1)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(NamedTag named, ParseNamed((*names)[0]));
  if (all_tags && !named.tag.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "tag can't be used with --all-tags/-a");
  }
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  if (!quiet && named.tag.empty() && !all_tags) cli.Out("Using default tag: latest\n");
  BERTH_TRY(PullNamed(cli, *client, named, quiet ? nullptr : stdout, platform, all_tags));
  cli.Out(all_tags ? named.repository + "\n"
                   : named.repository + ":" + (named.tag.empty() ? "latest" : named.tag) + "\n");
  return 0;
}

}  // namespace berth::cli
