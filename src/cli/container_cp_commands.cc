// docker cp and docker diff: files between a container and the local filesystem through the
// archive endpoints, and the changes of a container's filesystem.
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/types/path_stat.h"
#include "base/piped.h"
#include "cli/commands.h"
#include "cli/copy_paths.h"
#include "cli/local_archive.h"
#include "cli/output.h"

namespace berth::cli {
namespace {

// Go's os.FileMode bits that cp looks at.
constexpr uint32_t kGoModeDir = 1u << 31;
constexpr uint32_t kGoModeSymlink = 1u << 27;
constexpr uint32_t kGoModeDevice = 1u << 26;
constexpr uint32_t kGoModeIrregular = 1u << 19;

struct CpOptions {
  std::string container;
  std::string source;
  std::string destination;
  bool follow_link = false;
  bool copy_uid_gid = false;
};

std::string ArchivePath(const std::string& container) {
  return "/containers/" + container + "/archive";
}

// StatPath asks for the stat of path in the container (HEAD .../archive).
Result<api::types::ContainerPathStat> StatPath(client::Client& client, const std::string& container,
                                               const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(
      client::Response response,
      client.Do({.method = "HEAD", .path = ArchivePath(container), .query = {{"path", path}}}));
  std::optional<std::string> header = response.Header(api::types::kPathStatHeader);
  if (!header) return Fail(ErrorKind::kDataLoss, "the daemon sent no path stat");
  return api::types::DecodePathStat(*header);
}

// LinkTargetOf is a symlink's target from its stat, joined to the link's directory when relative.
std::string LinkTargetOf(const api::types::ContainerPathStat& stat, const std::string& path) {
  if (!stat.link_target.empty() && stat.link_target.front() == '/') return stat.link_target;
  return GoClean(SplitPathDirEntry(path).dir + "/" + stat.link_target);
}

Result<std::string> WorkingDirectory() {
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof(cwd)) == nullptr) return Fail(ErrnoNow("getcwd"));
  return std::string(cwd);
}

// ValidateOutputPath is docker's check of a local destination before anything is copied.
Status ValidateOutputPath(const std::string& path) {
  const std::string dir = GoDir(GoClean(path));
  struct stat st {};
  if (dir != "." && stat(dir.c_str(), &st) < 0 && errno == ENOENT) {
    return Fail(ErrorKind::kInvalidArgument,
                "invalid output path: directory \"" + dir + "\" does not exist");
  }
  if (stat(path.c_str(), &st) == 0 && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
    return Fail(ErrorKind::kInvalidArgument,
                "invalid output path: \"" + path + "\" must be a directory or a regular file");
  }
  return Ok();
}

// LocalDestination is moby's CopyInfoDestinationPath: the local destination with its symlinks
// followed (up to 10), which need not exist when its parent directory does.
Result<CopyInfo> LocalDestination(std::string path) {
  struct stat st {};
  int links = 0;
  while (lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    if (++links > 10) return Fail(ErrorKind::kInvalidArgument, "too many symlinks in " + path);
    char target[PATH_MAX];
    const ssize_t n = readlink(path.c_str(), target, sizeof(target) - 1);
    if (n < 0) return Fail(ErrnoNow("readlink " + path));
    const std::string link(target, static_cast<size_t>(n));
    path = link.front() == '/' ? link : GoClean(SplitPathDirEntry(path).dir + "/" + link);
  }
  if (lstat(path.c_str(), &st) == 0) {
    return CopyInfo{.path = path, .exists = true, .is_dir = S_ISDIR(st.st_mode)};
  }
  if (errno != ENOENT) return Fail(GoPathError("lstat", path));
  const std::string parent = SplitPathDirEntry(path).dir;
  if (stat(parent.c_str(), &st) < 0) return Fail(GoPathError("stat", parent));
  if (!S_ISDIR(st.st_mode)) return Fail(ErrorKind::kInvalidArgument, "not a directory");
  return CopyInfo{.path = path};
}

EntryRename RenameOf(const ArchiveCopyPlan& plan) {
  if (!plan.rename) return {};
  return [plan](const std::string& name) {
    return RebaseEntryName(name, plan.old_base, plan.new_base);
  };
}

Status CopyFromContainer(client::Client& client, const CpOptions& options) {
  std::string destination = options.destination;
  if (destination != "-") {
    BERTH_ASSIGN_OR_RETURN(std::string cwd, WorkingDirectory());
    destination = AbsolutePath(destination, cwd);
  }
  BERTH_TRY(ValidateOutputPath(destination));
  std::string source = options.source;
  std::string rebase_name;
  if (options.follow_link) {
    Result<api::types::ContainerPathStat> stat = StatPath(client, options.container, source);
    if (stat && (stat->mode & kGoModeSymlink) != 0) {
      Rebased rebased = GetRebaseName(source, LinkTargetOf(*stat, source));
      source = rebased.path;
      rebase_name = rebased.rebase_name;
    }
  }
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<client::ResponseStream> stream,
                         client.Stream({.path = ArchivePath(options.container),
                                        .query = {{"path", source}},
                                        .not_found = "Error: No such container:path: " +
                                                     options.container + ":" + source}));
  if (destination == "-") return CopyStream(*stream, STDOUT_FILENO);
  std::optional<std::string> header =
      client::FindHeader(stream->headers(), api::types::kPathStatHeader);
  if (!header) return Fail(ErrorKind::kDataLoss, "the daemon sent no path stat");
  BERTH_ASSIGN_OR_RETURN(api::types::ContainerPathStat stat, api::types::DecodePathStat(*header));
  CopyInfo src{.path = source,
               .exists = true,
               .is_dir = (stat.mode & kGoModeDir) != 0,
               .rebase_name = rebase_name};
  BERTH_ASSIGN_OR_RETURN(CopyInfo dst, LocalDestination(destination));
  BERTH_ASSIGN_OR_RETURN(ArchiveCopyPlan plan, PrepareArchiveCopy(src, dst));
  EntryRename rename = RenameOf(plan);
  if (!rebase_name.empty()) {
    // The archive of the link's target is named after it: first back to the name asked for.
    const std::string target_base = SplitPathDirEntry(source).base;
    rename = [target_base, rebase_name, then = std::move(rename)](const std::string& name) {
      std::string back = RebaseEntryName(name, target_base, rebase_name);
      return then ? then(back) : back;
    };
  }
  return UntarLocal([&](char* data, size_t size) { return stream->Read(data, size); }, plan.dir,
                    rename);
}

Status CopyToContainer(client::Client& client, const CpOptions& options) {
  std::string source = options.source;
  if (source != "-") {
    BERTH_ASSIGN_OR_RETURN(std::string cwd, WorkingDirectory());
    source = AbsolutePath(source, cwd);
  }
  CopyInfo dst{.path = options.destination};
  Result<api::types::ContainerPathStat> stat =
      StatPath(client, options.container, options.destination);
  if (stat && (stat->mode & kGoModeSymlink) != 0) {
    dst.path = LinkTargetOf(*stat, options.destination);
    stat = StatPath(client, options.container, dst.path);
  }
  if (stat && (stat->mode & (kGoModeDevice | kGoModeIrregular)) != 0) {
    return Fail(ErrorKind::kInvalidArgument,
                "destination \"" + options.container + ":" + options.destination +
                    "\" must be a directory or a regular file: got " +
                    ((stat->mode & kGoModeDevice) != 0 ? "a device" : "an irregular file"));
  }
  if (stat) {
    dst.exists = true;
    dst.is_dir = (stat->mode & kGoModeDir) != 0;
  }
  client::Request put{.method = "PUT",
                      .path = ArchivePath(options.container),
                      .content_type = "application/x-tar",
                      .not_found = "Error: No such container:path: " + options.container + ":"};
  if (options.copy_uid_gid) put.query.emplace_back("copyUIDGID", "true");
  put.query.emplace_back("noOverwriteDirNonDir", "true");
  if (source == "-") {
    if (!dst.is_dir) {
      return Fail(ErrorKind::kInvalidArgument, "destination \"" + options.container + ":" +
                                                   options.destination + "\" must be a directory");
    }
    put.query.emplace_back("path", dst.path);
    put.not_found += dst.path;
    put.body_fd = STDIN_FILENO;
    return client.Do(put).map([](auto&&) {});
  }
  // The source: its parent's symlinks resolved, its own only with -L (moby's CopyInfoSourcePath).
  CopyInfo src{.path = source, .exists = true};
  char resolved[PATH_MAX];
  if (options.follow_link) {
    if (realpath(source.c_str(), resolved) == nullptr) return Fail(GoPathError("lstat", source));
    Rebased rebased = GetRebaseName(source, resolved);
    src.path = rebased.path;
    src.rebase_name = rebased.rebase_name;
  } else {
    const DirEntry parts = SplitPathDirEntry(source);
    if (realpath(parts.dir.c_str(), resolved) == nullptr) {
      return Fail(GoPathError("lstat", parts.dir));
    }
    src.path = std::string(resolved) + (std::string(resolved) == "/" ? "" : "/") + parts.base;
  }
  struct stat st {};
  if (lstat(src.path.c_str(), &st) < 0) return Fail(GoPathError("lstat", src.path));
  src.is_dir = S_ISDIR(st.st_mode);
  BERTH_ASSIGN_OR_RETURN(ArchiveCopyPlan plan, PrepareArchiveCopy(src, dst));
  put.query.emplace_back("path", plan.dir);
  put.not_found += plan.dir;
  const EntryRename rename = RenameOf(plan);
  BERTH_ASSIGN_OR_RETURN(
      PipedResult piped,
      RunPiped([&](int fd) { return TarLocal(src.path, src.rebase_name, rename, fd); },
               [&](int fd) -> Status {
                 put.body_fd = fd;
                 return client.Do(put).map([](auto&&) {});
               }));
  BERTH_TRY(piped.consumed);
  return piped.produced;
}

}  // namespace

Result<int> CpCommand(Cli& cli, const std::string& path, const Args& args) {
  CpOptions options;
  FlagSet flags;
  flags.Bool(&options.copy_uid_gid, "a,archive", "Archive mode (copy all uid/gid information)");
  flags.Bool(&options.follow_link, "L,follow-link", "Always follow symbol link in SRC_PATH");
  auto positional = cli.Parse(
      flags, args,
      {path,
       "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\t" + std::string("berth ") + path +
           " [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
       "Copy files/folders between a container and the local filesystem", Arity::Exactly(2)});
  if (!positional) return cli.exit_code();
  const CpArg from = SplitCpArg((*positional)[0]);
  const CpArg to = SplitCpArg((*positional)[1]);
  options.source = from.path;
  options.destination = to.path;
  if (!from.container.empty() && !to.container.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "copying between containers is not supported");
  }
  if (from.container.empty() && to.container.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "must specify at least one container source");
  }
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  if (!from.container.empty()) {
    options.container = from.container;
    BERTH_TRY(CopyFromContainer(*client, options));
  } else {
    options.container = to.container;
    BERTH_TRY(CopyToContainer(*client, options));
  }
  return 0;
}

Result<int> DiffCommand(Cli& cli, const std::string& path, const Args& args) {
  FlagSet flags;
  auto names = cli.Parse(flags, args,
                         {path, "CONTAINER",
                          "Inspect changes to files or directories on a "
                          "container's filesystem",
                          Arity::Exactly(1)});
  if (!names) return cli.exit_code();
  BERTH_ASSIGN_OR_RETURN(client::Client * client, cli.Client());
  BERTH_ASSIGN_OR_RETURN(nlohmann::ordered_json changes,
                         client->DoJson({.path = "/containers/" + (*names)[0] + "/changes"}));
  if (!changes.is_array()) return 0;
  std::string out;
  for (const nlohmann::ordered_json& change : changes) {
    if (!change.is_object()) continue;
    const nlohmann::ordered_json kind = change.value("Kind", nlohmann::ordered_json());
    const nlohmann::ordered_json name = change.value("Path", nlohmann::ordered_json());
    const int k = kind.is_number_integer() ? kind.get<int>() : -1;
    const char* letter = k == 0 ? "C" : k == 1 ? "A" : k == 2 ? "D" : "";
    out += std::string(letter) + " " + (name.is_string() ? name.get<std::string>() : "") + "\n";
  }
  cli.Out(out);
  return 0;
}

}  // namespace berth::cli
