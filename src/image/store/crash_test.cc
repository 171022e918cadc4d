// Crash points of the image store, with each snapshotter: a child process loads an archive (or
// collects garbage) and is killed with SIGKILL at one point of the work; the store reopened
// afterwards holds no trace of the unfinished work (no image, blob, snapshot, ingest or temporary
// file), and loads the archive again. On overlay the layers are extracted ahead of their parents,
// so the points while a layer is extracted find several active snapshots at once.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <functional>

#include "image/store/load.h"
#include "image/store/store_fixture.h"
#include "image/store/store_testing.h"

namespace berth::image::store {
namespace {

using testing::ImageOf;
using testing::LayerOf;
using testing::MemFd;
using testing::StoreTest;
using testing::TestImage;

struct CrashPoint {
  const char* name;
  // Sets the hooks of options (and the load's progress sink) to kill the process at the point.
  std::function<void(StoreOptions&, LoadOptions&)> arm;
};

[[noreturn]] void Die() {
  raise(SIGKILL);
  _exit(99);
}

// AtEvent kills the process at the nth progress event of action.
CrashPoint AtEvent(const char* name, ProgressAction action, int nth) {
  return {name, [action, nth](StoreOptions&, LoadOptions& load) {
            auto seen = std::make_shared<std::atomic<int>>(0);
            load.progress = [action, nth, seen](const ProgressEvent& event) -> Status {
              if (event.action == action && ++*seen == nth) Die();
              return Ok();
            };
          }};
}

std::vector<CrashPoint> CrashPoints() {
  return {
      AtEvent("while a layer streams into an ingest file", ProgressAction::kLoading, 2),
      {"after the second blob is renamed into place",
       [](StoreOptions& options, LoadOptions&) {
         auto renamed = std::make_shared<int>(0);
         options.content.after_commit_step = [renamed](content::CommitStep step) {
           if (step == content::CommitStep::kRenamed && ++*renamed == 2) Die();
         };
       }},
      AtEvent("while a layer is extracted", ProgressAction::kExtracting, 1),
      {"when a snapshot's tree is placed but its row not committed",
       [](StoreOptions& options, LoadOptions&) {
         options.snapshots.after_step = [](snapshot::Step step) {
           if (step == snapshot::Step::kPlaced) Die();
         };
       }},
      AtEvent("after the first layer is committed", ProgressAction::kLayerDone, 1),
      AtEvent("after the last layer is committed", ProgressAction::kLayerDone, 3),
  };
}

class CrashTest : public StoreTest {
 protected:
  // RunChild runs fn in a child process, which the store must not be open across, and expects
  // it to die by SIGKILL.
  void ExpectKilled(const std::function<void()>& fn) {
    store_.reset();
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      fn();
      _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the crash point was not reached: status " << status;
    ASSERT_NO_FATAL_FAILURE(Reopen());
  }

  void ExpectNothingLeft() {
    Result<std::vector<metadata::ImageRecord>> images = store_->catalog().ListImages({.all = true});
    ASSERT_TRUE(images);
    EXPECT_TRUE(images->empty());
    EXPECT_TRUE(Blobs().empty());
    EXPECT_TRUE(Snapshots().empty());
    EXPECT_TRUE(ListDir("content/ingest").empty());
    EXPECT_TRUE(ListDir("tmp").empty());
    Result<std::vector<metadata::LeaseRecord>> leases = store_->catalog().ListLeases();
    ASSERT_TRUE(leases);
    EXPECT_TRUE(leases->empty());
  }

  std::string Archive() const {
    const std::string big(3 << 20, 'x');  // a few chunks of progress
    TestImage a = ImageOf({LayerOf({{"big", big}}), LayerOf({{"a", "1"}})}, {"a:1"});
    TestImage b = ImageOf({LayerOf({{"b", "2"}})}, {"b:1"});
    return testing::LegacyDockerArchive({a, b});
  }
};

TEST_P(CrashTest, LoadKilledAtEachPointLeavesNothing) {
  const std::string archive = Archive();
  for (const CrashPoint& point : CrashPoints()) {
    SCOPED_TRACE(point.name);
    ASSERT_NO_FATAL_FAILURE(ExpectKilled([&] {
      StoreOptions options = Options();
      LoadOptions load;
      point.arm(options, load);
      Result<std::unique_ptr<ImageStore>> store = ImageStore::Open(options);
      if (!store) _exit(1);
      UniqueFd fd = MemFd(archive);
      (void)Load(**store, fd.get(), load);
    }));
    ExpectNothingLeft();
  }
  UniqueFd fd = MemFd(archive);
  Result<LoadResult> loaded = Load(*store_, fd.get());
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded->images.size(), 2u);
  EXPECT_EQ(Snapshots().size(), 3u);
}

TEST_P(CrashTest, GcKilledWhileRemovingASnapshotFinishesOnReopen) {
  UniqueFd fd = MemFd(Archive());
  ASSERT_TRUE(Load(*store_, fd.get()));
  Result<metadata::ImageRecord> a = store_->catalog().Resolve("a:1");
  ASSERT_TRUE(a);
  // The image is forgotten; its files are garbage for the next GC, which Open runs.
  ASSERT_TRUE(store_->catalog().DeleteImage(a->id));
  ASSERT_NO_FATAL_FAILURE(ExpectKilled([&] {
    StoreOptions options = Options();
    options.snapshots.after_step = [](snapshot::Step step) {
      if (step == snapshot::Step::kRemoved) Die();
    };
    (void)ImageStore::Open(options);
  }));
  EXPECT_EQ(Snapshots().size(), 1u);  // b's layer
  Result<metadata::ImageRecord> b = store_->catalog().Resolve("b:1");
  ASSERT_TRUE(b);
  std::set<std::string> needed;
  for (const metadata::BlobRef& blob : b->blobs) needed.insert(blob.digest.String());
  EXPECT_EQ(Blobs(), needed);
  EXPECT_EQ(ListDir("snapshots/" + std::string(store_->snapshotter().name()) + "/snapshots").size(),
            1u);
}

BERTH_STORE_FLAVORS(CrashTest);

}  // namespace
}  // namespace berth::image::store
