#include <nlohmann/json.hpp>

#include <set>

#include "base/child_process.h"
#include "base/strings.h"
#include "cmd/berth-runtime/commands.h"

namespace berth::cmd {
namespace {

// Runs `ps ARGS` and keeps the header and the lines whose PID column is one of pids.
Result<int> PrintPsTable(const std::vector<pid_t>& pids, std::vector<std::string> ps_args) {
  int fds[2];
  if (pipe(fds) < 0) return Fail(ErrnoNow("pipe"));
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  std::vector<std::string> argv = {"ps"};
  if (ps_args.empty()) ps_args = {"-ef"};
  argv.insert(argv.end(), ps_args.begin(), ps_args.end());
  BERTH_ASSIGN_OR_RETURN(ChildProcess ps,
                         ChildProcess::Spawn({.argv = argv, .stdout_fd = write_end.get()}));
  write_end.Reset();
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(read_end.get(), buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  BERTH_ASSIGN_OR_RETURN(ExitStatus status, ps.Wait());
  if (!status.Success()) return Fail(ErrorKind::kInternal, "ps " + Join(ps_args, " ") + " failed");
  std::vector<std::string> lines = Split(out, '\n');
  if (lines.empty()) return 0;
  std::vector<std::string> header = Split(std::string(TrimSpace(lines[0])), ' ');
  size_t pid_col = 0;
  std::vector<std::string> cols;
  for (const auto& h : header) {
    if (!h.empty()) cols.push_back(h);
  }
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cols[i] == "PID") pid_col = i;
  }
  std::set<pid_t> wanted(pids.begin(), pids.end());
  std::printf("%s\n", lines[0].c_str());
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> fields;
    for (auto& f : Split(std::string(TrimSpace(lines[i])), ' ')) {
      if (!f.empty()) fields.push_back(f);
    }
    if (fields.size() <= pid_col) continue;
    auto pid = ParseInt64(fields[pid_col]);
    if (pid && wanted.count(static_cast<pid_t>(*pid))) std::printf("%s\n", lines[i].c_str());
  }
  return 0;
}

}  // namespace

Action AddPs(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("ps", "list the processes of a container");
  auto format = std::make_shared<std::string>("table");
  cmd->add_option("-f,--format", *format, "table or json");
  cmd->prefix_command();
  return [&g, cmd, format]() -> Result<int> {
    std::vector<std::string> rest = cmd->remaining();
    if (rest.empty()) return Fail(ErrorKind::kInvalidArgument, "ps: container id required");
    BERTH_ASSIGN_OR_RETURN(std::vector<pid_t> pids, runtime::Pids(g.rt, rest[0]));
    if (*format == "json") {
      PrintJson(nlohmann::json(pids).dump());
      return 0;
    }
    if (*format != "table") {
      return Fail(ErrorKind::kInvalidArgument, "ps: invalid format \"" + *format + "\"");
    }
    return PrintPsTable(pids, {rest.begin() + 1, rest.end()});
  };
}

}  // namespace berth::cmd
