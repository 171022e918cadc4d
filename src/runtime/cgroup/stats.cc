#include "runtime/cgroup/stats.h"

#include <fmt/format.h>

#include "base/file.h"
#include "base/strings.h"

namespace berth::runtime::cgroup {
namespace {

// USER_HZ: the unit of cpuacct.stat and /proc/stat, 100 on every Linux architecture.
constexpr uint64_t kTicksPerSecond = 100;
constexpr uint64_t kNsPerTick = 1'000'000'000 / kTicksPerSecond;

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!TrimSpace(line).empty()) lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

Error BadLine(std::string_view what, std::string_view line) {
  return Error(ErrorKind::kInvalidArgument, fmt::format("parse {}: bad line \"{}\"", what, line));
}

Result<uint64_t> Number(std::string_view what, std::string_view line, std::string_view value) {
  Result<uint64_t> n = ParseUint64(value);
  if (!n) return Fail(BadLine(what, line));
  return *n;
}

// "8:16" into major and minor.
Result<std::pair<uint64_t, uint64_t>> Device(std::string_view what, std::string_view line,
                                             std::string_view device) {
  size_t colon = device.find(':');
  if (colon == std::string_view::npos) return Fail(BadLine(what, line));
  BERTH_ASSIGN_OR_RETURN(uint64_t major, Number(what, line, device.substr(0, colon)));
  BERTH_ASSIGN_OR_RETURN(uint64_t minor, Number(what, line, device.substr(colon + 1)));
  return std::pair{major, minor};
}

Result<std::string> ReadIn(const ControllerDir& dir, std::string_view file) {
  return ReadFile(dir.path + "/" + std::string(file));
}

Result<uint64_t> ReadNumber(const ControllerDir& dir, std::string_view file) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadIn(dir, file));
  std::string_view value = TrimSpace(text);
  Result<uint64_t> n = ParseUint64(value);
  if (!n) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("parse {}/{}: not a number: \"{}\"", dir.path, file, value));
  }
  return *n;
}

Result<std::optional<uint64_t>> ReadLimit(const ControllerDir& dir, std::string_view file) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadIn(dir, file));
  return Annotate(ParseLimit(text), fmt::format("parse {}/{}", dir.path, file));
}

Result<std::map<std::string, uint64_t>> ReadFlatKeyed(const ControllerDir& dir,
                                                      std::string_view file) {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadIn(dir, file));
  return Annotate(ParseFlatKeyed(text), fmt::format("{}/{}", dir.path, file));
}

uint64_t Get(const std::map<std::string, uint64_t>& values, const std::string& key) {
  auto it = values.find(key);
  return it == values.end() ? 0 : it->second;
}

Result<MemoryStats> ReadMemory(const ControllerDir& dir) {
  MemoryStats m;
  BERTH_ASSIGN_OR_RETURN(m.stat, ReadFlatKeyed(dir, "memory.stat"));
  if (dir.v2) {
    BERTH_ASSIGN_OR_RETURN(m.usage, ReadNumber(dir, "memory.current"));
    BERTH_ASSIGN_OR_RETURN(m.limit, ReadLimit(dir, "memory.max"));
    BERTH_ASSIGN_OR_RETURN(auto events, ReadFlatKeyed(dir, "memory.events"));
    m.failcnt = Get(events, "oom");
    return m;
  }
  BERTH_ASSIGN_OR_RETURN(m.usage, ReadNumber(dir, "memory.usage_in_bytes"));
  BERTH_ASSIGN_OR_RETURN(m.max_usage, ReadNumber(dir, "memory.max_usage_in_bytes"));
  BERTH_ASSIGN_OR_RETURN(m.failcnt, ReadNumber(dir, "memory.failcnt"));
  BERTH_ASSIGN_OR_RETURN(m.limit, ReadLimit(dir, "memory.limit_in_bytes"));
  return m;
}

// v1: the usage from cpuacct, the throttling from the cpu hierarchy's cpu.stat; v2: cpu.stat
// has both, in microseconds.
Result<CpuStats> ReadCpu(const ControllerDir& cpu, const ControllerDir& cpuacct) {
  CpuStats c;
  if (!cpu.path.empty()) {
    BERTH_ASSIGN_OR_RETURN(auto stat, ReadFlatKeyed(cpu, "cpu.stat"));
    c.periods = Get(stat, "nr_periods");
    c.throttled_periods = Get(stat, "nr_throttled");
    if (cpu.v2) {
      c.throttled_ns = Get(stat, "throttled_usec") * 1000;
      c.total_ns = Get(stat, "usage_usec") * 1000;
      c.user_ns = Get(stat, "user_usec") * 1000;
      c.kernel_ns = Get(stat, "system_usec") * 1000;
      return c;
    }
    c.throttled_ns = Get(stat, "throttled_time");
  }
  if (cpuacct.path.empty()) return c;
  BERTH_ASSIGN_OR_RETURN(c.total_ns, ReadNumber(cpuacct, "cpuacct.usage"));
  BERTH_ASSIGN_OR_RETURN(std::string percpu, ReadIn(cpuacct, "cpuacct.usage_percpu"));
  for (std::string_view field : Fields(TrimSpace(percpu))) {
    BERTH_ASSIGN_OR_RETURN(uint64_t ns, Number("cpuacct.usage_percpu", percpu, field));
    c.percpu_ns.push_back(ns);
  }
  BERTH_ASSIGN_OR_RETURN(auto ticks, ReadFlatKeyed(cpuacct, "cpuacct.stat"));
  c.user_ns = Get(ticks, "user") * kNsPerTick;
  c.kernel_ns = Get(ticks, "system") * kNsPerTick;
  return c;
}

Status ReadIo(const ControllerDir& dir, Stats* stats) {
  if (dir.v2) {
    BERTH_ASSIGN_OR_RETURN(std::string text, ReadIn(dir, "io.stat"));
    return Annotate(ParseIoStatV2(text, &stats->io_service_bytes, &stats->io_serviced),
                    dir.path + "/io.stat");
  }
  // The throttle files count every I/O whatever the scheduler (containerd reads them when the
  // CFQ files are absent, as they are since CFQ left the kernel).
  BERTH_ASSIGN_OR_RETURN(std::string bytes, ReadIn(dir, "blkio.throttle.io_service_bytes"));
  BERTH_ASSIGN_OR_RETURN(
      stats->io_service_bytes,
      Annotate(ParseBlkioV1(bytes), dir.path + "/blkio.throttle.io_service_bytes"));
  BERTH_ASSIGN_OR_RETURN(std::string ops, ReadIn(dir, "blkio.throttle.io_serviced"));
  BERTH_ASSIGN_OR_RETURN(stats->io_serviced,
                         Annotate(ParseBlkioV1(ops), dir.path + "/blkio.throttle.io_serviced"));
  return Ok();
}

}  // namespace

Result<std::map<std::string, uint64_t>> ParseFlatKeyed(std::string_view text) {
  std::map<std::string, uint64_t> values;
  for (std::string_view line : Lines(text)) {
    std::vector<std::string_view> f = Fields(line);
    if (f.size() != 2) return Fail(BadLine("flat keyed file", line));
    BERTH_ASSIGN_OR_RETURN(values[std::string(f[0])], Number("flat keyed file", line, f[1]));
  }
  return values;
}

Result<std::vector<BlkioEntry>> ParseBlkioV1(std::string_view text) {
  std::vector<BlkioEntry> entries;
  for (std::string_view line : Lines(text)) {
    std::vector<std::string_view> f = Fields(line);
    if (f.size() == 2 && f[0] == "Total") continue;
    if (f.size() != 3) return Fail(BadLine("blkio statistic", line));
    BERTH_ASSIGN_OR_RETURN(auto device, Device("blkio statistic", line, f[0]));
    BERTH_ASSIGN_OR_RETURN(uint64_t value, Number("blkio statistic", line, f[2]));
    entries.push_back({device.first, device.second, std::string(f[1]), value});
  }
  return entries;
}

Status ParseIoStatV2(std::string_view text, std::vector<BlkioEntry>* service_bytes,
                     std::vector<BlkioEntry>* serviced) {
  for (std::string_view line : Lines(text)) {
    std::vector<std::string_view> f = Fields(line);
    if (f.empty()) continue;
    BERTH_ASSIGN_OR_RETURN(auto device, Device("io.stat", line, f[0]));
    std::map<std::string_view, uint64_t> values;
    for (size_t i = 1; i < f.size(); ++i) {
      size_t eq = f[i].find('=');
      if (eq == std::string_view::npos) return Fail(BadLine("io.stat", line));
      BERTH_ASSIGN_OR_RETURN(values[f[i].substr(0, eq)],
                             Number("io.stat", line, f[i].substr(eq + 1)));
    }
    auto add = [&](std::vector<BlkioEntry>* out, std::string_view read, std::string_view write) {
      out->push_back({device.first, device.second, "read", values[read]});
      out->push_back({device.first, device.second, "write", values[write]});
    };
    add(service_bytes, "rbytes", "wbytes");
    add(serviced, "rios", "wios");
  }
  return Ok();
}

Result<std::optional<uint64_t>> ParseLimit(std::string_view text) {
  std::string_view value = TrimSpace(text);
  if (value == "max") return std::optional<uint64_t>();
  Result<uint64_t> n = ParseUint64(value);
  if (!n) {
    return Fail(ErrorKind::kInvalidArgument, fmt::format("not a limit: \"{}\"", value));
  }
  if (*n >= kV1Unlimited) return std::optional<uint64_t>();
  return std::optional<uint64_t>(*n);
}

Result<StatsDirs> StatsDirsOf(const Layout& layout, std::string_view cgroups_path) {
  StatsDirs dirs;
  // The v1 hierarchy mounting controller, else the unified one when it offers v2_name (on a
  // pure v2 host always: cpu.stat and the like exist without the controller enabled).
  auto place = [&](ControllerDir* out, std::string_view controller,
                   std::string_view v2_name) -> Status {
    const Hierarchy* found = nullptr;
    for (const Hierarchy& h : layout.hierarchies) {
      if (!found && !h.v2 && h.Has(controller)) found = &h;
    }
    for (const Hierarchy& h : layout.hierarchies) {
      if (!found && h.v2 && (layout.mode == Mode::kV2 || h.Has(v2_name))) found = &h;
    }
    if (!found) return Ok();
    BERTH_ASSIGN_OR_RETURN(out->path, ContainerDir(*found, cgroups_path));
    out->v2 = found->v2;
    return Ok();
  };
  BERTH_TRY(place(&dirs.memory, "memory", "memory"));
  BERTH_TRY(place(&dirs.cpu, "cpu", "cpu"));
  // v2 has no cpuacct: its cpu.stat carries the usage.
  if (!dirs.cpu.v2) {
    BERTH_TRY(place(&dirs.cpuacct, "cpuacct", "cpu"));
  }
  if (dirs.cpuacct.v2) dirs.cpuacct = {};
  BERTH_TRY(place(&dirs.pids, "pids", "pids"));
  BERTH_TRY(place(&dirs.io, "blkio", "io"));
  return dirs;
}

Result<Stats> ReadStats(const StatsDirs& dirs) {
  Stats stats;
  if (!dirs.memory.path.empty()) {
    BERTH_ASSIGN_OR_RETURN(stats.memory, ReadMemory(dirs.memory));
  }
  if (!dirs.cpu.path.empty() || !dirs.cpuacct.path.empty()) {
    BERTH_ASSIGN_OR_RETURN(stats.cpu, ReadCpu(dirs.cpu, dirs.cpuacct));
  }
  if (!dirs.pids.path.empty()) {
    PidsStats pids;
    BERTH_ASSIGN_OR_RETURN(pids.current, ReadNumber(dirs.pids, "pids.current"));
    BERTH_ASSIGN_OR_RETURN(pids.limit, ReadLimit(dirs.pids, "pids.max"));
    stats.pids = pids;
  }
  if (!dirs.io.path.empty()) {
    BERTH_TRY(ReadIo(dirs.io, &stats));
  }
  return stats;
}

Result<SystemCpu> ParseProcStat(std::string_view text) {
  SystemCpu cpu;
  bool total_seen = false;
  for (std::string_view line : Lines(text)) {
    std::vector<std::string_view> f = Fields(line);
    if (f.empty() || !f[0].starts_with("cpu")) continue;
    if (f[0] == "cpu") {
      if (f.size() < 8) return Fail(BadLine("/proc/stat", line));
      uint64_t ticks = 0;
      for (size_t i = 1; i < 8; ++i) {
        BERTH_ASSIGN_OR_RETURN(uint64_t n, Number("/proc/stat", line, f[i]));
        ticks += n;
      }
      cpu.total_ns = ticks * kNsPerTick;
      total_seen = true;
    } else {
      ++cpu.online_cpus;
    }
  }
  if (!total_seen) {
    return Fail(ErrorKind::kInvalidArgument, "parse /proc/stat: no \"cpu\" line");
  }
  return cpu;
}

Result<SystemCpu> ReadSystemCpu() {
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile("/proc/stat"));
  return ParseProcStat(text);
}

}  // namespace berth::runtime::cgroup
