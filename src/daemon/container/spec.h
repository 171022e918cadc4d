// The OCI runtime config of a container, planned from its image config and what it was created
// with, as dockerd plans it: the command from Entrypoint and Cmd, the environment, docker's
// default mounts, capabilities, masked paths and device rules, the planned mount points, tmpfs
// mounts, limits and security options (the seccomp profile: seccomp_profile.h). Pure (the caller
// resolves the user and writes the files bind mounted into the container), thread-safe. Errors are
// kInvalidArgument naming the field.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "daemon/container/config.h"
#include "daemon/container/mounts.h"
#include "daemon/container/seccomp_profile.h"
#include "oci/image_spec.h"
#include "oci/runtime_spec.h"

namespace berth::daemon::container {

// Command is the process's argv: Entrypoint then Cmd, each from the container when set there,
// else from the image; a container's Entrypoint drops the image's Cmd, as docker does. An empty
// result is kInvalidArgument "no command specified".
Result<std::vector<std::string>> Command(const Config& config, const oci::ContainerConfig& image);

// Environment is the image's environment overridden by the container's (by name), with PATH
// added when neither sets it, HOSTNAME, and TERM=xterm for a tty, as docker does.
std::vector<std::string> Environment(const Config& config, const oci::ContainerConfig& image,
                                     const std::string& hostname);

// CgroupsPath is the container's linux.cgroupsPath: "/berth/<id>", or under
// HostConfig.CgroupParent.
std::string CgroupsPath(const HostConfig& host, const std::string& id);

// ResourcesOf is linux.resources for HostConfig's limits, with docker's defaults (a memory limit
// without MemorySwap allows as much swap as memory) and its device rules.
oci::Resources ResourcesOf(const HostConfig& host);

struct SpecInput {
  std::string id;
  std::string hostname;  // the container's (Config.Hostname or the id's first 12 digits)
  std::string rootfs;    // the mounted rootfs
  oci::User user;        // resolved from Config.User and GroupAdd inside the rootfs
  // Files the daemon keeps for the container, bind mounted at /etc/hostname, /etc/hosts and
  // /etc/resolv.conf.
  std::string hostname_file;
  std::string hosts_file;
  std::string resolv_conf_file;
  std::vector<MountPoint> mounts;  // planned (mounts.h), each volume's source filled in
  std::string init_path;  // the init binary for HostConfig.Init (docker-init); "" when missing
  // The network namespace the daemon prepared (a netns file, or another container's); "" for
  // a new one made by the runtime. Ignored with NetworkMode host.
  std::string netns_path;
  bool cgroupns_private_default = false;  // docker's default: private on cgroup v2 only
  SeccompHost seccomp_host;               // what the seccomp profile's rules are checked against
};

// BuildSpec plans the container's config.json.
Result<oci::Spec> BuildSpec(const Config& config, const HostConfig& host,
                            const oci::ContainerConfig& image, const SpecInput& input);

}  // namespace berth::daemon::container
