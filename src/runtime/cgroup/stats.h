// Resource usage of one container's cgroup, read from the controllers' interface files: memory,
// CPU time and throttling, pids, block I/O. The Parse* functions are pure (the text of one file);
// ReadStats reads the files of directories given as parameters, so tests use a temp dir. The
// vocabulary is the kernel's (Documentation/admin-guide/cgroup-v1/, cgroup-v2.rst); times are in
// nanoseconds, sizes in bytes. Plain values; no state is kept between reads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "runtime/cgroup/layout.h"

namespace berth::runtime::cgroup {

// One line of a block I/O statistic: device, operation ("Read", "Write", ... on v1; "read",
// "write" on v2) and value.
struct BlkioEntry {
  uint64_t major = 0;
  uint64_t minor = 0;
  std::string op;
  uint64_t value = 0;

  bool operator==(const BlkioEntry&) const = default;
};

struct CpuStats {
  uint64_t total_ns = 0;
  uint64_t kernel_ns = 0;
  uint64_t user_ns = 0;
  std::vector<uint64_t> percpu_ns;  // v1 only (cpuacct.usage_percpu)
  uint64_t periods = 0;             // CFS periods that have elapsed with a quota set
  uint64_t throttled_periods = 0;
  uint64_t throttled_ns = 0;
};

struct MemoryStats {
  uint64_t usage = 0;
  uint64_t max_usage = 0;  // v1 only (memory.max_usage_in_bytes)
  uint64_t failcnt = 0;    // v1: memory.failcnt; v2: the "oom" count of memory.events
  // The limit; nullopt when none is set ("max" on v2, the kernel's page-rounded huge value on
  // v1).
  std::optional<uint64_t> limit;
  std::map<std::string, uint64_t> stat;  // memory.stat as the kernel writes it
};

struct PidsStats {
  uint64_t current = 0;
  std::optional<uint64_t> limit;  // nullopt for "max"
};

struct Stats {
  std::optional<CpuStats> cpu;
  std::optional<MemoryStats> memory;
  std::optional<PidsStats> pids;
  // v1: blkio.throttle.io_service_bytes and io_serviced; v2: io.stat's rbytes/wbytes and
  // rios/wios as "read" and "write" entries.
  std::vector<BlkioEntry> io_service_bytes;
  std::vector<BlkioEntry> io_serviced;
};

// Where each controller's files of one cgroup are. A v1 directory serves the controllers its
// hierarchy mounts (cpu and cpuacct are often one directory); on v2 every controller names the
// same directory. An empty path: the controller is not available.
struct ControllerDir {
  std::string path;
  bool v2 = false;
};
struct StatsDirs {
  ControllerDir memory;
  ControllerDir cpu;      // v1: cpu.stat (throttling); v2: cpu.stat (usage and throttling)
  ControllerDir cpuacct;  // v1 only: the usage
  ControllerDir pids;
  ControllerDir io;  // v1: blkio; v2: io
};

// StatsDirsOf places cgroups_path (absolute, or relative to this process's cgroup, as
// ContainerDir resolves it) in the layout: on v2 the unified directory for all; on v1 each
// controller's hierarchy; on hybrid the v1 hierarchies, and the unified one for controllers that
// only it offers.
Result<StatsDirs> StatsDirsOf(const Layout& layout, std::string_view cgroups_path);

// ReadStats reads the statistics of the directories. A controller whose directory is empty is
// left out; a missing file of a named directory is an error (kNotFound when the cgroup is gone).
Result<Stats> ReadStats(const StatsDirs& dirs);

// ParseFlatKeyed reads "key value" lines (memory.stat, cpu.stat, cpuacct.stat, memory.events).
Result<std::map<std::string, uint64_t>> ParseFlatKeyed(std::string_view text);
// ParseBlkioV1 reads "major:minor Op value" lines; the closing "Total value" line is skipped.
Result<std::vector<BlkioEntry>> ParseBlkioV1(std::string_view text);
// ParseIoStatV2 reads io.stat ("major:minor rbytes=.. wbytes=.. rios=.. wios=.. ...") into
// service bytes and serviced operations, "read" and "write" per device.
Status ParseIoStatV2(std::string_view text, std::vector<BlkioEntry>* service_bytes,
                     std::vector<BlkioEntry>* serviced);
// ParseLimit reads a limit file: "max" is none; on v1 a value at or above kV1Unlimited (the
// kernel's PAGE_COUNTER_MAX in bytes rounded down to a page) is none as well.
Result<std::optional<uint64_t>> ParseLimit(std::string_view text);
inline constexpr uint64_t kV1Unlimited = 0x7FFFFFFFFFFFF000ULL;

// The whole machine's CPU time, as docker reports it next to a sample.
struct SystemCpu {
  uint64_t total_ns = 0;     // the first seven fields of /proc/stat's "cpu" line, in ns
  uint32_t online_cpus = 0;  // the "cpuN" lines
};
// ParseProcStat reads /proc/stat text; ReadSystemCpu the live file. The fields are in USER_HZ
// ticks, which Linux fixes at 100 per second for user space (times(2)).
Result<SystemCpu> ParseProcStat(std::string_view text);
Result<SystemCpu> ReadSystemCpu();

}  // namespace berth::runtime::cgroup
