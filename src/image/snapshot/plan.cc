#include "image/snapshot/plan.h"

#include <fmt/format.h>

namespace berth::image::snapshot {
namespace {

Mount Bind(const std::string& dir, bool read_only) {
  return Mount{.type = "bind", .source = dir, .options = {"rbind", read_only ? "ro" : "rw"}};
}

std::string Lowerdirs(const std::vector<std::string>& parents) {
  std::vector<std::string> dirs;
  for (const std::string& parent : parents) dirs.push_back(FsDir(parent));
  return fmt::format("lowerdir={}", fmt::join(dirs, ":"));
}

}  // namespace

std::string FsDir(const std::string& snapshot_dir) { return snapshot_dir + "/fs"; }

std::string WorkDir(const std::string& snapshot_dir) { return snapshot_dir + "/work"; }

std::vector<Mount> PlanOverlay(const Chain& chain, const std::vector<std::string>& extra_options) {
  const bool active = chain.kind == Kind::kActive;
  if (chain.parents.empty()) return {Bind(FsDir(chain.dir), !active)};
  if (!active && chain.parents.size() == 1) return {Bind(FsDir(chain.parents.front()), true)};
  Mount overlay{.type = "overlay", .source = "overlay", .options = {}};
  if (active) {
    overlay.options.push_back("workdir=" + WorkDir(chain.dir));
    overlay.options.push_back("upperdir=" + FsDir(chain.dir));
  } else {
    overlay.options.push_back("ro");
  }
  overlay.options.push_back(Lowerdirs(chain.parents));
  overlay.options.insert(overlay.options.end(), extra_options.begin(), extra_options.end());
  return {overlay};
}

std::vector<Mount> PlanNative(const Chain& chain) {
  if (chain.kind == Kind::kActive) return {Bind(FsDir(chain.dir), false)};
  const std::string& shown = chain.parents.empty() ? chain.dir : chain.parents.front();
  return {Bind(FsDir(shown), true)};
}

}  // namespace berth::image::snapshot
