#include "daemon/container/names.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <random>

#include "base/digest.h"
#include "base/unique_fd.h"

namespace berth::daemon::container {
namespace {

constexpr std::array<std::string_view, 48> kAdjectives = {
    "amber",  "ample", "brave",  "breezy", "bright", "calm",    "candid",  "clever",
    "cosmic", "crisp", "daring", "deft",   "eager",  "earnest", "fervent", "fleet",
    "gentle", "glad",  "hardy",  "hearty", "humble", "jolly",   "keen",    "kind",
    "lively", "lucid", "mellow", "merry",  "nimble", "noble",   "patient", "placid",
    "plucky", "proud", "quiet",  "rapid",  "serene", "sharp",   "snug",    "steady",
    "sturdy", "sunny", "swift",  "tender", "tidy",   "upbeat",  "vivid",   "witty"};

// Ports, harbours and the craft that use them.
constexpr std::array<std::string_view, 48> kNouns = {
    "anchor", "barge",   "beacon", "bollard", "buoy",    "cable",  "canal",    "capstan",
    "cargo",  "channel", "cove",   "crane",   "current", "delta",  "dinghy",   "dock",
    "dory",   "estuary", "ferry",  "fjord",   "galley",  "harbor", "hawser",   "hull",
    "inlet",  "jetty",   "keel",   "ketch",   "lagoon",  "lock",   "mast",     "mooring",
    "pier",   "pilot",   "quay",   "raft",    "reef",    "rudder", "schooner", "shoal",
    "sloop",  "tanker",  "tide",   "tugboat", "wharf",   "winch",  "yacht",    "yawl"};

bool NameChar(char c, bool first) {
  const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  return alnum || (!first && (c == '_' || c == '.' || c == '-'));
}

}  // namespace

Result<std::string> CheckName(std::string_view name) {
  std::string_view bare = name.starts_with('/') ? name.substr(1) : name;
  bool valid = bare.size() >= 2;
  for (size_t i = 0; valid && i < bare.size(); ++i) valid = NameChar(bare[i], i == 0);
  if (!valid) {
    return Fail(ErrorKind::kInvalidArgument, "Invalid container name (" + std::string(name) +
                                                 "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  }
  return "/" + std::string(bare);
}

std::string GenerateName(int attempt) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string name = "/" + std::string(kAdjectives[rng() % kAdjectives.size()]) + "_" +
                     std::string(kNouns[rng() % kNouns.size()]);
  if (attempt > 0) name += std::to_string(rng() % 10);
  return name;
}

std::string NewId() {
  std::string bytes(32, '\0');
  UniqueFd fd(open("/dev/urandom", O_RDONLY | O_CLOEXEC));
  if (!fd || read(fd.get(), bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    bytes = std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  return Sha256Hex(bytes);
}

}  // namespace berth::daemon::container
