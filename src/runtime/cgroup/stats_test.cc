#include "runtime/cgroup/stats.h"

#include <gtest/gtest.h>

#include "base/file.h"
#include "base/temp_dir.h"

namespace berth::runtime::cgroup {
namespace {

// Files as a 5.x kernel writes them for a container limited to 64 MiB and 100 pids.
void WriteV1Fixture(const TempDir& dir) {
  ASSERT_TRUE(WriteFile(dir / "memory.stat",
                        "cache 135168\nrss 397312\nrss_huge 0\nmapped_file 0\n"
                        "hierarchical_memory_limit 67108864\ntotal_cache 135168\n"
                        "total_rss 397312\ntotal_inactive_file 135168\n"));
  ASSERT_TRUE(WriteFile(dir / "memory.usage_in_bytes", "954368\n"));
  ASSERT_TRUE(WriteFile(dir / "memory.max_usage_in_bytes", "1310720\n"));
  ASSERT_TRUE(WriteFile(dir / "memory.failcnt", "0\n"));
  ASSERT_TRUE(WriteFile(dir / "memory.limit_in_bytes", "67108864\n"));
  ASSERT_TRUE(WriteFile(dir / "cpu.stat",
                        "nr_periods 12\nnr_throttled 3\nthrottled_time 4500000\n"
                        "nr_bursts 0\nburst_time 0\n"));
  ASSERT_TRUE(WriteFile(dir / "cpuacct.usage", "52413201\n"));
  ASSERT_TRUE(WriteFile(dir / "cpuacct.usage_percpu", "30000000 22413201 \n"));
  ASSERT_TRUE(WriteFile(dir / "cpuacct.stat", "user 3\nsystem 2\n"));
  ASSERT_TRUE(WriteFile(dir / "pids.current", "2\n"));
  ASSERT_TRUE(WriteFile(dir / "pids.max", "100\n"));
  ASSERT_TRUE(WriteFile(dir / "blkio.throttle.io_service_bytes",
                        "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 12288\n8:0 Async 0\n"
                        "8:0 Discard 0\n8:0 Total 12288\nTotal 12288\n"));
  ASSERT_TRUE(WriteFile(dir / "blkio.throttle.io_serviced", "8:0 Read 1\n8:0 Write 2\nTotal 3\n"));
}

void WriteV2Fixture(const TempDir& dir) {
  ASSERT_TRUE(WriteFile(dir / "memory.stat",
                        "anon 397312\nfile 135168\nkernel_stack 16384\ninactive_file 135168\n"
                        "pgfault 1234\n"));
  ASSERT_TRUE(WriteFile(dir / "memory.current", "602112\n"));
  ASSERT_TRUE(WriteFile(dir / "memory.max", "max\n"));
  ASSERT_TRUE(WriteFile(dir / "memory.events",
                        "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n"));
  ASSERT_TRUE(WriteFile(dir / "cpu.stat",
                        "usage_usec 52413\nuser_usec 30000\nsystem_usec 22413\n"
                        "nr_periods 10\nnr_throttled 1\nthrottled_usec 700\n"));
  ASSERT_TRUE(WriteFile(dir / "pids.current", "1\n"));
  ASSERT_TRUE(WriteFile(dir / "pids.max", "max\n"));
  ASSERT_TRUE(WriteFile(dir / "io.stat",
                        "254:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"
                        "7:1 rbytes=512 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n"));
}

TEST(ReadStatsTest, V1) {
  Result<TempDir> dir = TempDir::Make("stats-v1");
  ASSERT_TRUE(dir);
  WriteV1Fixture(*dir);
  const ControllerDir d{.path = dir->path(), .v2 = false};
  Result<Stats> stats = ReadStats({.memory = d, .cpu = d, .cpuacct = d, .pids = d, .io = d});
  ASSERT_TRUE(stats) << stats.error().message();

  ASSERT_TRUE(stats->memory);
  EXPECT_EQ(stats->memory->usage, 954368u);
  EXPECT_EQ(stats->memory->max_usage, 1310720u);
  EXPECT_EQ(stats->memory->limit, std::optional<uint64_t>(67108864));
  EXPECT_EQ(stats->memory->stat.at("total_inactive_file"), 135168u);
  EXPECT_EQ(stats->memory->stat.at("hierarchical_memory_limit"), 67108864u);
  EXPECT_EQ(stats->memory->stat.size(), 8u);

  ASSERT_TRUE(stats->cpu);
  EXPECT_EQ(stats->cpu->total_ns, 52413201u);
  EXPECT_EQ(stats->cpu->percpu_ns, (std::vector<uint64_t>{30000000, 22413201}));
  EXPECT_EQ(stats->cpu->user_ns, 30000000u);  // 3 ticks of 10 ms
  EXPECT_EQ(stats->cpu->kernel_ns, 20000000u);
  EXPECT_EQ(stats->cpu->periods, 12u);
  EXPECT_EQ(stats->cpu->throttled_periods, 3u);
  EXPECT_EQ(stats->cpu->throttled_ns, 4500000u);

  ASSERT_TRUE(stats->pids);
  EXPECT_EQ(stats->pids->current, 2u);
  EXPECT_EQ(stats->pids->limit, std::optional<uint64_t>(100));

  EXPECT_EQ(stats->io_service_bytes.size(), 6u);  // the closing "Total" line is not a device
  EXPECT_EQ(stats->io_service_bytes[0], (BlkioEntry{8, 0, "Read", 4096}));
  EXPECT_EQ(stats->io_service_bytes[1], (BlkioEntry{8, 0, "Write", 8192}));
  EXPECT_EQ(stats->io_serviced, (std::vector<BlkioEntry>{{8, 0, "Read", 1}, {8, 0, "Write", 2}}));
}

TEST(ReadStatsTest, V2) {
  Result<TempDir> dir = TempDir::Make("stats-v2");
  ASSERT_TRUE(dir);
  WriteV2Fixture(*dir);
  const ControllerDir d{.path = dir->path(), .v2 = true};
  Result<Stats> stats = ReadStats({.memory = d, .cpu = d, .pids = d, .io = d});
  ASSERT_TRUE(stats) << stats.error().message();

  ASSERT_TRUE(stats->memory);
  EXPECT_EQ(stats->memory->usage, 602112u);
  EXPECT_EQ(stats->memory->limit, std::nullopt);
  EXPECT_EQ(stats->memory->failcnt, 1u);
  EXPECT_EQ(stats->memory->stat.at("anon"), 397312u);
  EXPECT_EQ(stats->memory->stat.at("pgfault"), 1234u);

  ASSERT_TRUE(stats->cpu);
  EXPECT_EQ(stats->cpu->total_ns, 52413000u);
  EXPECT_EQ(stats->cpu->user_ns, 30000000u);
  EXPECT_EQ(stats->cpu->kernel_ns, 22413000u);
  EXPECT_TRUE(stats->cpu->percpu_ns.empty());
  EXPECT_EQ(stats->cpu->periods, 10u);
  EXPECT_EQ(stats->cpu->throttled_periods, 1u);
  EXPECT_EQ(stats->cpu->throttled_ns, 700000u);

  ASSERT_TRUE(stats->pids);
  EXPECT_EQ(stats->pids->current, 1u);
  EXPECT_EQ(stats->pids->limit, std::nullopt);

  EXPECT_EQ(stats->io_service_bytes, (std::vector<BlkioEntry>{{254, 0, "read", 4096},
                                                              {254, 0, "write", 8192},
                                                              {7, 1, "read", 512},
                                                              {7, 1, "write", 0}}));
  EXPECT_EQ(stats->io_serviced[1], (BlkioEntry{254, 0, "write", 2}));
}

TEST(ReadStatsTest, ControllersWithoutDirectoryAreLeftOut) {
  Result<TempDir> dir = TempDir::Make("stats-pids");
  ASSERT_TRUE(dir);
  ASSERT_TRUE(WriteFile(*dir / "pids.current", "3\n"));
  ASSERT_TRUE(WriteFile(*dir / "pids.max", "max\n"));
  Result<Stats> stats = ReadStats({.pids = {.path = dir->path()}});
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_FALSE(stats->memory);
  EXPECT_FALSE(stats->cpu);
  EXPECT_EQ(stats->pids->current, 3u);
  EXPECT_TRUE(stats->io_service_bytes.empty());
}

TEST(ReadStatsTest, GoneCgroupIsNotFound) {
  Result<TempDir> dir = TempDir::Make("stats-gone");
  ASSERT_TRUE(dir);
  Result<Stats> stats = ReadStats({.pids = {.path = *dir / "gone"}});
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(stats.error().message().find("gone/pids.current"), std::string::npos);
}

TEST(ParseTest, BadInputNamesTheLine) {
  Result<std::map<std::string, uint64_t>> flat = ParseFlatKeyed("cache 1\nrss x\n");
  ASSERT_FALSE(flat);
  EXPECT_NE(flat.error().message().find("\"rss x\""), std::string::npos);
  EXPECT_FALSE(ParseBlkioV1("8:0 Read\n"));
  EXPECT_FALSE(ParseBlkioV1("80 Read 1\n"));
  std::vector<BlkioEntry> bytes, ops;
  EXPECT_FALSE(ParseIoStatV2("8:0 rbytes\n", &bytes, &ops));
  EXPECT_FALSE(ParseLimit("lots"));
}

TEST(ParseTest, Limits) {
  EXPECT_EQ(*ParseLimit("max\n"), std::nullopt);
  EXPECT_EQ(*ParseLimit("9223372036854771712\n"), std::nullopt);  // v1's "no limit"
  EXPECT_EQ(*ParseLimit("67108864\n"), std::optional<uint64_t>(67108864));
}

TEST(ParseTest, ProcStat) {
  Result<SystemCpu> cpu = ParseProcStat(
      "cpu  100 2 30 4000 5 0 6 0 0 0\n"
      "cpu0 50 1 15 2000 3 0 3 0 0 0\n"
      "cpu1 50 1 15 2000 2 0 3 0 0 0\n"
      "intr 1 2 3\nctxt 99\n");
  ASSERT_TRUE(cpu) << cpu.error().message();
  EXPECT_EQ(cpu->total_ns, 4143ULL * 10'000'000ULL);  // user..softirq, ticks of 10 ms
  EXPECT_EQ(cpu->online_cpus, 2u);
  EXPECT_FALSE(ParseProcStat("intr 1\n"));
  EXPECT_FALSE(ParseProcStat("cpu 1 2 3\n"));
}

// This machine's kind of hybrid layout: v1 controllers each on a mount, a unified mount offering
// only hugetlb; and a pure v2 one.
TEST(StatsDirsOfTest, HybridTakesV1AndV2TakesUnified) {
  Layout hybrid{
      .mode = Mode::kHybrid,
      .hierarchies = {
          {.mount_point = "/sys/fs/cgroup/cpu,cpuacct", .controllers = {"cpu", "cpuacct"}},
          {.mount_point = "/sys/fs/cgroup/memory",
           .controllers = {"memory"},
           .own_path = "/process_api/abc"},
          {.mount_point = "/sys/fs/cgroup/pids", .controllers = {"pids"}},
          {.mount_point = "/sys/fs/cgroup/blkio", .controllers = {"blkio"}},
          {.mount_point = "/sys/fs/cgroup/unified", .v2 = true, .controllers = {"hugetlb"}},
      }};
  Result<StatsDirs> dirs = StatsDirsOf(hybrid, "/berth/c1");
  ASSERT_TRUE(dirs) << dirs.error().message();
  EXPECT_EQ(dirs->memory.path, "/sys/fs/cgroup/memory/berth/c1");
  EXPECT_FALSE(dirs->memory.v2);
  EXPECT_EQ(dirs->cpu.path, "/sys/fs/cgroup/cpu,cpuacct/berth/c1");
  EXPECT_EQ(dirs->cpuacct.path, "/sys/fs/cgroup/cpu,cpuacct/berth/c1");
  EXPECT_EQ(dirs->pids.path, "/sys/fs/cgroup/pids/berth/c1");
  EXPECT_EQ(dirs->io.path, "/sys/fs/cgroup/blkio/berth/c1");

  // A relative path lies under this process's cgroup of each hierarchy.
  dirs = StatsDirsOf(hybrid, "parent/c1");
  ASSERT_TRUE(dirs) << dirs.error().message();
  EXPECT_EQ(dirs->memory.path, "/sys/fs/cgroup/memory/process_api/abc/parent/c1");
  EXPECT_EQ(dirs->pids.path, "/sys/fs/cgroup/pids/parent/c1");

  Layout v2{.mode = Mode::kV2,
            .hierarchies = {{.mount_point = "/sys/fs/cgroup",
                             .v2 = true,
                             .controllers = {"cpu", "io", "memory", "pids"},
                             .own_path = "/system.slice/berthd.service"}}};
  dirs = StatsDirsOf(v2, "/berth/c1");
  ASSERT_TRUE(dirs) << dirs.error().message();
  for (const ControllerDir* d : {&dirs->memory, &dirs->cpu, &dirs->pids, &dirs->io}) {
    EXPECT_EQ(d->path, "/sys/fs/cgroup/berth/c1");
    EXPECT_TRUE(d->v2);
  }
  EXPECT_TRUE(dirs->cpuacct.path.empty());

  EXPECT_FALSE(StatsDirsOf(v2, "/berth/../c1"));
}

}  // namespace
}  // namespace berth::runtime::cgroup
