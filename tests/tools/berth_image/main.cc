// berth-image: the image store's test tool. Flags are parsed here and in one file per subcommand;
// the work is done by the image store library.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>

#include "base/log.h"
#include "commands.h"

namespace berth::tools {

Result<std::unique_ptr<image::store::ImageStore>> Globals::OpenStore() const {
  BERTH_ASSIGN_OR_RETURN(image::store::SnapshotterKind kind,
                         image::store::ParseSnapshotterKind(snapshotter));
  BERTH_ASSIGN_OR_RETURN(image::store::BlobReadPolicy policy,
                         image::store::ParseBlobReadPolicy(blob_policy));
  return image::store::ImageStore::Open(
      {.root = root, .snapshotter = kind, .parallelism = parallelism, .read_policy = policy});
}

}  // namespace berth::tools

int main(int argc, char** argv) {
  using namespace berth::tools;
  CLI::App app{"berth-image: load, save and collect images in a berth data root", "berth-image"};
  app.require_subcommand(1);
  Globals g;
  app.add_option("--root", g.root, "the data root")->required();
  app.add_option("--snapshotter", g.snapshotter, "auto, overlay or native");
  app.add_option("--parallelism", g.parallelism, "layers extracted at once (0: one per CPU)");
  app.add_option("--blob-policy", g.blob_policy, "verify or trust what is read from blobs");
  app.add_flag("--debug", g.debug, "log debug messages");

  std::map<CLI::App*, Action> actions;
  for (auto add : {AddLoad, AddSave, AddImages, AddGc, AddVerify}) {
    Action action = add(app, g);
    actions[app.get_subcommands({}).back()] = std::move(action);
  }
  CLI11_PARSE(app, argc, argv);
  berth::log::Configure(g.debug ? berth::log::Level::kDebug : berth::log::Level::kWarn,
                        berth::log::Format::kText, 2);
  berth::Result<int> result = actions.at(app.get_subcommands().front())();
  if (!result) {
    std::fprintf(stderr, "Error: %s\n", result.error().message().c_str());
    return 1;
  }
  return *result;
}
