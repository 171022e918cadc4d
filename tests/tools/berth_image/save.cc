#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "base/unique_fd.h"
#include "commands.h"
#include "image/store/save.h"
#include "sys/fs.h"

namespace berth::tools {

Action AddSave(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("save", "save images to an archive (docker save)");
  auto output = std::make_shared<std::string>();
  auto layout = std::make_shared<std::string>();
  auto refs = std::make_shared<std::vector<std::string>>();
  cmd->add_option("-o,--output", *output, "write to this file instead of stdout");
  cmd->add_option("--oci-dir", *layout, "write an OCI image layout directory");
  cmd->add_option("refs", *refs, "images (names or ids)")->required();
  return [&g, output, layout, refs]() -> Result<int> {
    BERTH_ASSIGN_OR_RETURN(auto store, g.OpenStore());
    if (!layout->empty()) {
      BERTH_TRY(image::store::SaveLayout(*store, *refs, *layout));
      return 0;
    }
    if (output->empty()) {
      if (isatty(1) == 1) {
        return Fail(ErrorKind::kInvalidArgument,
                    "refusing to write an archive to a terminal: use -o or redirect stdout");
      }
      BERTH_TRY(image::store::Save(*store, *refs, 1));
      return 0;
    }
    // Written beside the target and renamed, so a failed save leaves no partial archive.
    const std::string temp = *output + ".partial";
    BERTH_ASSIGN_OR_RETURN(UniqueFd fd,
                           sys::Open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    Status saved = image::store::Save(*store, *refs, fd.get());
    if (saved && fsync(fd.get()) < 0) saved = Fail(ErrnoNow("fsync " + temp));
    if (saved && rename(temp.c_str(), output->c_str()) < 0) {
      saved = Fail(ErrnoNow("rename " + temp + " to " + *output));
    }
    if (!saved) unlink(temp.c_str());
    BERTH_TRY(saved);
    return 0;
  };
}

}  // namespace berth::tools
