// The conformance suite of the Snapshotter contract, run against every snapshotter. The tests
// mount what the snapshotters return and look at the files for real, so they need root.
#include "image/snapshot/snapshotter.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/file.h"
#include "image/metadata/database.h"
#include "image/snapshot/mount.h"
#include "image/snapshot/native.h"
#include "image/snapshot/overlay.h"
#include "image/snapshot/table.h"
#include "image/snapshot/tree.h"

namespace berth::image::snapshot {
namespace {

using metadata::Database;

struct Flavor {
  const char* name;
  Result<std::unique_ptr<Snapshotter>> (*open)(Database*, const std::string&, DirectoryOptions);
  Whiteouts child_whiteouts;  // what Path reports for an active snapshot with a parent
  bool copies_parent;         // a child's own tree holds its parent's files
  bool prepares_ahead;        // PrepareAhead works with a parent
};

void PrintTo(const Flavor& flavor, std::ostream* os) { *os << flavor.name; }

const Flavor kFlavors[] = {
    {"overlay", &OpenOverlay, Whiteouts::kOverlay, false, true},
    {"native", &OpenNative, Whiteouts::kRemove, true, false},
};

bool Exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

std::string Read(const std::string& path) { return ReadFile(path).value_or("<missing>"); }

#define EXPECT_KIND(result, expected_kind)                               \
  do {                                                                   \
    auto&& r_ = (result);                                                \
    ASSERT_FALSE(r_) << #result " succeeded";                            \
    EXPECT_EQ(r_.error().kind(), expected_kind) << r_.error().message(); \
  } while (0)

class SnapshotterTest : public ::testing::TestWithParam<Flavor> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "mounting snapshots needs root";
    char tmpl[] = "/tmp/berth-snapshot-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    root_ = dir_ + "/root";
    ASSERT_TRUE(MakeDirs(root_));
    if (std::string(GetParam().name) == "overlay") {
      Status probe = ProbeOverlay(root_);
      if (!probe) GTEST_SKIP() << "overlay unavailable: " << probe.error().message();
    }
    ASSERT_NO_FATAL_FAILURE(OpenAll());
  }

  void TearDown() override {
    for (const std::string& target : targets_) EXPECT_TRUE(UnmountAll(target));
    CloseAll();
    if (!dir_.empty()) {
      EXPECT_TRUE(RemoveTree(dir_));
    }
  }

  void OpenAll(DirectoryOptions options = {}) {
    Result<std::unique_ptr<Database>> db = Database::Open(root_ + "/metadata.db");
    ASSERT_TRUE(db) << db.error().message();
    db_ = std::move(*db);
    Result<std::unique_ptr<Snapshotter>> s = GetParam().open(db_.get(), root_, std::move(options));
    ASSERT_TRUE(s) << s.error().message();
    snap_ = std::move(*s);
  }

  void CloseAll() {
    snap_.reset();
    db_.reset();
  }

  // MountAt applies mounts on a new directory named name and returns it; TearDown unmounts it.
  std::string MountAt(const Result<std::vector<Mount>>& mounts, const std::string& name,
                      ApplyOptions options = {}) {
    std::string target = dir_ + "/mnt/" + name;
    EXPECT_TRUE(mounts) << mounts.error().message();
    EXPECT_TRUE(MakeDirs(target));
    if (!mounts) return target;
    Status s = MountAll(*mounts, target, options);
    EXPECT_TRUE(s) << s.error().message();
    if (s) targets_.push_back(target);
    return target;
  }

  void Unmount(const std::string& target) {
    EXPECT_TRUE(UnmountAll(target));
    targets_.erase(std::remove(targets_.begin(), targets_.end(), target), targets_.end());
  }

  // Layer commits name on parent after change has edited the mounted tree.
  void Layer(const std::string& name, const std::string& parent,
             const std::function<void(const std::string&)>& change) {
    const std::string key = "extract-" + name;
    std::string target = MountAt(snap_->Prepare(key, parent), key);
    change(target);
    Unmount(target);
    Status committed = snap_->Commit(name, key);
    ASSERT_TRUE(committed) << committed.error().message();
  }

  std::map<std::string, Info> WalkAll() {
    std::map<std::string, Info> infos;
    EXPECT_TRUE(snap_->Walk([&](const Info& info) -> Status {
      infos[info.name] = info;
      return Ok();
    }));
    return infos;
  }

  // Debris lists the entries under snapshots/ that belong to no row.
  std::vector<std::string> Debris() {
    std::set<int64_t> ids;
    EXPECT_TRUE(db_->Read([&](metadata::Tx& tx) -> Status {
      BERTH_ASSIGN_OR_RETURN(ids, Table::AllIds(tx));
      return Ok();
    }));
    std::vector<std::string> debris;
    const std::vector<std::string> names =
        ListDir(root_ + "/snapshots").value_or(std::vector<std::string>{});
    for (const std::string& name : names) {
      bool owned = false;
      for (int64_t id : ids) owned = owned || std::to_string(id) == name;
      if (!owned) debris.push_back(name);
    }
    return debris;
  }

  static std::set<std::string> Names(const std::string& dir) {
    Result<std::vector<std::string>> names = ListDir(dir);
    EXPECT_TRUE(names) << names.error().message();
    return names ? std::set<std::string>(names->begin(), names->end()) : std::set<std::string>{};
  }

  // RowsHaveTrees checks the invariant a crash must keep: every row's tree is in place.
  void ExpectRowsHaveTrees() {
    std::set<int64_t> ids;
    ASSERT_TRUE(db_->Read([&](metadata::Tx& tx) -> Status {
      BERTH_ASSIGN_OR_RETURN(ids, Table::AllIds(tx));
      return Ok();
    }));
    for (int64_t id : ids) {
      EXPECT_TRUE(Exists(fmt::format("{}/snapshots/{}/fs", root_, id))) << "row " << id;
    }
  }

  // CrashAt runs op in a child process on a fresh snapshotter that dies (_exit) at step.
  void CrashAt(Step step, const std::function<void(Snapshotter&)>& op) {
    CloseAll();
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      Result<std::unique_ptr<Database>> db = Database::Open(root_ + "/metadata.db");
      if (!db) _exit(2);
      DirectoryOptions options{.after_step = [step](Step s) {
        if (s == step) _exit(0);
      }};
      Result<std::unique_ptr<Snapshotter>> s = GetParam().open(db->get(), root_, options);
      if (!s) _exit(3);
      op(**s);
      _exit(4);  // the crash point was never reached
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    ASSERT_NO_FATAL_FAILURE(OpenAll());
  }

  std::string dir_;
  std::string root_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Snapshotter> snap_;
  std::vector<std::string> targets_;
};

TEST_P(SnapshotterTest, WritesCommitsAndChildrenSeeTheirParent) {
  ASSERT_NO_FATAL_FAILURE(Layer("base", "", [](const std::string& t) {
    ASSERT_TRUE(WriteFile(t + "/foo", "foo\n"));
    ASSERT_TRUE(MakeDirs(t + "/a/b/c"));
    ASSERT_TRUE(WriteFile(t + "/a/b/c/deep", "deep"));
    ASSERT_EQ(symlink("foo", (t + "/link").c_str()), 0);
  }));
  Result<Info> base = snap_->Stat("base");
  ASSERT_TRUE(base);
  EXPECT_EQ(base->kind, Kind::kCommitted);
  EXPECT_EQ(base->parent, "");
  EXPECT_KIND(snap_->Stat("extract-base"), ErrorKind::kNotFound);

  std::string child = MountAt(snap_->Prepare("child", "base"), "child");
  EXPECT_EQ(Read(child + "/foo"), "foo\n");
  EXPECT_EQ(Read(child + "/a/b/c/deep"), "deep");
  EXPECT_EQ(Read(child + "/link"), "foo\n");
  ASSERT_TRUE(WriteFile(child + "/foo", "bar\n"));
  ASSERT_TRUE(RemoveTree(child + "/a/b"));
  ASSERT_TRUE(WriteFile(child + "/new", "new"));
  Unmount(child);
  EXPECT_EQ(snap_->Stat("child")->parent, "base");
  EXPECT_EQ(snap_->Stat("child")->kind, Kind::kActive);

  std::string old = MountAt(snap_->View("base-view", "base"), "base-view");
  EXPECT_EQ(Read(old + "/foo"), "foo\n") << "the child's change reached its parent";
  EXPECT_EQ(Read(old + "/a/b/c/deep"), "deep");
  EXPECT_FALSE(Exists(old + "/new"));
  Unmount(old);
  ASSERT_TRUE(snap_->Remove("base-view"));

  ASSERT_TRUE(snap_->Commit("top", "child"));
  EXPECT_KIND(snap_->Stat("child"), ErrorKind::kNotFound);
  EXPECT_EQ(snap_->Stat("top")->parent, "base");
  std::string top = MountAt(snap_->View("top-view", "top"), "top-view");
  EXPECT_EQ(Read(top + "/foo"), "bar\n");
  EXPECT_FALSE(Exists(top + "/a/b"));
  EXPECT_TRUE(Exists(top + "/a"));
  EXPECT_EQ(Read(top + "/new"), "new");
}

TEST_P(SnapshotterTest, MountsReturnsTheSameMountsAgain) {
  Result<std::vector<Mount>> prepared = snap_->Prepare("a", "");
  ASSERT_TRUE(prepared);
  Result<std::vector<Mount>> again = snap_->Mounts("a");
  ASSERT_TRUE(again);
  EXPECT_EQ(*prepared, *again);
}

TEST_P(SnapshotterTest, ViewsAreReadOnly) {
  ASSERT_NO_FATAL_FAILURE(
      Layer("base", "", [](const std::string& t) { ASSERT_TRUE(WriteFile(t + "/f", "x")); }));
  std::string view = MountAt(snap_->View("v", "base"), "v");
  EXPECT_EQ(Read(view + "/f"), "x");
  EXPECT_EQ(open((view + "/g").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_KIND(snap_->Commit("v2", "v"), ErrorKind::kFailedPrecondition);

  std::string empty = MountAt(snap_->View("empty", ""), "empty");
  Result<std::vector<std::string>> names = ListDir(empty);
  ASSERT_TRUE(names);
  EXPECT_TRUE(names->empty());
  EXPECT_EQ(mkdir((empty + "/d").c_str(), 0755), -1);
  EXPECT_EQ(errno, EROFS);
}

TEST_P(SnapshotterTest, RootOfANewTreeIsWorldReadable) {
  std::string t = MountAt(snap_->Prepare("a", ""), "a");
  struct stat st {};
  ASSERT_EQ(stat(t.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

TEST_P(SnapshotterTest, ChildRootKeepsTheParentRootsOwnerAndMode) {
  ASSERT_NO_FATAL_FAILURE(Layer("base", "", [](const std::string& t) {
    ASSERT_EQ(chown(t.c_str(), 1000, 1001), 0);
    ASSERT_EQ(chmod(t.c_str(), 0750), 0);
  }));
  std::string t = MountAt(snap_->Prepare("child", "base"), "child");
  struct stat st {};
  ASSERT_EQ(stat(t.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
}

TEST_P(SnapshotterTest, OpenRefusesRootsMountOptionsCannotName) {
  EXPECT_KIND(GetParam().open(db_.get(), "relative/root", {}), ErrorKind::kInvalidArgument);
  EXPECT_KIND(GetParam().open(db_.get(), dir_ + "/a:b", {}), ErrorKind::kInvalidArgument);
  EXPECT_KIND(GetParam().open(db_.get(), dir_ + "/a,b", {}), ErrorKind::kInvalidArgument);
}

TEST_P(SnapshotterTest, RemoveIsRefusedWhileChildrenExist) {
  ASSERT_NO_FATAL_FAILURE(Layer("base", "", [](const std::string&) {}));
  ASSERT_TRUE(snap_->Prepare("c", "base"));
  EXPECT_KIND(snap_->Remove("base"), ErrorKind::kFailedPrecondition);
  EXPECT_TRUE(snap_->Stat("base"));
  ASSERT_TRUE(snap_->Remove("c"));
  ASSERT_TRUE(snap_->Remove("base"));
  EXPECT_TRUE(WalkAll().empty());
  Result<std::vector<std::string>> trees = ListDir(root_ + "/snapshots");
  ASSERT_TRUE(trees);
  EXPECT_TRUE(trees->empty()) << "trees left behind";
}

TEST_P(SnapshotterTest, TakenKeysAreRefused) {
  ASSERT_TRUE(snap_->Prepare("k", ""));
  EXPECT_KIND(snap_->Prepare("k", ""), ErrorKind::kAlreadyExists);
  EXPECT_KIND(snap_->View("k", ""), ErrorKind::kAlreadyExists);
  ASSERT_NO_FATAL_FAILURE(Layer("base", "", [](const std::string&) {}));
  EXPECT_KIND(snap_->Commit("base", "k"), ErrorKind::kAlreadyExists);
  EXPECT_KIND(snap_->Prepare("base", ""), ErrorKind::kAlreadyExists);
  EXPECT_EQ(snap_->Stat("k")->kind, Kind::kActive) << "a refused commit changed nothing";
  EXPECT_TRUE(Debris().empty());
}

TEST_P(SnapshotterTest, UnknownKeysAreNotFound) {
  EXPECT_KIND(snap_->Stat("nope"), ErrorKind::kNotFound);
  EXPECT_KIND(snap_->Mounts("nope"), ErrorKind::kNotFound);
  EXPECT_KIND(snap_->Remove("nope"), ErrorKind::kNotFound);
  EXPECT_KIND(snap_->Usage("nope"), ErrorKind::kNotFound);
  EXPECT_KIND(snap_->Path("nope"), ErrorKind::kNotFound);
  EXPECT_KIND(snap_->Commit("name", "nope"), ErrorKind::kNotFound);
  EXPECT_KIND(snap_->Prepare("k", "nope"), ErrorKind::kNotFound);
  EXPECT_KIND(snap_->View("v", "nope"), ErrorKind::kNotFound);
  EXPECT_KIND(snap_->Prepare("", ""), ErrorKind::kInvalidArgument);
  EXPECT_TRUE(WalkAll().empty());
  EXPECT_TRUE(Debris().empty());
}

TEST_P(SnapshotterTest, KindsAreEnforced) {
  ASSERT_NO_FATAL_FAILURE(Layer("base", "", [](const std::string&) {}));
  EXPECT_KIND(snap_->Commit("again", "base"), ErrorKind::kFailedPrecondition);
  EXPECT_KIND(snap_->Mounts("base"), ErrorKind::kFailedPrecondition);
  EXPECT_KIND(snap_->Path("base"), ErrorKind::kFailedPrecondition);
  ASSERT_TRUE(snap_->Prepare("active", ""));
  EXPECT_KIND(snap_->Prepare("on-active", "active"), ErrorKind::kFailedPrecondition);
  ASSERT_TRUE(snap_->View("view", "base"));
  EXPECT_KIND(snap_->Prepare("on-view", "view"), ErrorKind::kFailedPrecondition);
  EXPECT_KIND(snap_->Path("view"), ErrorKind::kFailedPrecondition);
  EXPECT_TRUE(snap_->Mounts("view"));
}

TEST_P(SnapshotterTest, StatWalkAndLabels) {
  const auto before = std::chrono::system_clock::now();
  ASSERT_TRUE(snap_->Prepare("a", "", {{"l", "1"}}));
  ASSERT_TRUE(snap_->Prepare("p-tmp", "", {{"dropped", "on commit"}}));
  ASSERT_TRUE(snap_->Commit("p", "p-tmp", {{"l", "2"}, {"gc.root", "x"}}));
  ASSERT_TRUE(snap_->View("v", "p", {{"l", "3"}}));
  std::map<std::string, Info> infos = WalkAll();
  ASSERT_EQ(infos.size(), 3u);
  EXPECT_EQ(infos["a"].kind, Kind::kActive);
  EXPECT_EQ(infos["a"].labels, (Labels{{"l", "1"}}));
  EXPECT_EQ(infos["p"].kind, Kind::kCommitted);
  EXPECT_EQ(infos["p"].labels, (Labels{{"l", "2"}, {"gc.root", "x"}}));
  EXPECT_EQ(infos["v"].kind, Kind::kView);
  EXPECT_EQ(infos["v"].parent, "p");
  for (const auto& [name, info] : infos) {
    EXPECT_GE(info.created, before) << name;
    EXPECT_LE(info.created, info.updated) << name;
    EXPECT_EQ(snap_->Stat(name).value_or(Info{}), info) << name;
  }
  int calls = 0;
  Status stopped = snap_->Walk([&](const Info& info) -> Status {
    ++calls;
    BERTH_TRY(snap_->Stat(info.name));  // the walk holds no transaction
    return Fail(ErrorKind::kCancelled, "enough");
  });
  EXPECT_KIND(stopped, ErrorKind::kCancelled);
  EXPECT_EQ(calls, 1);
}

TEST_P(SnapshotterTest, UsageCountsTheSnapshotsOwnTree) {
  const std::string mib(1 << 20, 'u');
  std::string t = MountAt(snap_->Prepare("a", ""), "a");
  ASSERT_TRUE(WriteFile(t + "/big", mib));
  Result<DiskUsage> active = snap_->Usage("a");
  ASSERT_TRUE(active) << active.error().message();
  EXPECT_GE(active->bytes, 1 << 20);
  EXPECT_GE(active->inodes, 2);
  Unmount(t);
  ASSERT_TRUE(snap_->Commit("c", "a"));
  Result<DiskUsage> committed = snap_->Usage("c");
  ASSERT_TRUE(committed);
  EXPECT_EQ(committed->bytes, active->bytes);
  EXPECT_EQ(committed->inodes, active->inodes);

  std::string child = MountAt(snap_->Prepare("child", "c"), "child");
  ASSERT_TRUE(WriteFile(child + "/small", "s"));
  Result<DiskUsage> own = snap_->Usage("child");
  ASSERT_TRUE(own);
  if (GetParam().copies_parent) {
    EXPECT_GE(own->bytes, 1 << 20);
  } else {
    EXPECT_LT(own->bytes, 1 << 20);
  }
}

TEST_P(SnapshotterTest, LayersWrittenThroughPathWithoutMounting) {
  ASSERT_TRUE(snap_->Prepare("l1", ""));
  Result<LayerDir> first = snap_->Path("l1");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->whiteouts, Whiteouts::kRemove);
  ASSERT_TRUE(WriteFile(first->path + "/gone", "g"));
  ASSERT_TRUE(WriteFile(first->path + "/kept", "k"));
  ASSERT_TRUE(snap_->Commit("c1", "l1"));

  ASSERT_TRUE(snap_->Prepare("l2", "c1"));
  Result<LayerDir> second = snap_->Path("l2");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->whiteouts, GetParam().child_whiteouts);
  const std::string gone = second->path + "/gone";
  if (second->whiteouts == Whiteouts::kOverlay) {
    ASSERT_EQ(mknod(gone.c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
  } else {
    ASSERT_EQ(unlink(gone.c_str()), 0);
  }
  ASSERT_TRUE(WriteFile(second->path + "/added", "a"));
  ASSERT_TRUE(snap_->Commit("c2", "l2"));

  std::string view = MountAt(snap_->View("v", "c2"), "v");
  EXPECT_FALSE(Exists(view + "/gone"));
  EXPECT_EQ(Read(view + "/kept"), "k");
  EXPECT_EQ(Read(view + "/added"), "a");
}

bool IsDir(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

TEST_P(SnapshotterTest, DirsNameTheTreesOfCommittedAndActiveSnapshots) {
  ASSERT_NO_FATAL_FAILURE(
      Layer("base", "", [](const std::string& t) { ASSERT_TRUE(WriteFile(t + "/b", "b")); }));
  ASSERT_NO_FATAL_FAILURE(
      Layer("mid", "base", [](const std::string& t) { ASSERT_TRUE(WriteFile(t + "/m", "m")); }));
  ASSERT_TRUE(snap_->Prepare("container", "mid"));
  Result<SnapshotDirs> base = snap_->Dirs("base");
  Result<SnapshotDirs> mid = snap_->Dirs("mid");
  Result<SnapshotDirs> container = snap_->Dirs("container");
  ASSERT_TRUE(base) << base.error().message();
  ASSERT_TRUE(mid) << mid.error().message();
  ASSERT_TRUE(container) << container.error().message();
  EXPECT_EQ(Read(base->tree + "/b"), "b");
  EXPECT_EQ(Read(mid->tree + "/m"), "m");
  EXPECT_EQ(container->tree, snap_->Path("container").value_or(LayerDir{}).path);
  ASSERT_TRUE(WriteFile(container->tree + "/c", "c"));
  if (GetParam().copies_parent) {
    EXPECT_EQ(Read(mid->tree + "/b"), "b") << "a whole tree holds its parent's files";
    EXPECT_EQ(mid->work, "");
    EXPECT_TRUE(mid->lowers.empty());
    EXPECT_TRUE(container->lowers.empty());
  } else {
    EXPECT_FALSE(Exists(mid->tree + "/b")) << "an upper layer holds only its own files";
    EXPECT_TRUE(IsDir(mid->work)) << mid->work;
    EXPECT_TRUE(IsDir(container->work)) << container->work;
    EXPECT_TRUE(base->lowers.empty());
    EXPECT_EQ(mid->lowers, std::vector<std::string>{base->tree});
    EXPECT_EQ(container->lowers, (std::vector<std::string>{mid->tree, base->tree}));
  }
  std::string rootfs = MountAt(snap_->Mounts("container"), "container");
  EXPECT_EQ(Read(rootfs + "/b"), "b");
  EXPECT_EQ(Read(rootfs + "/m"), "m");
  EXPECT_EQ(Read(rootfs + "/c"), "c");
  ASSERT_TRUE(snap_->View("v", "mid"));
  EXPECT_KIND(snap_->Dirs("v"), ErrorKind::kFailedPrecondition);
  EXPECT_KIND(snap_->Dirs("nope"), ErrorKind::kNotFound);
}

TEST_P(SnapshotterTest, LayersPreparedAheadCommitInChainOrder) {
  EXPECT_EQ(snap_->PreparesAhead(), GetParam().prepares_ahead);
  if (!GetParam().prepares_ahead) {
    EXPECT_KIND(snap_->PrepareAhead("l2", "c1"), ErrorKind::kNotImplemented);
    Result<LayerDir> base = snap_->PrepareAhead("l1", "");
    ASSERT_TRUE(base) << base.error().message();
    EXPECT_EQ(base->whiteouts, Whiteouts::kRemove);
    EXPECT_TRUE(snap_->Mounts("l1")) << "without a parent it is Prepare";
    EXPECT_TRUE(Debris().empty());
    return;
  }
  // The child first, before its parent exists at all.
  Result<LayerDir> second = snap_->PrepareAhead("l2", "c1", {{"l", "2"}});
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->whiteouts, Whiteouts::kOverlay);
  struct stat st {};
  ASSERT_EQ(lstat(second->path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_uid, geteuid());
  Result<Info> pending = snap_->Stat("l2");
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->kind, Kind::kActive);
  EXPECT_EQ(pending->parent, "c1");
  EXPECT_EQ(pending->labels, (Labels{{"l", "2"}}));
  EXPECT_KIND(snap_->Mounts("l2"), ErrorKind::kFailedPrecondition);
  EXPECT_EQ(snap_->Path("l2").value_or(LayerDir{}).path, second->path);
  ASSERT_EQ(mknod((second->path + "/gone").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
  ASSERT_TRUE(WriteFile(second->path + "/added", "a"));
  EXPECT_KIND(snap_->Commit("c2", "l2"), ErrorKind::kFailedPrecondition);

  Result<LayerDir> first = snap_->PrepareAhead("l1", "");
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->whiteouts, Whiteouts::kRemove);
  ASSERT_TRUE(WriteFile(first->path + "/gone", "g"));
  ASSERT_TRUE(WriteFile(first->path + "/kept", "k"));
  ASSERT_EQ(chmod(first->path.c_str(), 0700), 0);
  // A parent still active is not committed.
  EXPECT_KIND(snap_->Commit("c2", "l2"), ErrorKind::kFailedPrecondition);
  ASSERT_TRUE(snap_->Commit("c1", "l1"));
  ASSERT_TRUE(snap_->Commit("c2", "l2"));

  Result<Info> c2 = snap_->Stat("c2");
  ASSERT_TRUE(c2);
  EXPECT_EQ(c2->parent, "c1");
  EXPECT_KIND(snap_->Remove("c1"), ErrorKind::kFailedPrecondition);
  Result<SnapshotDirs> dirs = snap_->Dirs("c2");
  ASSERT_TRUE(dirs);
  EXPECT_EQ(dirs->lowers,
            std::vector<std::string>{snap_->Dirs("c1").value_or(SnapshotDirs{}).tree});
  std::string view = MountAt(snap_->View("v", "c2"), "v");
  EXPECT_FALSE(Exists(view + "/gone"));
  EXPECT_EQ(Read(view + "/kept"), "k");
  EXPECT_EQ(Read(view + "/added"), "a");
  ASSERT_EQ(stat(view.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u) << "the top layer's root shows, not its parent's";
  EXPECT_TRUE(Debris().empty());
}

TEST_P(SnapshotterTest, CrashWhilePreparingAheadLeavesOnlyDebris) {
  if (!GetParam().prepares_ahead) GTEST_SKIP() << "the snapshotter does not prepare ahead";
  for (Step step : {Step::kFilled, Step::kPlaced}) {
    SCOPED_TRACE(static_cast<int>(step));
    ASSERT_NO_FATAL_FAILURE(
        CrashAt(step, [](Snapshotter& s) { (void)s.PrepareAhead("crash", "later"); }));
    EXPECT_KIND(snap_->Stat("crash"), ErrorKind::kNotFound);
    ExpectRowsHaveTrees();
    EXPECT_EQ(Debris().size(), 1u);
    ASSERT_TRUE(snap_->Cleanup());
    EXPECT_TRUE(Debris().empty());
  }
  EXPECT_TRUE(WalkAll().empty());
}

TEST_P(SnapshotterTest, CleanupRemovesDebrisAndKeepsSnapshots) {
  ASSERT_NO_FATAL_FAILURE(
      Layer("base", "", [](const std::string& t) { ASSERT_TRUE(WriteFile(t + "/f", "x")); }));
  ASSERT_TRUE(MakeDirs(root_ + "/snapshots/999999/fs/usr"));
  ASSERT_TRUE(WriteFile(root_ + "/snapshots/999999/fs/usr/file", "orphan"));
  ASSERT_TRUE(MakeDirs(root_ + "/snapshots/new-abcdef/fs"));
  EXPECT_EQ(Debris().size(), 2u);
  ASSERT_TRUE(snap_->Cleanup());
  EXPECT_TRUE(Debris().empty());
  std::string view = MountAt(snap_->View("v", "base"), "v");
  EXPECT_EQ(Read(view + "/f"), "x");
}

// A power loss may take the unsynced rename of a new active snapshot's or view's tree while its
// row stays: Cleanup builds the tree again as Prepare and View made it.
TEST_P(SnapshotterTest, CleanupRebuildsTheLostTreesOfActiveSnapshotsAndViews) {
  ASSERT_NO_FATAL_FAILURE(
      Layer("base", "", [](const std::string& t) { ASSERT_TRUE(WriteFile(t + "/f", "x")); }));
  const std::string snapshots = root_ + "/snapshots";
  std::set<std::string> before = Names(snapshots);
  ASSERT_TRUE(snap_->Prepare("rw", "base"));
  ASSERT_TRUE(snap_->View("ro", "base"));
  std::set<std::string> lost;
  for (const std::string& name : Names(snapshots)) {
    if (!before.contains(name)) lost.insert(name);
  }
  ASSERT_EQ(lost.size(), 2u);
  for (const std::string& name : lost) ASSERT_TRUE(RemoveTree(snapshots + "/" + name));
  ASSERT_TRUE(snap_->Cleanup());
  ExpectRowsHaveTrees();
  EXPECT_TRUE(Debris().empty());
  EXPECT_EQ(Names(snapshots), [&] {
    before.insert(lost.begin(), lost.end());
    return before;
  }());
  std::string rw = MountAt(snap_->Mounts("rw"), "rw");
  EXPECT_EQ(Read(rw + "/f"), "x");
  ASSERT_TRUE(WriteFile(rw + "/g", "y"));
  std::string ro = MountAt(snap_->Mounts("ro"), "ro");
  EXPECT_EQ(Read(ro + "/f"), "x");
}

TEST_P(SnapshotterTest, CrashWhilePreparingLeavesOnlyDebris) {
  ASSERT_NO_FATAL_FAILURE(
      Layer("base", "", [](const std::string& t) { ASSERT_TRUE(WriteFile(t + "/f", "x")); }));
  for (Step step : {Step::kFilled, Step::kPlaced}) {
    SCOPED_TRACE(static_cast<int>(step));
    ASSERT_NO_FATAL_FAILURE(
        CrashAt(step, [](Snapshotter& s) { (void)s.Prepare("crash", "base"); }));
    EXPECT_KIND(snap_->Stat("crash"), ErrorKind::kNotFound);
    ExpectRowsHaveTrees();
    ASSERT_EQ(Debris().size(), 1u);
    if (step == Step::kPlaced) {
      // Before Cleanup runs, a new snapshot may get the id whose tree the crash left behind.
      const std::string stale = root_ + "/snapshots/" + Debris()[0];
      ASSERT_TRUE(WriteFile(stale + "/fs/stale", "stale"));
      std::string t = MountAt(snap_->Prepare("after", "base"), "after");
      EXPECT_EQ(snap_->Path("after").value_or(LayerDir{}).path, stale + "/fs");
      EXPECT_FALSE(Exists(t + "/stale"));
      EXPECT_EQ(Read(t + "/f"), "x");
      Unmount(t);
      ASSERT_TRUE(snap_->Remove("after"));
    }
    ASSERT_TRUE(snap_->Cleanup());
    EXPECT_TRUE(Debris().empty());
  }
  ExpectRowsHaveTrees();
  EXPECT_EQ(WalkAll().size(), 1u);
}

TEST_P(SnapshotterTest, CrashWhileRemovingLeavesOnlyDebris) {
  ASSERT_NO_FATAL_FAILURE(Layer("base", "", [](const std::string&) {}));
  ASSERT_TRUE(snap_->Prepare("victim", "base"));
  ASSERT_NO_FATAL_FAILURE(
      CrashAt(Step::kRemoved, [](Snapshotter& s) { (void)s.Remove("victim"); }));
  EXPECT_KIND(snap_->Stat("victim"), ErrorKind::kNotFound);
  ExpectRowsHaveTrees();
  EXPECT_EQ(Debris().size(), 1u);
  ASSERT_TRUE(snap_->Cleanup());
  EXPECT_TRUE(Debris().empty());
  EXPECT_TRUE(snap_->Stat("base"));
}

// A chain deeper than one page of mount(2) options can name with absolute paths.
TEST_P(SnapshotterTest, DeepChainMountsAndReadsThrough) {
  constexpr int kLayers = 200;
  std::string parent;
  for (int i = 0; i < kLayers; ++i) {
    const std::string key = fmt::format("extract-{}", i);
    ASSERT_TRUE(snap_->Prepare(key, parent)) << i;
    Result<LayerDir> dir = snap_->Path(key);
    ASSERT_TRUE(dir) << i;
    ASSERT_TRUE(WriteFile(fmt::format("{}/layer-{}", dir->path, i), std::to_string(i)));
    ASSERT_TRUE(WriteFile(dir->path + "/top", std::to_string(i)));
    if (i == 150) {
      const std::string gone = dir->path + "/layer-50";
      if (dir->whiteouts == Whiteouts::kOverlay) {
        ASSERT_EQ(mknod(gone.c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
      } else {
        ASSERT_EQ(unlink(gone.c_str()), 0);
      }
    }
    parent = fmt::format("layer-{}", i);
    ASSERT_TRUE(snap_->Commit(parent, key)) << i;
  }
  auto check = [&](const std::string& t) {
    EXPECT_EQ(Read(t + "/top"), std::to_string(kLayers - 1));
    for (int i = 0; i < kLayers; ++i) {
      EXPECT_EQ(Exists(fmt::format("{}/layer-{}", t, i)), i != 50) << i;
    }
  };
  Result<std::vector<Mount>> deep = snap_->View("deep", parent);
  for (OverlayMethod method : {OverlayMethod::kFsconfig, OverlayMethod::kMountData}) {
    if (method == OverlayMethod::kFsconfig && !OverlayTakesLowerdirAppend()) continue;
    std::string view = MountAt(deep, "deep", {.overlay = method});
    check(view);
    Unmount(view);
  }
  std::string rootfs = MountAt(snap_->Prepare("container", parent), "container");
  check(rootfs);
  ASSERT_TRUE(WriteFile(rootfs + "/written", "w"));
  EXPECT_EQ(Read(rootfs + "/written"), "w");
}

INSTANTIATE_TEST_SUITE_P(Snapshotters, SnapshotterTest, ::testing::ValuesIn(kFlavors),
                         [](const ::testing::TestParamInfo<Flavor>& param_info) {
                           return std::string(param_info.param.name);
                         });

}  // namespace
}  // namespace berth::image::snapshot
