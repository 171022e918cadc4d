#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "cmd/berth-runtime/commands.h"
#include "oci/linux_names.h"
#include "oci/runtime_spec.h"
#include "runtime/mount/options.h"
#include "runtime/seccomp/seccomp.h"

namespace berth::cmd {
namespace {

bool AppArmorEnabled() {
  struct stat st {};
  return stat("/sys/kernel/security/apparmor", &st) == 0;
}

}  // namespace

Action AddFeatures(CLI::App& app, Globals&) {
  app.add_subcommand("features", "print what this runtime supports (OCI features JSON)");
  return []() -> Result<int> {
    using nlohmann::json;
    json seccomp = {{"enabled", true},
                    {"actions", runtime::seccomp::SupportedActions()},
                    {"operators", runtime::seccomp::SupportedOperators()},
                    {"archs", runtime::seccomp::SupportedArchitectures()},
                    {"knownFlags", oci::SeccompFlags()},
                    {"supportedFlags", runtime::seccomp::SupportedFlags()}};
    json linux = {
        {"namespaces", oci::AllNamespaceTypes()},
        {"capabilities", oci::AllCapabilityNames()},
        {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
        {"seccomp", seccomp},
        {"apparmor", {{"enabled", AppArmorEnabled()}}},
        {"selinux", {{"enabled", false}}}};
    json features = {{"ociVersionMin", "1.0.0"},
                     {"ociVersionMax", oci::kRuntimeSpecVersion},
                     {"hooks",
                      {"prestart", "createRuntime", "createContainer", "startContainer",
                       "poststart", "poststop"}},
                     {"mountOptions", runtime::mount::KnownMountOptions()},
                     {"linux", linux},
                     {"annotations", {{"io.berth.runtime.version", "0.1.0"}}}};
    PrintJson(features.dump(2));
    return 0;
  };
}

}  // namespace berth::cmd
