#include <fcntl.h>

#include <cstdio>

#include "base/unique_fd.h"
#include "commands.h"
#include "image/store/load.h"
#include "oci/platform.h"
#include "output.h"
#include "sys/fs.h"

namespace berth::tools {

Action AddLoad(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("load", "load images from an archive (docker load)");
  auto input = std::make_shared<std::string>();
  auto layout = std::make_shared<std::string>();
  auto platform = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("-i,--input", *input, "read from this file instead of stdin");
  cmd->add_option("--oci-dir", *layout, "load an OCI image layout directory");
  cmd->add_option("--platform", *platform, "the platform taken from a multi-platform index");
  cmd->add_flag("-q,--quiet", *quiet, "suppress the progress output");
  return [&g, input, layout, platform, quiet]() -> Result<int> {
    image::store::LoadOptions options;
    if (!platform->empty()) {
      BERTH_ASSIGN_OR_RETURN(options.platform, oci::ParsePlatform(*platform));
    }
    ProgressPrinter printer(stdout);
    if (!*quiet) options.progress = printer.Sink();
    BERTH_ASSIGN_OR_RETURN(auto store, g.OpenStore());
    image::store::LoadResult result;
    if (!layout->empty()) {
      BERTH_ASSIGN_OR_RETURN(result, image::store::LoadLayoutDir(*store, *layout, options));
    } else {
      UniqueFd file;
      if (!input->empty()) {
        BERTH_ASSIGN_OR_RETURN(file, sys::Open(*input, O_RDONLY | O_CLOEXEC));
      }
      BERTH_ASSIGN_OR_RETURN(result, image::store::Load(*store, file ? file.get() : 0, options));
    }
    for (const image::store::LoadedImage& image : result.images) {
      if (image.names.empty()) std::printf("Loaded image ID: %s\n", image.id.String().c_str());
      for (const image::Reference& name : image.names) {
        std::printf("Loaded image: %s\n", name.FamiliarString().c_str());
      }
    }
    return 0;
  };
}

}  // namespace berth::tools
