#include "oci/defaults.h"

#include <unistd.h>

#include <string>
#include <vector>

namespace berth::oci {
namespace {

Process DefaultProcess() {
  const std::vector<std::string> caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  Process process;
  process.terminal = true;
  process.args = {"sh"};
  process.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"};
  process.cwd = "/";
  process.capabilities = Capabilities{.bounding = caps, .effective = caps, .permitted = caps};
  process.rlimits = {Rlimit{.type = "RLIMIT_NOFILE", .soft = 1024, .hard = 1024}};
  process.no_new_privileges = true;
  return process;
}

std::vector<Mount> DefaultMounts() {
  return {
      {.destination = "/proc", .type = "proc", .source = "proc"},
      {.destination = "/dev",
       .type = "tmpfs",
       .source = "tmpfs",
       .options = {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {.destination = "/dev/pts",
       .type = "devpts",
       .source = "devpts",
       .options = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {.destination = "/dev/shm",
       .type = "tmpfs",
       .source = "shm",
       .options = {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
      {.destination = "/dev/mqueue",
       .type = "mqueue",
       .source = "mqueue",
       .options = {"nosuid", "noexec", "nodev"}},
      {.destination = "/sys",
       .type = "sysfs",
       .source = "sysfs",
       .options = {"nosuid", "noexec", "nodev", "ro"}},
      {.destination = "/sys/fs/cgroup",
       .type = "cgroup",
       .source = "cgroup",
       .options = {"nosuid", "noexec", "nodev", "relatime", "ro"}},
  };
}

Linux DefaultLinux() {
  Linux linux;
  linux.namespaces = {{.type = "pid"}, {.type = "network"}, {.type = "ipc"},
                      {.type = "uts"}, {.type = "mount"},   {.type = "cgroup"}};
  // Deny every device; the runtime adds the standard ones (/dev/null, /dev/zero, ...) itself.
  linux.resources = Resources{.devices = {{.allow = false, .access = "rwm"}}};
  linux.masked_paths = {"/proc/acpi",        "/proc/asound",        "/proc/kcore",
                        "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
                        "/proc/timer_stats", "/proc/sched_debug",   "/sys/firmware",
                        "/proc/scsi"};
  linux.readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  return linux;
}

// An unprivileged user gets no usable network without outside help, cannot mount a fresh sysfs
// (it would belong to the host's network namespace), cannot pass uid=/gid= for ids it has not
// mapped, and has no cgroup of its own to root a cgroup namespace at or to put limits on.
void MakeRootless(Spec& spec) {
  Linux& linux = *spec.linux;
  std::erase_if(linux.namespaces, [](const Namespace& ns) {
    return ns.type == "network" || ns.type == "cgroup" || ns.type == "user";
  });
  linux.namespaces.push_back({.type = "user"});
  linux.uid_mappings = {{.container_id = 0, .host_id = geteuid(), .size = 1}};
  linux.gid_mappings = {{.container_id = 0, .host_id = getegid(), .size = 1}};
  for (Mount& mount : spec.mounts) {
    if (mount.destination == "/sys") {
      mount = {.destination = "/sys",
               .type = "none",
               .source = "/sys",
               .options = {"rbind", "nosuid", "noexec", "nodev", "ro"}};
      continue;
    }
    std::erase_if(mount.options, [](const std::string& option) {
      return option.starts_with("uid=") || option.starts_with("gid=");
    });
  }
  linux.resources.reset();
}

}  // namespace

Spec DefaultSpec(bool rootless) {
  Spec spec;
  spec.oci_version = kRuntimeSpecVersion;
  spec.process = DefaultProcess();
  spec.root = Root{.path = "rootfs", .readonly = true};
  spec.hostname = "berth";
  spec.mounts = DefaultMounts();
  spec.linux = DefaultLinux();
  if (rootless) MakeRootless(spec);
  return spec;
}

}  // namespace berth::oci
