#include "volume/volume.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>

#include "base/unique_fd.h"

namespace berth::volume {
namespace {

bool NameChar(char c, bool first) {
  const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  return alnum || (!first && (c == '_' || c == '.' || c == '-'));
}

}  // namespace

Status CheckName(std::string_view name) {
  const std::string what = fmt::format("create {}", std::string(name));
  if (name.size() == 1) {
    return Fail(ErrorKind::kInvalidArgument,
                what +
                    ": volume name is too short, names should be at least two alphanumeric "
                    "characters");
  }
  bool ok = !name.empty();
  for (size_t i = 0; ok && i < name.size(); ++i) ok = NameChar(name[i], i == 0);
  if (!ok) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("{}: \"{}\" includes invalid characters for a local volume name, only "
                            "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a "
                            "host directory, use absolute path",
                            what, std::string(name)));
  }
  return Ok();
}

std::string NewAnonymousName() {
  unsigned char bytes[32] = {};
  UniqueFd fd(open("/dev/urandom", O_RDONLY | O_CLOEXEC));
  if (!fd || read(fd.get(), bytes, sizeof(bytes)) != static_cast<ssize_t>(sizeof(bytes))) {
    // No /dev/urandom: the clock still names each volume apart.
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    for (size_t i = 0; i < sizeof(bytes); ++i) bytes[i] = static_cast<unsigned char>(now >> i);
  }
  std::string hex;
  for (unsigned char b : bytes) hex += fmt::format("{:02x}", b);
  return hex;
}

Result<std::optional<FilesystemMount>> ParseOptions(
    const std::map<std::string, std::string>& opts) {
  for (const auto& [key, value] : opts) {
    if (key != "type" && key != "device" && key != "o") {
      return Fail(ErrorKind::kInvalidArgument, fmt::format("invalid option: \"{}\"", key));
    }
  }
  auto get = [&](const char* key) {
    auto it = opts.find(key);
    return it == opts.end() ? std::string() : it->second;
  };
  FilesystemMount mount{.type = get("type"), .device = get("device"), .options = get("o")};
  if (mount.type.empty() && mount.device.empty()) {
    if (!mount.options.empty()) {
      return Fail(ErrorKind::kInvalidArgument, "missing required option: \"type\"");
    }
    return std::nullopt;
  }
  if (mount.type.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "missing required option: \"type\"");
  }
  if (mount.device.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "missing required option: \"device\"");
  }
  return mount;
}

std::string EncodeVolume(const Volume& volume) {
  nlohmann::ordered_json json = {{"Name", volume.name},
                                 {"Driver", volume.driver},
                                 {"CreatedAt", volume.created_at},
                                 {"Labels", volume.labels},
                                 {"Options", volume.options}};
  return json.dump() + "\n";
}

Result<Volume> DecodeVolume(std::string_view text) {
  try {
    const nlohmann::json json = nlohmann::json::parse(text);
    Volume volume;
    volume.name = json.at("Name").get<std::string>();
    volume.driver = json.value("Driver", std::string(kLocalDriver));
    volume.created_at = json.value("CreatedAt", std::string());
    volume.labels = json.value("Labels", std::map<std::string, std::string>{});
    volume.options = json.value("Options", std::map<std::string, std::string>{});
    BERTH_TRY(CheckName(volume.name));
    return volume;
  } catch (const nlohmann::json::exception& e) {
    return Fail(ErrorKind::kDataLoss, std::string("decode volume record: ") + e.what());
  }
}

}  // namespace berth::volume
