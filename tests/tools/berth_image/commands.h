// berth-image: a test tool that drives the image store library until the daemon exists. Each
// subcommand is one file that registers its flags and calls the library; output follows docker's.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "image/store/image_store.h"

namespace berth::tools {

struct Globals {
  std::string root;
  std::string snapshotter = "auto";
  int parallelism = 0;
  std::string blob_policy = "verify";
  bool debug = false;

  // OpenStore opens the store the flags describe.
  Result<std::unique_ptr<image::store::ImageStore>> OpenStore() const;
};

// A registered subcommand body: run after parsing, returns the exit code or an error.
using Action = std::function<Result<int>()>;

Action AddLoad(CLI::App& app, Globals& g);
Action AddSave(CLI::App& app, Globals& g);
Action AddImages(CLI::App& app, Globals& g);
Action AddGc(CLI::App& app, Globals& g);
Action AddVerify(CLI::App& app, Globals& g);

}  // namespace berth::tools
