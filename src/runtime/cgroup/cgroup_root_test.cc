// Cgroup on this host's real cgroup hierarchies: limits read back from the kernel's files, a real
// process moved in, frozen, killed, and the directories removed. Needs root.
#include "runtime/cgroup/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <filesystem>

#include <fmt/format.h>

#include "base/child_process.h"
#include "base/file.h"
#include "base/strings.h"
#include "base/unique_fd.h"

namespace berth::runtime::cgroup {
namespace {

namespace fs = std::filesystem;

std::string UniqueName() {
  static std::atomic<int> counter{0};
  return fmt::format("berth-cgroup-test-{}-{}", getpid(), counter++);
}

std::string ReadTrimmed(const std::string& path) {
  Result<std::string> text = ReadFile(path);
  return text ? std::string(TrimSpace(*text)) : "<" + text.error().message() + ">";
}

class CgroupRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    Result<Layout> layout = DetectLayout();
    if (!layout) GTEST_SKIP() << "no cgroups: " << layout.error().message();
    layout_ = *layout;
  }

  // The directory holding a controller's files: its v1 hierarchy, else the unified one.
  static std::string DirFor(const Cgroup& cg, std::string_view controller) {
    for (const auto& [controllers, dir] : cg.V1Paths()) {
      for (const std::string& c : Split(controllers, ',')) {
        if (c == controller) return dir;
      }
    }
    return cg.V2Path().value_or("<none>");
  }

  const Hierarchy* UnifiedHierarchy() const {
    for (const Hierarchy& h : layout_.hierarchies) {
      if (h.v2) return &h;
    }
    return nullptr;
  }

  bool HasV1(std::string_view controller) const {
    for (const Hierarchy& h : layout_.hierarchies) {
      if (!h.v2 && h.Has(controller)) return true;
    }
    return false;
  }

  Layout layout_;
};

// Forks a child that enters cg as a container's process does (its v1 directories by itself, the
// unified one moved by pid), waits for a byte on the returned pipe, and then runs body.
template <typename Body>
Result<std::pair<ChildProcess, UniqueFd>> ForkInside(Cgroup& cg, Body body) {
  BERTH_ASSIGN_OR_RETURN(Cgroup::Entry entry, cg.OpenEntry());
  int go[2], joined[2];
  if (pipe2(go, O_CLOEXEC) < 0 || pipe2(joined, O_CLOEXEC) < 0) return Fail(ErrnoNow("pipe2"));
  pid_t pid = fork();
  if (pid < 0) return Fail(ErrnoNow("fork"));
  if (pid == 0) {
    if (Cgroup::JoinSelf(entry) != nullptr) _exit(124);
    char byte = 'j';
    if (write(joined[1], &byte, 1) != 1 || read(go[0], &byte, 1) != 1) _exit(125);
    body();
  }
  close(go[0]);
  close(joined[1]);
  UniqueFd go_writer(go[1]), joined_reader(joined[0]);
  BERTH_ASSIGN_OR_RETURN(ChildProcess child, ChildProcess::Adopt(pid));
  BERTH_TRY(cg.AddToUnified(pid));
  char byte;
  if (read(joined_reader.get(), &byte, 1) != 1) {
    return Fail(ErrorKind::kInternal, "the child did not join its v1 cgroups");
  }
  return std::pair{std::move(child), std::move(go_writer)};
}

std::string ProcState(pid_t pid) {
  std::string status = ReadTrimmed(fmt::format("/proc/{}/status", pid));
  for (const std::string& line : Split(status, '\n')) {
    if (line.rfind("State:", 0) == 0) return std::string(TrimSpace(line.substr(6)));
  }
  return "";
}

TEST_F(CgroupRootTest, LimitsProcessesFreezeKillDestroy) {
  std::string name = UniqueName();
  Result<Cgroup> created = Cgroup::Create(layout_, name);
  ASSERT_TRUE(created) << created.error().message();
  Cgroup cg = std::move(*created);
  struct Cleanup {
    Cgroup& cg;
    ~Cleanup() { (void)cg.Destroy(); }
  } cleanup{cg};

  oci::Resources r;
  r.memory = oci::MemoryResources{.limit = 64 << 20};
  r.pids = oci::PidsResources{.limit = 32};
  r.cpu = oci::CpuResources{.quota = 50000, .period = 100000, .cpus = "0"};
  const Hierarchy* unified = UnifiedHierarchy();
  bool hugetlb = fs::exists("/sys/kernel/mm/hugepages/hugepages-2048kB") &&
                 (HasV1("hugetlb") || (unified != nullptr && unified->Has("hugetlb")));
  if (hugetlb) r.hugepage_limits = {{.page_size = "2MB", .limit = 4 << 20}};
  Status applied = cg.Apply(r);
  ASSERT_TRUE(applied) << applied.error().message();

  bool v1 = layout_.mode != Mode::kV2;
  std::string memory = DirFor(cg, "memory");
  std::string cpu = DirFor(cg, "cpu");
  EXPECT_EQ(ReadTrimmed(memory + (v1 ? "/memory.limit_in_bytes" : "/memory.max")), "67108864");
  EXPECT_EQ(ReadTrimmed(DirFor(cg, "pids") + "/pids.max"), "32");
  if (v1) {
    EXPECT_EQ(ReadTrimmed(cpu + "/cpu.cfs_quota_us"), "50000");
    EXPECT_EQ(ReadTrimmed(cpu + "/cpu.cfs_period_us"), "100000");
  } else {
    EXPECT_EQ(ReadTrimmed(cpu + "/cpu.max"), "50000 100000");
  }
  EXPECT_EQ(ReadTrimmed(DirFor(cg, "cpuset") + "/cpuset.cpus"), "0");
  if (hugetlb) {
    std::string file = HasV1("hugetlb") ? "/hugetlb.2MB.limit_in_bytes" : "/hugetlb.2MB.max";
    EXPECT_EQ(ReadTrimmed(DirFor(cg, "hugetlb") + file), "4194304");
  } else {
    std::cout << "hugetlb is not available here; its limit is not checked\n";
  }

  auto forked = ForkInside(cg, [] {
    execlp("sleep", "sleep", "100", nullptr);
    _exit(127);
  });
  ASSERT_TRUE(forked) << forked.error().message();
  ChildProcess* child = &forked->first;
  pid_t pid = child->pid();
  Result<std::vector<pid_t>> pids = cg.Pids();
  ASSERT_TRUE(pids) << pids.error().message();
  EXPECT_EQ(*pids, std::vector<pid_t>{pid});
  // Every hierarchy the process is in now names the container's cgroup.
  std::string membership = ReadTrimmed(fmt::format("/proc/{}/cgroup", pid));
  for (const std::string& line : Split(membership, '\n')) {
    EXPECT_TRUE(line.size() > name.size() &&
                line.compare(line.size() - name.size() - 1, std::string::npos, "/" + name) == 0)
        << line;
  }

  Status frozen = cg.Freeze();
  ASSERT_TRUE(frozen) << frozen.error().message();
  EXPECT_TRUE(*cg.Frozen());
  if (HasV1("freezer")) {
    EXPECT_EQ(ReadTrimmed(DirFor(cg, "freezer") + "/freezer.state"), "FROZEN");
    EXPECT_EQ(ProcState(pid).substr(0, 1), "D");  // frozen tasks show as uninterruptible
  } else {
    EXPECT_NE(ReadTrimmed(*cg.V2Path() + "/cgroup.events").find("frozen 1"), std::string::npos);
  }
  ASSERT_TRUE(cg.Thaw());
  EXPECT_FALSE(*cg.Frozen());
  // A thawed sleep wakes up (R) and goes back to sleep (S); it is no longer held in D.
  std::string state;
  for (int i = 0; i < 100 && (state = ProcState(pid).substr(0, 1)) == "D"; ++i) usleep(10000);
  EXPECT_TRUE(state == "S" || state == "R") << state;

  Status killed = cg.KillAll(SIGKILL);
  ASSERT_TRUE(killed) << killed.error().message();
  Result<ExitStatus> status = child->Wait(5000);
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(status->signal, SIGKILL);

  Status destroyed = cg.Destroy();
  ASSERT_TRUE(destroyed) << destroyed.error().message();
  for (const auto& [controllers, dir] : cg.V1Paths()) {
    EXPECT_FALSE(fs::exists(dir)) << controllers << " " << dir;
  }
  if (cg.V2Path()) {
    EXPECT_FALSE(fs::exists(*cg.V2Path()));
  }
}

TEST_F(CgroupRootTest, RaisingMemoryAndSwapTogetherOnV1) {
  Result<Cgroup> created = Cgroup::Create(layout_, UniqueName());
  ASSERT_TRUE(created) << created.error().message();
  Cgroup cg = std::move(*created);
  struct Cleanup {
    Cgroup& cg;
    ~Cleanup() { (void)cg.Destroy(); }
  } cleanup{cg};
  std::string memory = DirFor(cg, "memory");
  if (layout_.mode == Mode::kV2 || !fs::exists(memory + "/memory.memsw.limit_in_bytes")) {
    GTEST_SKIP() << "needs v1 memory with swap accounting";
  }
  oci::Resources r;
  r.memory = oci::MemoryResources{.limit = 64 << 20, .swap = 128 << 20};
  ASSERT_TRUE(cg.Apply(r));
  // The new memory limit is above the current memory+swap limit: that one must move first.
  r.memory = oci::MemoryResources{.limit = 256 << 20, .swap = 512 << 20};
  Status applied = cg.Apply(r);
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(ReadTrimmed(memory + "/memory.limit_in_bytes"), std::to_string(256 << 20));
  EXPECT_EQ(ReadTrimmed(memory + "/memory.memsw.limit_in_bytes"), std::to_string(512 << 20));
  // Lifting the limit (-1, which v1 reads as "no limit") lifts memory+swap with it.
  r.memory = oci::MemoryResources{.limit = -1};
  applied = cg.Apply(r);
  ASSERT_TRUE(applied) << applied.error().message();
  std::string unlimited = ReadTrimmed(memory + "/memory.limit_in_bytes");
  EXPECT_GT(unlimited.size(), 15u) << unlimited;
  EXPECT_EQ(ReadTrimmed(memory + "/memory.memsw.limit_in_bytes"), unlimited);
  // A bad value comes back from the kernel naming the file.
  r = {};
  r.cpu = oci::CpuResources{.cpus = "4096"};
  applied = cg.Apply(r);
  ASSERT_FALSE(applied);
  EXPECT_NE(applied.error().message().find(DirFor(cg, "cpuset") + "/cpuset.cpus"),
            std::string::npos)
      << applied.error().message();
}

// Runs a child inside the cgroup that opens path, and returns 0 or the errno it got.
int OpenInside(Cgroup& cg, const char* path) {
  auto forked = ForkInside(cg, [path] {
    int fd = open(path, O_RDWR | O_CLOEXEC);
    _exit(fd >= 0 ? 0 : errno);
  });
  EXPECT_TRUE(forked) << forked.error().message();
  if (!forked) return -1;
  EXPECT_EQ(write(forked->second.get(), "x", 1), 1);
  Result<ExitStatus> status = forked->first.Wait(5000);
  EXPECT_TRUE(status) << status.error().message();
  return status && status->signal == 0 ? status->exit_code : -1;
}

TEST_F(CgroupRootTest, DeviceProgramDecidesOpensInAUnifiedCgroup) {
  const Hierarchy* unified = UnifiedHierarchy();
  if (unified == nullptr) GTEST_SKIP() << "no cgroup2 hierarchy is mounted";
  // A device program works on any cgroup2 directory; no controller needs enabling.
  Layout v2{.mode = Mode::kV2,
            .hierarchies = {Hierarchy{.mount_point = unified->mount_point, .v2 = true}}};
  Result<Cgroup> created = Cgroup::Create(v2, "/" + UniqueName());
  ASSERT_TRUE(created) << created.error().message();
  Cgroup cg = std::move(*created);
  struct Cleanup {
    Cgroup& cg;
    ~Cleanup() { (void)cg.Destroy(); }
  } cleanup{cg};

  oci::Resources deny_null;
  deny_null.devices = {{.allow = true, .access = "rwm"},
                       {.allow = false, .type = "c", .major = 1, .minor = 3, .access = "rw"}};
  Status applied = cg.Apply(deny_null);
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(OpenInside(cg, "/dev/null"), EPERM);
  EXPECT_EQ(OpenInside(cg, "/dev/zero"), 0);

  // An update replaces the program: were the old one left attached, /dev/null stayed denied.
  oci::Resources only_null;
  only_null.devices = {{.allow = false, .access = "rwm"},
                       {.allow = true, .type = "c", .major = 1, .minor = 3, .access = "rwm"}};
  applied = cg.Apply(only_null);
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(OpenInside(cg, "/dev/null"), 0);
  EXPECT_EQ(OpenInside(cg, "/dev/zero"), EPERM);

  ASSERT_TRUE(cg.Destroy());
  EXPECT_FALSE(fs::exists(*cg.V2Path()));
}

}  // namespace
}  // namespace berth::runtime::cgroup
