#include "daemon/container/names.h"

#include <array>
#include <random>

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

}  // namespace berth::daemon::container
