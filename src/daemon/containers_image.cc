// Containers as images and archives: export, commit, and prune of what is stopped.
#include <fmt/format.h>

#include "base/temp_dir.h"
#include "daemon/container/shim_client.h"
#include "daemon/containers_internal.h"
#include "image/reference/reference.h"
#include "image/snapshot/mount.h"
#include "image/store/go_time.h"
#include "image/store/import_export.h"

namespace berth::daemon {

using container::ContainerStatus;

Status Containers::Export(std::string_view ref, int fd) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  std::lock_guard op(c->op_mu);
  bool running;
  std::string id;
  {
    std::lock_guard lock(c->mu);
    running = c->Running();
    id = c->record.id;
  }
  const std::string what = "export " + id;
  if (running) {
    return Annotate(image::store::ExportRootfs(impl_->ExecDir(id) + "/rootfs", fd), what)
        .map([](auto&&) {});
  }
  // Stopped: its snapshot is mounted for the export in a private mount namespace.
  BERTH_ASSIGN_OR_RETURN(std::vector<image::snapshot::Mount> mounts,
                         Annotate(impl_->images.snapshotter().Mounts(id), what));
  BERTH_ASSIGN_OR_RETURN(TempDir target, TempDir::Make("berth-export"));
  return Annotate(image::snapshot::WithMounts(
                      mounts, target.path(),
                      [&]() -> Status {
                        return image::store::ExportRootfs(target.path(), fd).map([](auto&&) {});
                      }),
                  what);
}

Result<Digest> Containers::Commit(std::string_view ref, const CommitOptions& options) {
  BERTH_ASSIGN_OR_RETURN(auto c, impl_->Find(ref));
  std::lock_guard op(c->op_mu);
  image::store::CommitOptions commit;
  if (!options.reference.empty()) {
    BERTH_ASSIGN_OR_RETURN(commit.reference, image::ParseReference(options.reference));
  }
  commit.changes = options.changes;
  commit.message = options.message;
  commit.author = options.author;
  std::string id;
  Digest image_id;
  bool paused_here = false;
  {
    std::lock_guard lock(c->mu);
    id = c->record.id;
    commit.container_config = c->record.config.image;
    BERTH_ASSIGN_OR_RETURN(image_id, Digest::Parse(c->record.image_id));
    paused_here = options.pause && c->record.state.status == ContainerStatus::kRunning;
  }
  if (paused_here) BERTH_TRY(container::ShimRequest(impl_->ExecDir(id), shim::PauseRequest{}));
  Result<Digest> made = image::store::Commit(impl_->images, id, image_id, commit);
  if (paused_here) (void)container::ShimRequest(impl_->ExecDir(id), shim::ResumeRequest{});
  return Annotate(std::move(made), "commit " + id);
}

Result<std::pair<std::vector<std::string>, int64_t>> Containers::Prune(
    const image::store::Filters& filters) {
  std::optional<std::chrono::system_clock::time_point> until;
  for (const auto& [key, values] : filters) {
    if (key != "until" && key != "label" && key != "label!") {
      return Fail(ErrorKind::kInvalidArgument, "invalid filter '" + key + "'");
    }
    if (key == "until" && !values.empty()) {
      BERTH_ASSIGN_OR_RETURN(
          until, image::store::ParseFilterTime(values.front(), std::chrono::system_clock::now()));
    }
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<ContainerView> all, List({.all = true}));
  std::vector<std::string> deleted;
  int64_t reclaimed = 0;
  for (const ContainerView& v : all) {
    const container::Record& r = v.record;
    if (r.state.status != ContainerStatus::kExited && r.state.status != ContainerStatus::kCreated &&
        r.state.status != ContainerStatus::kDead) {
      continue;
    }
    if (until) {
      auto created = image::store::ParseRfc3339(r.created);
      if (!created || *created >= *until) continue;
    }
    if (!image::store::MatchPruneLabels(filters, r.config.image.labels)) continue;
    Result<image::snapshot::DiskUsage> usage = impl_->images.snapshotter().Usage(r.id);
    Status removed = Remove(r.id, false);
    if (!removed) continue;  // started meanwhile, or already gone
    deleted.push_back(r.id);
    if (usage) reclaimed += usage->bytes;
  }
  return std::make_pair(std::move(deleted), reclaimed);
}

}  // namespace berth::daemon
