// The subcommands of berth-runtime, one file each: each registers its flags on the CLI11 app and
// calls one function of the runtime library. Command bodies return the process exit code.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "base/result.h"
#include "runtime/container.h"

namespace berth::cmd {

struct Globals {
  runtime::RuntimeOptions rt;
  std::string log_path;
  std::string log_format = "text";
  bool debug = false;
  std::string rootless = "auto";
};

// A registered subcommand body: run after parsing, returns the exit code or an error.
using Action = std::function<Result<int>()>;

Action AddCreate(CLI::App& app, Globals& g);
Action AddStart(CLI::App& app, Globals& g);
Action AddRun(CLI::App& app, Globals& g);
Action AddState(CLI::App& app, Globals& g);
Action AddKill(CLI::App& app, Globals& g);
Action AddDelete(CLI::App& app, Globals& g);
Action AddExec(CLI::App& app, Globals& g);
Action AddPs(CLI::App& app, Globals& g);
Action AddList(CLI::App& app, Globals& g);
Action AddSpec(CLI::App& app, Globals& g);
Action AddFeatures(CLI::App& app, Globals& g);
Action AddPause(CLI::App& app, Globals& g);
Action AddResume(CLI::App& app, Globals& g);

// Flags shared by create and run.
void AddCreateFlags(CLI::App* cmd, runtime::CreateOptions* options);
// Prints a JSON value as runc does (indented) on stdout.
void PrintJson(const std::string& json);

}  // namespace berth::cmd
