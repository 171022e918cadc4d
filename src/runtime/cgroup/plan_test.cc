#include "runtime/cgroup/plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::runtime::cgroup {

// Shows a FileWrite in failure messages (found by argument-dependent lookup).
void PrintTo(const FileWrite& w, std::ostream* os) {
  *os << "{" << w.controller << " " << w.file << "=\"" << w.value << "\""
      << (w.optional ? " optional" : "") << (w.fallback.empty() ? "" : " or " + w.fallback) << "}";
}

namespace {

using Writes = std::vector<FileWrite>;
using testing::ElementsAre;

FileWrite W(std::string controller, std::string file, std::string value) {
  return FileWrite{
      .controller = std::move(controller), .file = std::move(file), .value = std::move(value)};
}

FileWrite Optional(FileWrite w) {
  w.optional = true;
  return w;
}

FileWrite WithFallback(FileWrite w, std::string fallback) {
  w.fallback = std::move(fallback);
  return w;
}

Writes V1(const oci::Resources& r) {
  Result<Writes> plan = PlanV1(r);
  EXPECT_TRUE(plan) << plan.error().message();
  return plan ? *plan : Writes{};
}

Writes V2(const oci::Resources& r) {
  Result<Writes> plan = PlanV2(r);
  EXPECT_TRUE(plan) << plan.error().message();
  return plan ? *plan : Writes{};
}

TEST(PlanTest, EmptyResourcesWriteNothing) {
  EXPECT_TRUE(V1({}).empty());
  EXPECT_TRUE(V2({}).empty());
}

TEST(PlanV1Test, Memory) {
  oci::Resources r;
  r.memory = oci::MemoryResources{.limit = 64 << 20,
                                  .reservation = 32 << 20,
                                  .swap = 128 << 20,
                                  .kernel = 16 << 20,
                                  .kernel_tcp = 8 << 20,
                                  .swappiness = 10,
                                  .disable_oom_killer = true,
                                  .use_hierarchy = true};
  EXPECT_THAT(V1(r), ElementsAre(W("memory", "memory.limit_in_bytes", "67108864"),
                                 W("memory", "memory.memsw.limit_in_bytes", "134217728"),
                                 W("memory", "memory.soft_limit_in_bytes", "33554432"),
                                 Optional(W("memory", "memory.kmem.limit_in_bytes", "16777216")),
                                 W("memory", "memory.kmem.tcp.limit_in_bytes", "8388608"),
                                 W("memory", "memory.swappiness", "10"),
                                 W("memory", "memory.oom_control", "1"),
                                 Optional(W("memory", "memory.use_hierarchy", "1"))));
}

TEST(PlanV1Test, SwapWithoutAccountingIsOnlyOptionalWhenItAsksForNothing) {
  oci::Resources r;
  r.memory = oci::MemoryResources{.limit = 100, .swap = 100};
  EXPECT_THAT(V1(r), ElementsAre(W("memory", "memory.limit_in_bytes", "100"),
                                 Optional(W("memory", "memory.memsw.limit_in_bytes", "100"))));
  r.memory = oci::MemoryResources{.limit = 100, .swap = -1};
  EXPECT_THAT(V1(r), ElementsAre(W("memory", "memory.limit_in_bytes", "100"),
                                 Optional(W("memory", "memory.memsw.limit_in_bytes", "-1"))));
  // Lifting the limit lifts memory+swap too.
  r.memory = oci::MemoryResources{.limit = -1};
  EXPECT_THAT(V1(r), ElementsAre(W("memory", "memory.limit_in_bytes", "-1"),
                                 Optional(W("memory", "memory.memsw.limit_in_bytes", "-1"))));
  // Zero means "not set".
  r.memory = oci::MemoryResources{.limit = 0, .reservation = 0, .swap = 0};
  EXPECT_TRUE(V1(r).empty());
}

TEST(PlanV1Test, BadMemoryValues) {
  oci::Resources r;
  r.memory = oci::MemoryResources{.limit = 200, .swap = 100};
  Result<Writes> plan = PlanV1(r);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(plan.error().message().find("memory.swap"), std::string::npos);
  r.memory = oci::MemoryResources{.limit = -2};
  EXPECT_FALSE(PlanV1(r));
  r.memory = oci::MemoryResources{.swappiness = 101};
  EXPECT_FALSE(PlanV1(r));
}

TEST(PlanV1Test, Cpu) {
  oci::Resources r;
  r.cpu = oci::CpuResources{.shares = 512,
                            .quota = 50000,
                            .burst = 1000,
                            .period = 100000,
                            .realtime_runtime = 950000,
                            .realtime_period = 1000000,
                            .cpus = "0-1",
                            .mems = "0",
                            .idle = 1};
  EXPECT_THAT(
      V1(r),
      ElementsAre(W("cpu", "cpu.shares", "512"), W("cpu", "cpu.cfs_period_us", "100000"),
                  W("cpu", "cpu.cfs_quota_us", "50000"), W("cpu", "cpu.cfs_burst_us", "1000"),
                  W("cpu", "cpu.rt_period_us", "1000000"), W("cpu", "cpu.rt_runtime_us", "950000"),
                  W("cpu", "cpu.idle", "1"), W("cpuset", "cpuset.cpus", "0-1"),
                  W("cpuset", "cpuset.mems", "0")));
  r.cpu = oci::CpuResources{.quota = -1, .idle = 0};
  EXPECT_THAT(V1(r),
              ElementsAre(W("cpu", "cpu.cfs_quota_us", "-1"), Optional(W("cpu", "cpu.idle", "0"))));
}

TEST(PlanV1Test, Pids) {
  oci::Resources r;
  r.pids = oci::PidsResources{.limit = 32};
  EXPECT_THAT(V1(r), ElementsAre(W("pids", "pids.max", "32")));
  r.pids->limit = 0;
  EXPECT_THAT(V1(r), ElementsAre(W("pids", "pids.max", "max")));
  r.pids->limit = -1;
  EXPECT_THAT(V1(r), ElementsAre(W("pids", "pids.max", "max")));
}

oci::BlockIoResources SampleBlockIo() {
  return oci::BlockIoResources{
      .weight = 500,
      .leaf_weight = 300,
      .weight_device = {{.major = 8, .minor = 0, .weight = 600, .leaf_weight = 200},
                        {.major = 8, .minor = 16, .weight = 10}},
      .throttle_read_bps_device = {{.major = 8, .minor = 0, .rate = 1048576}},
      .throttle_write_bps_device = {{.major = 8, .minor = 0, .rate = 0}},
      .throttle_read_iops_device = {{.major = 8, .minor = 0, .rate = 100}},
      .throttle_write_iops_device = {{.major = 8, .minor = 16, .rate = 200}}};
}

TEST(PlanV1Test, BlockIo) {
  oci::Resources r;
  r.block_io = SampleBlockIo();
  EXPECT_THAT(
      V1(r),
      ElementsAre(
          WithFallback(W("blkio", "blkio.weight", "500"), "blkio.bfq.weight"),
          W("blkio", "blkio.leaf_weight", "300"),
          WithFallback(W("blkio", "blkio.weight_device", "8:0 600"), "blkio.bfq.weight_device"),
          W("blkio", "blkio.leaf_weight_device", "8:0 200"),
          WithFallback(W("blkio", "blkio.weight_device", "8:16 10"), "blkio.bfq.weight_device"),
          W("blkio", "blkio.throttle.read_bps_device", "8:0 1048576"),
          W("blkio", "blkio.throttle.write_bps_device", "8:0 0"),
          W("blkio", "blkio.throttle.read_iops_device", "8:0 100"),
          W("blkio", "blkio.throttle.write_iops_device", "8:16 200")));
  r.block_io = oci::BlockIoResources{.throttle_read_bps_device = {{.major = -1, .minor = 0}}};
  EXPECT_FALSE(PlanV1(r));
}

TEST(PlanV1Test, HugetlbNetworkRdma) {
  oci::Resources r;
  r.hugepage_limits = {{.page_size = "2MB", .limit = 4194304}};
  r.network =
      oci::NetworkResources{.class_id = 0x100001, .priorities = {{.name = "eth0", .priority = 5}}};
  r.rdma = {{"mlx5_0", oci::RdmaLimit{.hca_handles = 3}}};
  EXPECT_THAT(V1(r),
              ElementsAre(W("hugetlb", "hugetlb.2MB.limit_in_bytes", "4194304"),
                          Optional(W("hugetlb", "hugetlb.2MB.rsvd.limit_in_bytes", "4194304")),
                          W("net_cls", "net_cls.classid", "1048577"),
                          W("net_prio", "net_prio.ifpriomap", "eth0 5"),
                          W("rdma", "rdma.max", "mlx5_0 hca_handle=3 hca_object=max")));
  r = {};
  r.hugepage_limits = {{.page_size = "../2MB", .limit = 1}};
  EXPECT_FALSE(PlanV1(r));
  r.hugepage_limits = {{.page_size = "2TB", .limit = 1}};
  EXPECT_FALSE(PlanV1(r));
  r = {};
  r.network = oci::NetworkResources{.priorities = {{.name = "eth0 1", .priority = 5}}};
  EXPECT_FALSE(PlanV1(r));
}

TEST(PlanV1Test, DevicesDenyAllFirstThenRulesInOrder) {
  oci::Resources r;
  r.devices = {{.allow = false, .access = "rwm"},
               {.allow = true, .type = "c", .major = 1, .minor = 3, .access = "rwm"},
               {.allow = true, .type = "c", .major = 136, .access = "rw"},
               {.allow = false, .type = "b", .minor = 7, .access = "m"},
               {.allow = true, .type = "a", .major = 10, .minor = 200, .access = "r"}};
  EXPECT_THAT(V1(r), ElementsAre(W("devices", "devices.deny", "a"),
                                 W("devices", "devices.allow", "c 1:3 rwm"),
                                 W("devices", "devices.allow", "c 136:* rw"),
                                 W("devices", "devices.deny", "b *:7 m"),
                                 // v1 reads "a ..." as all devices, so type a is split.
                                 W("devices", "devices.allow", "c 10:200 r"),
                                 W("devices", "devices.allow", "b 10:200 r")));
  r.devices = {{.allow = true, .type = "a", .access = ""}};
  EXPECT_THAT(V1(r), ElementsAre(W("devices", "devices.allow", "a")));
  r.devices = {{.allow = true, .type = "u", .access = "r"}};
  EXPECT_FALSE(PlanV1(r));
  r.devices = {{.allow = true, .type = "c", .access = "rx"}};
  EXPECT_FALSE(PlanV1(r));
}

TEST(PlanV1Test, UnifiedIsRefused) {
  oci::Resources r;
  r.unified = {{"memory.high", "1000000"}};
  Result<Writes> plan = PlanV1(r);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(plan.error().message().find("cgroup v2"), std::string::npos);
}

TEST(ConversionTest, CpuWeightFromShares) {
  EXPECT_EQ(CpuWeightFromShares(2), 1u);
  EXPECT_EQ(CpuWeightFromShares(1024), 39u);  // the default share gives about the default weight
  EXPECT_EQ(CpuWeightFromShares(262144), 10000u);
  EXPECT_EQ(CpuWeightFromShares(1), 1u);
  EXPECT_EQ(CpuWeightFromShares(1000000), 10000u);
}

TEST(ConversionTest, IoWeightFromBlkioWeight) {
  EXPECT_EQ(IoWeightFromBlkioWeight(10), 1u);
  EXPECT_EQ(IoWeightFromBlkioWeight(500), 4950u);
  EXPECT_EQ(IoWeightFromBlkioWeight(1000), 10000u);
}

TEST(PlanV2Test, Memory) {
  oci::Resources r;
  r.memory = oci::MemoryResources{.limit = 100,
                                  .reservation = 50,
                                  .swap = 300,
                                  .kernel = 7,
                                  .kernel_tcp = 7,
                                  .swappiness = 10,
                                  .disable_oom_killer = true};
  // swap counts memory plus swap in the spec and swap alone in memory.swap.max.
  EXPECT_THAT(V2(r), ElementsAre(W("", "memory.max", "100"), W("", "memory.low", "50"),
                                 W("", "memory.swap.max", "200")));
  r.memory = oci::MemoryResources{.limit = -1};
  EXPECT_THAT(V2(r), ElementsAre(W("", "memory.max", "max"), W("", "memory.swap.max", "max")));
  r.memory = oci::MemoryResources{.limit = 100, .swap = -1};
  EXPECT_THAT(V2(r), ElementsAre(W("", "memory.max", "100"), W("", "memory.swap.max", "max")));
  r.memory = oci::MemoryResources{.swap = 100};
  EXPECT_FALSE(PlanV2(r));
  r.memory = oci::MemoryResources{.limit = 200, .swap = 100};
  EXPECT_FALSE(PlanV2(r));
}

TEST(PlanV2Test, Cpu) {
  oci::Resources r;
  r.cpu = oci::CpuResources{.shares = 1024,
                            .quota = 50000,
                            .burst = 1000,
                            .period = 100000,
                            .cpus = "0",
                            .mems = "0",
                            .idle = 1};
  EXPECT_THAT(V2(r), ElementsAre(W("", "cpu.weight", "39"), W("", "cpu.max", "50000 100000"),
                                 W("", "cpu.max.burst", "1000"), W("", "cpu.idle", "1"),
                                 W("", "cpuset.cpus", "0"), W("", "cpuset.mems", "0")));
  r.cpu = oci::CpuResources{.quota = -1, .period = 100000};
  EXPECT_THAT(V2(r), ElementsAre(W("", "cpu.max", "max 100000")));
  r.cpu = oci::CpuResources{.quota = 20000};
  EXPECT_THAT(V2(r), ElementsAre(W("", "cpu.max", "20000")));
  r.cpu = oci::CpuResources{.realtime_runtime = 1000};
  Result<Writes> plan = PlanV2(r);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message().find("realtime"), std::string::npos);
}

TEST(PlanV2Test, PidsIoHugetlbRdma) {
  oci::Resources r;
  r.pids = oci::PidsResources{.limit = -1};
  r.block_io = SampleBlockIo();
  r.hugepage_limits = {{.page_size = "1GB", .limit = 1073741824}};
  r.rdma = {{"mlx5_0", oci::RdmaLimit{.hca_handles = 3, .hca_objects = 100}}};
  EXPECT_THAT(V2(r),
              ElementsAre(W("", "pids.max", "max"), W("", "io.weight", "4950"),
                          W("", "io.weight", "8:0 5960"), W("", "io.weight", "8:16 1"),
                          W("", "io.max", "8:0 rbps=1048576"), W("", "io.max", "8:0 wbps=max"),
                          W("", "io.max", "8:0 riops=100"), W("", "io.max", "8:16 wiops=200"),
                          W("", "hugetlb.1GB.max", "1073741824"),
                          Optional(W("", "hugetlb.1GB.rsvd.max", "1073741824")),
                          W("", "rdma.max", "mlx5_0 hca_handle=3 hca_object=100")));
  r = {};
  r.block_io = oci::BlockIoResources{.weight = 5};
  EXPECT_FALSE(PlanV2(r));
}

TEST(PlanV2Test, UnifiedVerbatimAndChecked) {
  oci::Resources r;
  r.pids = oci::PidsResources{.limit = 5};
  r.unified = {{"memory.high", "1000000"}, {"cpu.uclamp.min", "10.5"}};
  EXPECT_THAT(V2(r), ElementsAre(W("", "pids.max", "5"), W("", "cpu.uclamp.min", "10.5"),
                                 W("", "memory.high", "1000000")));
  for (const char* bad : {"../memory.max", "a/b", "", ".."}) {
    r.unified = {{bad, "1"}};
    EXPECT_FALSE(PlanV2(r)) << bad;
  }
}

TEST(PlanV2Test, DevicesAreNotFilesAndNetworkIsRefused) {
  oci::Resources r;
  r.devices = {{.allow = false, .access = "rwm"}};
  EXPECT_TRUE(V2(r).empty());
  r.network = oci::NetworkResources{.class_id = 1};
  EXPECT_FALSE(PlanV2(r));
}

TEST(PlanHybridTest, EachControllerWhereItIsMounted) {
  oci::Resources r;
  r.memory = oci::MemoryResources{.limit = 100};
  r.pids = oci::PidsResources{.limit = 32};
  r.hugepage_limits = {{.page_size = "2MB", .limit = 2097152}};
  r.devices = {{.allow = false, .access = "rwm"}};
  r.unified = {{"hugetlb.1GB.max", "0"}};
  const std::vector<std::string> v1 = {"cpu",     "cpuacct", "cpuset", "memory",      "devices",
                                       "freezer", "blkio",   "pids",   "name=systemd"};
  Result<HybridPlan> plan = PlanHybrid(r, v1, {"hugetlb"});
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_THAT(plan->v1,
              ElementsAre(W("memory", "memory.limit_in_bytes", "100"), W("pids", "pids.max", "32"),
                          W("devices", "devices.deny", "a")));
  EXPECT_THAT(plan->v2, ElementsAre(W("", "hugetlb.2MB.max", "2097152"),
                                    Optional(W("", "hugetlb.2MB.rsvd.max", "2097152")),
                                    W("", "hugetlb.1GB.max", "0")));
}

TEST(PlanHybridTest, BlkioMovesToIoAndMissingControllersFail) {
  oci::Resources r;
  r.block_io = oci::BlockIoResources{.weight = 1000};
  r.cpu = oci::CpuResources{.cpus = "0"};
  Result<HybridPlan> plan = PlanHybrid(r, {"cpuset"}, {"io"});
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_THAT(plan->v1, ElementsAre(W("cpuset", "cpuset.cpus", "0")));
  EXPECT_THAT(plan->v2, ElementsAre(W("", "io.weight", "10000")));

  r = {};
  r.network = oci::NetworkResources{.class_id = 1};
  plan = PlanHybrid(r, {"memory"}, {"hugetlb"});
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().kind(), ErrorKind::kFailedPrecondition);
  EXPECT_NE(plan.error().message().find("net_cls"), std::string::npos);

  // Only optional writes for a missing controller: nothing to do, no error.
  r = {};
  r.memory = oci::MemoryResources{.kernel = 100};
  plan = PlanHybrid(r, {"cpu"}, {});
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_TRUE(plan->v1.empty());
  EXPECT_TRUE(plan->v2.empty());
}

TEST(V2ControllerForTest, RenamesBlkio) {
  EXPECT_EQ(V2ControllerFor("blkio"), "io");
  EXPECT_EQ(V2ControllerFor("memory"), "memory");
}

}  // namespace
}  // namespace berth::runtime::cgroup
