// The `berth` commands. Each is a thin front end over client/: it parses its flags as docker's
// CLI does, makes its requests and prints what docker prints. path is the command as typed
// ("images" or "image ls"), used in help and errors. A command returns the process's exit code;
// an Error it returns is printed by the caller (exit code 1, or 125 for run and create).
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cli/cli.h"

namespace berth::cli {

using Args = std::vector<std::string>;
using CommandFunction = Result<int> (*)(Cli& cli, const std::string& path, const Args& args);

// Shared by the commands: ForEach runs one request per name, printing the name on success
// (docker echoes what was typed) and collecting the errors into one (container_commands.cc);
// Confirm prints a prune's warning and docker's "[y/N]" question and says whether the answer
// read from stdin is yes (image_commands.cc).
Result<int> ForEach(Cli& cli, const std::vector<std::string>& names,
                    const std::function<Result<std::string>(const std::string&)>& act);
bool Confirm(Cli& cli, std::string_view warning);

// system (system_commands.cc)
Result<int> VersionCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> InfoCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> SystemDfCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> EventsCommand(Cli& cli, const std::string& path, const Args& args);

// images (image_commands.cc, image_transfer_commands.cc)
Result<int> ImagesCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> ImageInspectCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> InspectCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> HistoryCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> TagCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> RmiCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> ImagePruneCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> LoadCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> SaveCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> ImportCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> PullCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> PushCommand(Cli& cli, const std::string& path, const Args& args);
// PullImage pulls name ("busybox", "busybox:1") for platform ("": the daemon's) with the login
// stored for its registry, showing the daemon's progress on out (nullptr: nowhere), as run does
// for a missing image.
Status PullImage(Cli& cli, client::Client& client, const std::string& name, std::FILE* out,
                 const std::string& platform = "");
// registry (registry_commands.cc)
Result<int> LoginCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> LogoutCommand(Cli& cli, const std::string& path, const Args& args);

// networks (network_commands.cc)
Result<int> NetworkCreateCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> NetworkLsCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> NetworkInspectCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> NetworkRmCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> NetworkPruneCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> NetworkConnectCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> NetworkDisconnectCommand(Cli& cli, const std::string& path, const Args& args);

// containers (container_run_commands.cc, container_commands.cc, container_list_commands.cc)
Result<int> CreateCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> RunCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> StartCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> AttachCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> ExecCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> StopCommand(Cli& cli, const std::string& path, const Args& args);  // and restart
Result<int> KillCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> RmCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> WaitCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> PauseCommand(Cli& cli, const std::string& path, const Args& args);  // and unpause
Result<int> RenameCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> UpdateCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> ContainerInspectCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> PortCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> CommitCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> PsCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> LogsCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> TopCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> ExportCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> StatsCommand(Cli& cli, const std::string& path, const Args& args);

// volumes (volume_commands.cc)
Result<int> VolumeCreateCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> VolumeLsCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> VolumeInspectCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> VolumeRmCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> VolumePruneCommand(Cli& cli, const std::string& path, const Args& args);

// files (container_cp_commands.cc)
Result<int> CpCommand(Cli& cli, const std::string& path, const Args& args);
Result<int> DiffCommand(Cli& cli, const std::string& path, const Args& args);

}  // namespace berth::cli
