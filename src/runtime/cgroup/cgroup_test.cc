// Cgroup against fake hierarchies: plain directories in a temp dir with the interface files the
// kernel would provide made up front, so that Create, Apply, AddProcess, Freeze, Pids and Destroy
// can be watched without root.
#include "runtime/cgroup/cgroup.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "base/file.h"

namespace berth::runtime::cgroup {
namespace {

namespace fs = std::filesystem;

class CgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-cgroup-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }

  // Makes a file (and its directory) the way the kernel would have it.
  void Touch(const std::string& rel, std::string_view content = "") {
    std::string path = root_ + "/" + rel;
    fs::create_directories(fs::path(path).parent_path());
    ASSERT_TRUE(WriteFile(path, content));
  }
  std::string Read(const std::string& rel) {
    Result<std::string> text = ReadFile(root_ + "/" + rel);
    return text ? *text : "<" + text.error().message() + ">";
  }
  bool Exists(const std::string& rel) { return fs::exists(root_ + "/" + rel); }

  Hierarchy V1(std::string name, std::vector<std::string> controllers, std::string own = "/") {
    return Hierarchy{.mount_point = root_ + "/" + name,
                     .controllers = std::move(controllers),
                     .own_path = std::move(own)};
  }
  Hierarchy Unified(std::vector<std::string> controllers) {
    return Hierarchy{
        .mount_point = root_ + "/unified", .v2 = true, .controllers = std::move(controllers)};
  }

  // This machine's shape: v1 controllers, name=systemd, and a unified mount with only hugetlb.
  Layout HybridLayout() {
    return Layout{
        .mode = Mode::kHybrid,
        .hierarchies = {V1("cpu", {"cpu"}), V1("cpuset", {"cpuset"}),
                        V1("memory", {"memory"}, "/process_api/abc"), V1("pids", {"pids"}),
                        V1("freezer", {"freezer"}), V1("devices", {"devices"}),
                        V1("systemd", {"name=systemd"}), Unified({"hugetlb"})}};
  }

  void MakeHybridFiles() {
    for (const char* h : {"cpu", "cpuset", "memory/process_api/abc", "pids", "freezer", "devices",
                          "systemd", "unified"}) {
      Touch(fmt::format("{}/berth/c1/cgroup.procs", h));
    }
    Touch("cpuset/cpuset.cpus", "0-3\n");
    Touch("cpuset/cpuset.mems", "0\n");
    for (const char* dir : {"cpuset/berth", "cpuset/berth/c1"}) {
      Touch(fmt::format("{}/cpuset.cpus", dir));
      Touch(fmt::format("{}/cpuset.mems", dir));
    }
    for (const char* f : {"cpu.cfs_period_us", "cpu.cfs_quota_us"})
      Touch("cpu/berth/c1/" + std::string(f));
    for (const char* f : {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes"}) {
      Touch("memory/process_api/abc/berth/c1/" + std::string(f));
    }
    Touch("pids/berth/c1/pids.max");
    Touch("freezer/berth/c1/freezer.state", "THAWED\n");
    Touch("devices/berth/c1/devices.allow");
    Touch("devices/berth/c1/devices.deny");
    Touch("unified/cgroup.subtree_control");
    Touch("unified/berth/cgroup.subtree_control");
    Touch("unified/berth/c1/hugetlb.2MB.max");
  }

  std::string root_;
};

TEST_F(CgroupTest, HybridCreateApplyAndEnter) {
  MakeHybridFiles();
  Result<Cgroup> cg = Cgroup::Create(HybridLayout(), "berth/c1");
  ASSERT_TRUE(cg) << cg.error().message();

  // A new cpuset takes its parent's CPUs and nodes, all the way down.
  EXPECT_EQ(Read("cpuset/berth/cpuset.cpus"), "0-3");
  EXPECT_EQ(Read("cpuset/berth/c1/cpuset.mems"), "0");
  // hugetlb has no v1 hierarchy, so it is enabled for the container's ancestors in v2.
  EXPECT_EQ(Read("unified/cgroup.subtree_control"), "+hugetlb");
  EXPECT_EQ(Read("unified/berth/cgroup.subtree_control"), "+hugetlb");

  EXPECT_EQ(cg->V2Path(), root_ + "/unified/berth/c1");
  auto v1 = cg->V1Paths();
  ASSERT_EQ(v1.size(), 7u);
  EXPECT_EQ(v1[2], (std::pair<std::string, std::string>{
                       "memory", root_ + "/memory/process_api/abc/berth/c1"}));
  EXPECT_EQ(v1[6].first, "name=systemd");

  oci::Resources r;
  r.memory = oci::MemoryResources{.limit = 64 << 20};
  r.pids = oci::PidsResources{.limit = 32};
  r.cpu = oci::CpuResources{.quota = 50000, .period = 100000, .cpus = "0"};
  r.hugepage_limits = {{.page_size = "2MB", .limit = 2 << 20}};
  r.devices = {{.allow = false, .access = "rwm"},
               {.allow = true, .type = "c", .major = 1, .minor = 3, .access = "rwm"}};
  Status applied = cg->Apply(r);
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(Read("memory/process_api/abc/berth/c1/memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(Read("pids/berth/c1/pids.max"), "32");
  EXPECT_EQ(Read("cpu/berth/c1/cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(Read("cpu/berth/c1/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(Read("cpuset/berth/c1/cpuset.cpus"), "0");
  EXPECT_EQ(Read("unified/berth/c1/hugetlb.2MB.max"), "2097152");
  EXPECT_FALSE(Exists("unified/berth/c1/hugetlb.2MB.rsvd.max"));  // optional, never made
  EXPECT_EQ(Read("devices/berth/c1/devices.deny"), "a");
  EXPECT_EQ(Read("devices/berth/c1/devices.allow"), "c 1:3 rwm");

  // A new process joins the v1 directories itself ("0": the writing thread) and starts in the
  // unified one, or is moved there by pid.
  const char* v1_dirs[] = {"cpu",     "cpuset", "memory/process_api/abc", "pids", "freezer",
                           "devices", "systemd"};
  for (const char* h : v1_dirs) Touch(fmt::format("{}/berth/c1/tasks", h));
  Result<Cgroup::Entry> entry = cg->OpenEntry();
  ASSERT_TRUE(entry) << entry.error().message();
  ASSERT_EQ(entry->v1_tasks.size(), 7u);
  EXPECT_TRUE(entry->v2_dir);
  EXPECT_EQ(Cgroup::JoinSelf(*entry), nullptr);
  for (const char* h : v1_dirs) {
    EXPECT_EQ(Read(fmt::format("{}/berth/c1/tasks", h)), "0") << h;
  }
  ASSERT_TRUE(cg->AddToUnified(4242));
  EXPECT_EQ(Read("unified/berth/c1/cgroup.procs"), "4242");
  EXPECT_EQ(Read("cpu/berth/c1/cgroup.procs"), "");  // nothing is moved by pid in v1
}

TEST_F(CgroupTest, EntryNamesAMissingTasksFile) {
  MakeHybridFiles();
  Result<Cgroup> cg = Cgroup::Create(HybridLayout(), "berth/c1");
  ASSERT_TRUE(cg) << cg.error().message();
  Result<Cgroup::Entry> entry = cg->OpenEntry();
  ASSERT_FALSE(entry);
  EXPECT_NE(entry.error().message().find("/berth/c1/tasks"), std::string::npos)
      << entry.error().message();
}

TEST_F(CgroupTest, SaveAndLoadKeepTheDirectories) {
  MakeHybridFiles();
  Result<Cgroup> cg = Cgroup::Create(HybridLayout(), "berth/c1");
  ASSERT_TRUE(cg) << cg.error().message();
  Result<Cgroup> loaded = Cgroup::Load(cg->Save());
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded->mode(), Mode::kHybrid);
  EXPECT_EQ(loaded->V2Path(), cg->V2Path());
  EXPECT_EQ(loaded->V1Paths(), cg->V1Paths());
  // The loaded object still knows that hugetlb lives in the unified hierarchy.
  oci::Resources r;
  r.hugepage_limits = {{.page_size = "2MB", .limit = 4 << 20}};
  ASSERT_TRUE(loaded->Apply(r));
  EXPECT_EQ(Read("unified/berth/c1/hugetlb.2MB.max"), "4194304");

  EXPECT_EQ(Cgroup::Load("{").error().kind(), ErrorKind::kDataLoss);
  EXPECT_EQ(Cgroup::Load(R"({"mode":"v2","dirs":[]})").error().kind(), ErrorKind::kInvalidArgument);
}

TEST_F(CgroupTest, MissingFilesFallBackSkipOrFailNamingTheFile) {
  Touch("blkio/c/cgroup.procs");
  Touch("blkio/c/blkio.bfq.weight");
  Touch("memory/c/memory.limit_in_bytes");
  Layout layout{.mode = Mode::kV1,
                .hierarchies = {V1("blkio", {"blkio"}), V1("memory", {"memory"})}};
  Result<Cgroup> cg = Cgroup::Create(layout, "c");
  ASSERT_TRUE(cg) << cg.error().message();

  oci::Resources r;
  r.block_io = oci::BlockIoResources{.weight = 300};
  r.memory = oci::MemoryResources{.limit = 1000, .swap = 1000, .kernel = 5};
  Status applied = cg->Apply(r);
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(Read("blkio/c/blkio.bfq.weight"), "300");
  EXPECT_EQ(Read("memory/c/memory.limit_in_bytes"), "1000");
  EXPECT_FALSE(Exists("memory/c/memory.memsw.limit_in_bytes"));

  // A real swap limit without swap accounting is refused with the reason.
  r = {};
  r.memory = oci::MemoryResources{.limit = 1000, .swap = 3000};
  applied = cg->Apply(r);
  ASSERT_FALSE(applied);
  EXPECT_NE(applied.error().message().find(root_ + "/memory/c/memory.memsw.limit_in_bytes"),
            std::string::npos)
      << applied.error().message();
  EXPECT_NE(applied.error().message().find("swap accounting is off"), std::string::npos);

  // A controller without a hierarchy.
  r = {};
  r.pids = oci::PidsResources{.limit = 3};
  applied = cg->Apply(r);
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().kind(), ErrorKind::kFailedPrecondition);
  EXPECT_NE(applied.error().message().find("pids"), std::string::npos);
}

TEST_F(CgroupTest, V2WritesFilesAndFreezesThroughCgroupFreeze) {
  Touch("unified/cgroup.subtree_control", "cpu");
  Touch("unified/x/cgroup.procs");
  Touch("unified/x/memory.max");
  Touch("unified/x/memory.high");
  Touch("unified/x/cpu.max");
  Touch("unified/x/cgroup.freeze", "0\n");
  Touch("unified/x/cgroup.events", "populated 1\nfrozen 1\n");
  Layout layout{.mode = Mode::kV2, .hierarchies = {Unified({"cpu", "memory"})}};
  Result<Cgroup> cg = Cgroup::Create(layout, "/x");
  ASSERT_TRUE(cg) << cg.error().message();
  EXPECT_EQ(Read("unified/cgroup.subtree_control"), "+memory");  // cpu was already enabled
  EXPECT_TRUE(cg->V1Paths().empty());

  oci::Resources r;
  r.memory = oci::MemoryResources{.limit = 1 << 20};
  r.cpu = oci::CpuResources{.quota = 50000, .period = 100000};
  r.unified = {{"memory.high", "500000"}};
  ASSERT_TRUE(cg->Apply(r));
  EXPECT_EQ(Read("unified/x/memory.max"), "1048576");
  EXPECT_EQ(Read("unified/x/cpu.max"), "50000 100000");
  EXPECT_EQ(Read("unified/x/memory.high"), "500000");

  r = {};
  r.pids = oci::PidsResources{.limit = 1};
  Status applied = cg->Apply(r);
  ASSERT_FALSE(applied);
  EXPECT_NE(applied.error().message().find("pids.max"), std::string::npos);
  EXPECT_NE(applied.error().message().find("subtree_control"), std::string::npos);

  ASSERT_TRUE(cg->Freeze());
  EXPECT_EQ(Read("unified/x/cgroup.freeze"), "1");
  EXPECT_TRUE(*cg->Frozen());
  ASSERT_TRUE(cg->Thaw());
  EXPECT_EQ(Read("unified/x/cgroup.freeze"), "0");
}

TEST_F(CgroupTest, V1FreezerAndRecursivePids) {
  Touch("freezer/c/freezer.state", "THAWED\n");
  Touch("freezer/c/cgroup.procs", "10\n11\n");
  Touch("freezer/c/sub/cgroup.procs", "12\n10\n");
  Touch("pids/c/cgroup.procs", "10\n");
  Layout layout{.mode = Mode::kV1,
                .hierarchies = {V1("pids", {"pids"}), V1("freezer", {"freezer"})}};
  Result<Cgroup> cg = Cgroup::Create(layout, "c");
  ASSERT_TRUE(cg) << cg.error().message();
  EXPECT_FALSE(*cg->Frozen());
  ASSERT_TRUE(cg->Freeze());
  EXPECT_EQ(Read("freezer/c/freezer.state"), "FROZEN");
  EXPECT_TRUE(*cg->Frozen());
  ASSERT_TRUE(cg->Thaw());
  EXPECT_EQ(Read("freezer/c/freezer.state"), "THAWED");

  Result<std::vector<pid_t>> pids = cg->Pids();
  ASSERT_TRUE(pids) << pids.error().message();
  EXPECT_EQ(*pids, (std::vector<pid_t>{10, 11, 12}));
}

TEST_F(CgroupTest, DestroyRemovesChildrenFirstAndAcceptsMissing) {
  fs::create_directories(root_ + "/cpu");
  fs::create_directories(root_ + "/memory");
  Layout layout{.mode = Mode::kV1,
                .hierarchies = {V1("cpu", {"cpu", "cpuacct"}), V1("memory", {"memory"})}};
  Result<Cgroup> cg = Cgroup::Create(layout, "parent/c");
  ASSERT_TRUE(cg) << cg.error().message();
  EXPECT_TRUE(Exists("cpu/parent/c"));
  EXPECT_TRUE(Exists("memory/parent/c"));
  fs::create_directories(root_ + "/cpu/parent/c/inner/deeper");

  ASSERT_TRUE(cg->Destroy());
  EXPECT_FALSE(Exists("cpu/parent/c"));
  EXPECT_FALSE(Exists("memory/parent/c"));
  EXPECT_TRUE(Exists("cpu/parent"));  // only the container's own directory goes
  ASSERT_TRUE(cg->Destroy());
}

TEST_F(CgroupTest, FailedCreateRemovesWhatItMade) {
  fs::create_directories(root_ + "/cpu");
  // The memory mount point does not exist, so placing the container there fails.
  Layout layout{.mode = Mode::kV1, .hierarchies = {V1("cpu", {"cpu"}), V1("memory", {"memory"})}};
  Result<Cgroup> cg = Cgroup::Create(layout, "a/b");
  ASSERT_FALSE(cg);
  EXPECT_NE(cg.error().message().find(root_ + "/memory/a"), std::string::npos)
      << cg.error().message();
  EXPECT_FALSE(Exists("cpu/a"));
}

TEST_F(CgroupTest, RefusesInconsistentLayouts) {
  Layout layout{.mode = Mode::kV2, .hierarchies = {V1("cpu", {"cpu"}), Unified({})}};
  Result<Cgroup> cg = Cgroup::Create(layout, "a");
  ASSERT_FALSE(cg);
  EXPECT_EQ(cg.error().kind(), ErrorKind::kInvalidArgument);
}

}  // namespace
}  // namespace berth::runtime::cgroup
