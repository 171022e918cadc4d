#include "runtime/cgroup/plan.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "runtime/cgroup/device_filter.h"

namespace berth::runtime::cgroup {
namespace {

using Writes = std::vector<FileWrite>;

Error Invalid(std::string_view field, std::string_view why) {
  return Error(ErrorKind::kInvalidArgument,
               fmt::format("check linux.resources.{}: {}", field, why));
}

void Add(Writes& out, std::string_view controller, std::string file, std::string value) {
  out.push_back(FileWrite{
      .controller = std::string(controller), .file = std::move(file), .value = std::move(value)});
}

void AddOptional(Writes& out, std::string_view controller, std::string file, std::string value) {
  Add(out, controller, std::move(file), std::move(value));
  out.back().optional = true;
}

std::string Max(int64_t value) { return value < 0 ? "max" : std::to_string(value); }

Status CheckMemory(const oci::MemoryResources& m) {
  for (auto [name, value] : {std::pair{"limit", m.limit},
                             {"reservation", m.reservation},
                             {"swap", m.swap},
                             {"kernel", m.kernel},
                             {"kernelTCP", m.kernel_tcp}}) {
    if (value && *value < -1) return Fail(Invalid(fmt::format("memory.{}", name), "below -1"));
  }
  int64_t limit = m.limit.value_or(0);
  int64_t swap = m.swap.value_or(0);
  if (swap > 0 && limit > 0 && swap < limit) {
    return Fail(Invalid("memory.swap", fmt::format("{} is below memory.limit {} (swap counts "
                                                   "memory plus swap)",
                                                   swap, limit)));
  }
  if (m.swappiness && *m.swappiness > 100) {
    return Fail(Invalid("memory.swappiness", fmt::format("{} is above 100", *m.swappiness)));
  }
  return Ok();
}

// The v1 memory+swap limit: the spec's swap value, or -1 when only the limit is lifted (-1).
std::optional<int64_t> MemswV1(const oci::MemoryResources& m) {
  int64_t swap = m.swap.value_or(0);
  if (swap != 0) return swap;
  if (m.limit.value_or(0) == -1) return -1;
  return std::nullopt;
}

Status PlanMemoryV1(const oci::MemoryResources& m, Writes& out) {
  BERTH_TRY(CheckMemory(m));
  // v1 spells "no limit" -1; it does not read "max".
  if (m.limit.value_or(0) != 0) {
    Add(out, "memory", "memory.limit_in_bytes", std::to_string(*m.limit));
  }
  if (std::optional<int64_t> memsw = MemswV1(m)) {
    Add(out, "memory", "memory.memsw.limit_in_bytes", std::to_string(*memsw));
    // Without swap accounting there is no file; that is fine only when no swap limit is asked for.
    out.back().optional = *memsw == -1 || *memsw == m.limit.value_or(0);
  }
  if (m.reservation.value_or(0) != 0) {
    Add(out, "memory", "memory.soft_limit_in_bytes", std::to_string(*m.reservation));
  }
  // Kernel memory limits are deprecated: recent kernels accept and ignore them, or lack the file.
  if (m.kernel.value_or(0) != 0) {
    AddOptional(out, "memory", "memory.kmem.limit_in_bytes", std::to_string(*m.kernel));
  }
  if (m.kernel_tcp.value_or(0) != 0) {
    Add(out, "memory", "memory.kmem.tcp.limit_in_bytes", std::to_string(*m.kernel_tcp));
  }
  if (m.swappiness) Add(out, "memory", "memory.swappiness", std::to_string(*m.swappiness));
  if (m.disable_oom_killer) {
    Add(out, "memory", "memory.oom_control", *m.disable_oom_killer ? "1" : "0");
  }
  if (m.use_hierarchy) {
    AddOptional(out, "memory", "memory.use_hierarchy", *m.use_hierarchy ? "1" : "0");
  }
  return Ok();
}

void PlanCpusetV1(const oci::CpuResources& c, Writes& out) {
  if (!c.cpus.empty()) Add(out, "cpuset", "cpuset.cpus", c.cpus);
  if (!c.mems.empty()) Add(out, "cpuset", "cpuset.mems", c.mems);
}

void PlanCpuV1(const oci::CpuResources& c, Writes& out) {
  if (c.shares.value_or(0) != 0) Add(out, "cpu", "cpu.shares", std::to_string(*c.shares));
  if (c.period.value_or(0) != 0) Add(out, "cpu", "cpu.cfs_period_us", std::to_string(*c.period));
  if (c.quota.value_or(0) != 0) Add(out, "cpu", "cpu.cfs_quota_us", std::to_string(*c.quota));
  if (c.burst) Add(out, "cpu", "cpu.cfs_burst_us", std::to_string(*c.burst));
  // The runtime may not exceed the period, so the period goes first.
  if (c.realtime_period.value_or(0) != 0) {
    Add(out, "cpu", "cpu.rt_period_us", std::to_string(*c.realtime_period));
  }
  if (c.realtime_runtime.value_or(0) != 0) {
    Add(out, "cpu", "cpu.rt_runtime_us", std::to_string(*c.realtime_runtime));
  }
  if (c.idle) {
    Add(out, "cpu", "cpu.idle", std::to_string(*c.idle));
    out.back().optional = *c.idle == 0;  // cpu.idle exists since 5.15; 0 is the default
  }
  PlanCpusetV1(c, out);
}

std::string DeviceNumber(int64_t major, int64_t minor) {
  return fmt::format("{}:{}", major, minor);
}

Status CheckDeviceNumber(std::string_view field, int64_t major, int64_t minor) {
  if (major < 0 || minor < 0) return Fail(Invalid(field, "negative device number"));
  return Ok();
}

Status PlanThrottles(const oci::BlockIoResources& b, bool v2, Writes& out) {
  const std::pair<const std::vector<oci::ThrottleDevice>*, const char*> lists[] = {
      {&b.throttle_read_bps_device, "read_bps_device"},
      {&b.throttle_write_bps_device, "write_bps_device"},
      {&b.throttle_read_iops_device, "read_iops_device"},
      {&b.throttle_write_iops_device, "write_iops_device"}};
  const char* v2_keys[] = {"rbps", "wbps", "riops", "wiops"};
  for (size_t i = 0; i < std::size(lists); ++i) {
    for (const oci::ThrottleDevice& t : *lists[i].first) {
      BERTH_TRY(
          CheckDeviceNumber(fmt::format("blockIO.throttle.{}", lists[i].second), t.major, t.minor));
      std::string dev = DeviceNumber(t.major, t.minor);
      if (v2) {
        // v1 reads a zero rate as "no limit"; v2 spells that "max".
        std::string rate = t.rate == 0 ? "max" : std::to_string(t.rate);
        Add(out, "", "io.max", fmt::format("{} {}={}", dev, v2_keys[i], rate));
      } else {
        Add(out, "blkio", fmt::format("blkio.throttle.{}", lists[i].second),
            fmt::format("{} {}", dev, t.rate));
      }
    }
  }
  return Ok();
}

Status PlanBlkioV1(const oci::BlockIoResources& b, Writes& out) {
  if (b.weight.value_or(0) != 0) {
    Add(out, "blkio", "blkio.weight", std::to_string(*b.weight));
    out.back().fallback = "blkio.bfq.weight";  // CFQ is gone; BFQ offers the same range
  }
  if (b.leaf_weight.value_or(0) != 0) {
    Add(out, "blkio", "blkio.leaf_weight", std::to_string(*b.leaf_weight));
  }
  for (const oci::WeightDevice& d : b.weight_device) {
    BERTH_TRY(CheckDeviceNumber("blockIO.weightDevice", d.major, d.minor));
    std::string dev = DeviceNumber(d.major, d.minor);
    if (d.weight) {
      Add(out, "blkio", "blkio.weight_device", fmt::format("{} {}", dev, *d.weight));
      out.back().fallback = "blkio.bfq.weight_device";
    }
    if (d.leaf_weight) {
      Add(out, "blkio", "blkio.leaf_weight_device", fmt::format("{} {}", dev, *d.leaf_weight));
    }
  }
  return PlanThrottles(b, false, out);
}

Status CheckPageSize(std::string_view size) {
  size_t digits = 0;
  while (digits < size.size() && size[digits] >= '0' && size[digits] <= '9') ++digits;
  std::string_view unit = size.substr(digits);
  if (digits == 0 || (unit != "KB" && unit != "MB" && unit != "GB")) {
    return Fail(Invalid("hugepageLimits.pageSize",
                        fmt::format("\"{}\" is not a size like 2MB or 1GB", size)));
  }
  return Ok();
}

Status PlanHugetlb(const std::vector<oci::HugepageLimit>& limits, bool v2, Writes& out) {
  for (const oci::HugepageLimit& h : limits) {
    BERTH_TRY(CheckPageSize(h.page_size));
    std::string prefix = "hugetlb." + h.page_size;
    std::string limit = std::to_string(h.limit);
    const char* controller = v2 ? "" : "hugetlb";
    Add(out, controller, prefix + (v2 ? ".max" : ".limit_in_bytes"), limit);
    // Reservations are accounted separately since 5.7; limit them alike where the kernel can.
    AddOptional(out, controller, prefix + (v2 ? ".rsvd.max" : ".rsvd.limit_in_bytes"), limit);
  }
  return Ok();
}

bool IsPlainName(std::string_view name) {
  return !name.empty() && name.find_first_of(" \t\n/") == std::string_view::npos;
}

Status PlanNetworkV1(const oci::NetworkResources& n, Writes& out) {
  if (n.class_id) Add(out, "net_cls", "net_cls.classid", std::to_string(*n.class_id));
  for (const oci::NetworkPriority& p : n.priorities) {
    if (!IsPlainName(p.name)) {
      return Fail(Invalid("network.priorities", fmt::format("bad interface \"{}\"", p.name)));
    }
    Add(out, "net_prio", "net_prio.ifpriomap", fmt::format("{} {}", p.name, p.priority));
  }
  return Ok();
}

Status PlanRdma(const std::map<std::string, oci::RdmaLimit>& rdma, bool v2, Writes& out) {
  for (const auto& [device, limit] : rdma) {
    if (!IsPlainName(device)) {
      return Fail(Invalid("rdma", fmt::format("bad device \"{}\"", device)));
    }
    auto text = [](const std::optional<uint32_t>& v) {
      return v ? std::to_string(*v) : std::string("max");
    };
    Add(out, v2 ? "" : "rdma", "rdma.max",
        fmt::format("{} hca_handle={} hca_object={}", device, text(limit.hca_handles),
                    text(limit.hca_objects)));
  }
  return Ok();
}

// The lines of one rule for devices.allow/devices.deny. v1 reads a line starting with "a" as "all
// devices" whatever follows, so a rule for all types that names a device or only some accesses
// is written once for char and once for block devices.
std::vector<std::string> V1DeviceLines(const DeviceRule& rule) {
  if (rule.All()) return {"a"};
  std::string access;
  if (rule.access & kAccessRead) access += 'r';
  if (rule.access & kAccessWrite) access += 'w';
  if (rule.access & kAccessMknod) access += 'm';
  auto number = [](int64_t n) { return n < 0 ? std::string("*") : std::to_string(n); };
  std::string dev = number(rule.major) + ":" + number(rule.minor);
  std::vector<std::string> lines;
  for (char type : rule.type == 'a' ? std::string("cb") : std::string(1, rule.type)) {
    lines.push_back(fmt::format("{} {} {}", type, dev, access));
  }
  return lines;
}

Status PlanDevicesV1(const std::vector<oci::DeviceCgroupRule>& spec_rules, Writes& out) {
  BERTH_ASSIGN_OR_RETURN(std::vector<DeviceRule> rules, NormalizeDeviceRules(spec_rules));
  for (const DeviceRule& rule : rules) {
    for (std::string& line : V1DeviceLines(rule)) {
      Add(out, "devices", rule.allow ? "devices.allow" : "devices.deny", std::move(line));
    }
  }
  return Ok();
}

Status CheckUnifiedKey(std::string_view key) {
  if (key.empty() || key.find('/') != std::string_view::npos ||
      key.find("..") != std::string_view::npos) {
    return Fail(Invalid("unified", fmt::format("\"{}\" is not a cgroup file name", key)));
  }
  return Ok();
}

Status PlanMemoryV2(const oci::MemoryResources& m, Writes& out) {
  BERTH_TRY(CheckMemory(m));
  int64_t limit = m.limit.value_or(0);
  int64_t swap = m.swap.value_or(0);
  if (limit != 0) Add(out, "", "memory.max", Max(limit));
  if (m.reservation.value_or(0) != 0) Add(out, "", "memory.low", Max(*m.reservation));
  // v1's swap limit counts memory plus swap; v2's memory.swap.max counts swap alone.
  if (swap == -1 || (swap == 0 && limit == -1)) {
    Add(out, "", "memory.swap.max", "max");
  } else if (swap > 0) {
    if (limit <= 0) return Fail(Invalid("memory.swap", "a swap limit needs memory.limit"));
    Add(out, "", "memory.swap.max", std::to_string(swap - limit));
  }
  return Ok();
}

Status PlanCpuV2(const oci::CpuResources& c, Writes& out) {
  if (c.realtime_period.value_or(0) != 0 || c.realtime_runtime.value_or(0) != 0) {
    return Fail(Invalid("cpu.realtimeRuntime", "cgroup v2 has no realtime scheduling limits"));
  }
  if (c.shares.value_or(0) != 0) {
    Add(out, "", "cpu.weight", std::to_string(CpuWeightFromShares(*c.shares)));
  }
  int64_t quota = c.quota.value_or(0);
  uint64_t period = c.period.value_or(0);
  if (quota != 0 || period != 0) {
    std::string max = quota > 0 ? std::to_string(quota) : "max";
    if (period != 0) max += " " + std::to_string(period);
    Add(out, "", "cpu.max", max);
  }
  if (c.burst) Add(out, "", "cpu.max.burst", std::to_string(*c.burst));
  if (c.idle) {
    Add(out, "", "cpu.idle", std::to_string(*c.idle));
    out.back().optional = *c.idle == 0;
  }
  if (!c.cpus.empty()) Add(out, "", "cpuset.cpus", c.cpus);
  if (!c.mems.empty()) Add(out, "", "cpuset.mems", c.mems);
  return Ok();
}

Status PlanIoV2(const oci::BlockIoResources& b, Writes& out) {
  auto weight = [](uint64_t w) -> Result<std::string> {
    if (w < 10 || w > 1000) return Fail(Invalid("blockIO.weight", "outside 10..1000"));
    return std::to_string(IoWeightFromBlkioWeight(w));
  };
  if (b.weight.value_or(0) != 0) {
    BERTH_ASSIGN_OR_RETURN(std::string w, weight(*b.weight));
    Add(out, "", "io.weight", w);
  }
  for (const oci::WeightDevice& d : b.weight_device) {
    BERTH_TRY(CheckDeviceNumber("blockIO.weightDevice", d.major, d.minor));
    if (!d.weight) continue;
    BERTH_ASSIGN_OR_RETURN(std::string w, weight(*d.weight));
    Add(out, "", "io.weight", fmt::format("{} {}", DeviceNumber(d.major, d.minor), w));
  }
  return PlanThrottles(b, true, out);
}

// The resources one v1 controller is responsible for.
oci::Resources OnlyController(const oci::Resources& r, std::string_view controller) {
  oci::Resources out;
  if (controller == "memory") out.memory = r.memory;
  if (controller == "cpu" && r.cpu) {
    out.cpu = r.cpu;
    out.cpu->cpus.clear();
    out.cpu->mems.clear();
  }
  if (controller == "cpuset" && r.cpu) {
    out.cpu = oci::CpuResources{.cpus = r.cpu->cpus, .mems = r.cpu->mems};
  }
  if (controller == "pids") out.pids = r.pids;
  if (controller == "blkio") out.block_io = r.block_io;
  if (controller == "hugetlb") out.hugepage_limits = r.hugepage_limits;
  if (controller == "rdma") out.rdma = r.rdma;
  return out;
}

bool Contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

uint64_t CpuWeightFromShares(uint64_t shares) {
  shares = std::clamp<uint64_t>(shares, 2, 262144);
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t IoWeightFromBlkioWeight(uint64_t weight) {
  weight = std::clamp<uint64_t>(weight, 10, 1000);
  return 1 + ((weight - 10) * 9999) / 990;
}

std::string_view V2ControllerFor(std::string_view v1_controller) {
  return v1_controller == "blkio" ? "io" : v1_controller;
}

Result<std::vector<FileWrite>> PlanV1(const oci::Resources& r) {
  if (!r.unified.empty()) {
    return Fail(Invalid("unified", "needs cgroup v2, and this host has only cgroup v1"));
  }
  Writes out;
  if (r.memory) BERTH_TRY(PlanMemoryV1(*r.memory, out));
  if (r.cpu) PlanCpuV1(*r.cpu, out);
  if (r.pids) Add(out, "pids", "pids.max", Max(r.pids->limit <= 0 ? -1 : r.pids->limit));
  if (r.block_io) BERTH_TRY(PlanBlkioV1(*r.block_io, out));
  BERTH_TRY(PlanHugetlb(r.hugepage_limits, false, out));
  if (r.network) BERTH_TRY(PlanNetworkV1(*r.network, out));
  BERTH_TRY(PlanRdma(r.rdma, false, out));
  BERTH_TRY(PlanDevicesV1(r.devices, out));
  return out;
}

Result<std::vector<FileWrite>> PlanV2(const oci::Resources& r) {
  if (r.network && (r.network->class_id || !r.network->priorities.empty())) {
    return Fail(Invalid("network", "cgroup v2 has no net_cls or net_prio controller"));
  }
  Writes out;
  if (r.memory) BERTH_TRY(PlanMemoryV2(*r.memory, out));
  if (r.cpu) BERTH_TRY(PlanCpuV2(*r.cpu, out));
  if (r.pids) Add(out, "", "pids.max", Max(r.pids->limit <= 0 ? -1 : r.pids->limit));
  if (r.block_io) BERTH_TRY(PlanIoV2(*r.block_io, out));
  BERTH_TRY(PlanHugetlb(r.hugepage_limits, true, out));
  BERTH_TRY(PlanRdma(r.rdma, true, out));
  for (const auto& [key, value] : r.unified) {
    BERTH_TRY(CheckUnifiedKey(key));
    Add(out, "", key, value);
  }
  return out;
}

Result<HybridPlan> PlanHybrid(const oci::Resources& resources,
                              const std::vector<std::string>& v1_controllers,
                              const std::vector<std::string>& v2_controllers) {
  oci::Resources without_unified = resources;
  without_unified.unified.clear();
  BERTH_ASSIGN_OR_RETURN(Writes v1, PlanV1(without_unified));
  HybridPlan plan;
  std::vector<std::string> elsewhere;  // controllers without a v1 hierarchy, in plan order
  for (const FileWrite& w : v1) {
    if (Contains(v1_controllers, w.controller)) {
      plan.v1.push_back(w);
    } else if (!Contains(elsewhere, w.controller)) {
      elsewhere.push_back(w.controller);
    }
  }
  for (const std::string& controller : elsewhere) {
    if (!Contains(v2_controllers, V2ControllerFor(controller))) {
      bool needed = std::any_of(v1.begin(), v1.end(), [&](const FileWrite& w) {
        return w.controller == controller && !w.optional;
      });
      if (!needed) continue;
      return Fail(ErrorKind::kFailedPrecondition,
                  fmt::format("apply linux.resources: the {} controller is neither mounted as "
                              "cgroup v1 nor enabled in the unified hierarchy",
                              controller));
    }
    BERTH_ASSIGN_OR_RETURN(Writes v2, PlanV2(OnlyController(resources, controller)));
    plan.v2.insert(plan.v2.end(), v2.begin(), v2.end());
  }
  for (const auto& [key, value] : resources.unified) {
    BERTH_TRY(CheckUnifiedKey(key));
    Add(plan.v2, "", key, value);
  }
  return plan;
}

}  // namespace berth::runtime::cgroup
