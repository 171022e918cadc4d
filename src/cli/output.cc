#include "cli/output.h"
#include "cli/json_fields.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <filesystem>

#include "base/strings.h"
#include "base/unique_fd.h"
#include "cli/format.h"

namespace berth::cli {

namespace {

using json = nlohmann::ordered_json;

Status WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(ErrnoNow("write"));
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Ok();
}

double Number(const json& j, std::initializer_list<const char*> path) {
  const json* at = &j;
  for (const char* key : path) {
    if (!at->is_object() || !at->contains(key)) return 0;
    at = &(*at)[key];
  }
  return at->is_number() ? at->get<double>() : 0;
}

}  // namespace

Status CopyStream(client::ResponseStream& stream, int fd) {
  char data[64 << 10];
  while (true) {
    BERTH_ASSIGN_OR_RETURN(size_t n, stream.Read(data, sizeof(data)));
    if (n == 0) return Ok();
    BERTH_TRY(WriteAll(fd, data, n));
  }
}

Result<int> StreamToOutput(client::ResponseStream& stream, const std::string& output) {
  if (output.empty()) {
    BERTH_TRY(CopyStream(stream, STDOUT_FILENO));
    return 0;
  }
  std::filesystem::path target(output);
  std::string dir = target.parent_path().empty() ? "." : target.parent_path().string();
  std::string temp = dir + "/.berth_temp_XXXXXX";
  UniqueFd fd(mkostemp(temp.data(), O_CLOEXEC));
  if (!fd) return Fail(ErrnoNow("failed to create a temporary file in " + dir));
  Status copied = CopyStream(stream, fd.get());
  if (copied && fsync(fd.get()) != 0) copied = Fail(ErrnoNow("fsync " + temp));
  if (copied && fchmod(fd.get(), 0644) != 0) copied = Fail(ErrnoNow("chmod " + temp));
  if (copied && rename(temp.c_str(), output.c_str()) != 0)
    copied = Fail(ErrnoNow("rename " + output));
  if (!copied) {
    unlink(temp.c_str());
    return Fail(copied.error());
  }
  return 0;
}

std::string BytesSize(double size) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  size_t i = 0;
  while (size >= 1024 && i + 1 < std::size(kUnits)) {
    size /= 1024;
    ++i;
  }
  return fmt::format("{:.4g}{}", size, kUnits[i]);
}

json StatsRow(const json& s, const std::string& container, bool trunc) {
  const double cpu_delta = Number(s, {"cpu_stats", "cpu_usage", "total_usage"}) -
                           Number(s, {"precpu_stats", "cpu_usage", "total_usage"});
  const double system_delta = Number(s, {"cpu_stats", "system_cpu_usage"}) -
                              Number(s, {"precpu_stats", "system_cpu_usage"});
  double cpus = Number(s, {"cpu_stats", "online_cpus"});
  if (cpus == 0 && s.contains("cpu_stats") && s["cpu_stats"].contains("cpu_usage") &&
      s["cpu_stats"]["cpu_usage"].contains("percpu_usage") &&
      s["cpu_stats"]["cpu_usage"]["percpu_usage"].is_array()) {
    cpus = static_cast<double>(s["cpu_stats"]["cpu_usage"]["percpu_usage"].size());
  }
  const double cpu = system_delta > 0 && cpu_delta > 0 ? cpu_delta / system_delta * cpus * 100 : 0;
  double memory = Number(s, {"memory_stats", "usage"});
  // The page cache the kernel can drop is not the container's: cgroup v1 reports it as
  // total_inactive_file, v2 as inactive_file.
  double inactive = Number(s, {"memory_stats", "stats", "total_inactive_file"});
  if (inactive == 0) inactive = Number(s, {"memory_stats", "stats", "inactive_file"});
  if (inactive < memory) memory -= inactive;
  const double limit = Number(s, {"memory_stats", "limit"});
  double rx = 0, tx = 0;
  if (s.contains("networks") && s["networks"].is_object()) {
    for (const auto& item : s["networks"].items()) {
      rx += Number(item.value(), {"rx_bytes"});
      tx += Number(item.value(), {"tx_bytes"});
    }
  }
  double read = 0, written = 0;
  if (s.contains("blkio_stats") && s["blkio_stats"].contains("io_service_bytes_recursive") &&
      s["blkio_stats"]["io_service_bytes_recursive"].is_array()) {
    for (const json& entry : s["blkio_stats"]["io_service_bytes_recursive"]) {
      std::string op = StringAt(entry, "op");
      for (char& c : op) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (op == "read") read += Number(entry, {"value"});
      if (op == "write") written += Number(entry, {"value"});
    }
  }
  std::string name = StringAt(s, "name");
  if (!name.empty() && name[0] == '/') name.erase(0, 1);
  const std::string id = StringAt(s, "id", container);
  json row;
  row["BlockIO"] = HumanSize(static_cast<int64_t>(read), 3) + " / " +
                   HumanSize(static_cast<int64_t>(written), 3);
  row["CPUPerc"] = fmt::format("{:.2f}%", cpu);
  row["Container"] = container;
  row["ID"] = trunc ? TruncateId(id) : id;
  row["MemPerc"] = fmt::format("{:.2f}%", limit > 0 ? memory / limit * 100 : 0.0);
  row["MemUsage"] = BytesSize(memory) + " / " + BytesSize(limit);
  row["Name"] = name.empty() ? "--" : name;
  row["NetIO"] =
      HumanSize(static_cast<int64_t>(rx), 3) + " / " + HumanSize(static_cast<int64_t>(tx), 3);
  row["PIDs"] = fmt::format("{}", static_cast<int64_t>(Number(s, {"pids_stats", "current"})));
  return row;
}

}  // namespace berth::cli
