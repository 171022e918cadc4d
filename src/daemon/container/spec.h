// The OCI runtime config of a container, planned from its image config and what it was created
// with, as dockerd plans it: the command from Entrypoint and Cmd, the environment, docker's
// default mounts, capabilities, masked paths and device rules, HostConfig's binds, tmpfs mounts,
// limits and security options. Pure (the caller resolves the user and writes the files bind
// mounted into the container), thread-safe. Errors are kInvalidArgument naming the field.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "daemon/container/config.h"
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

// A bind mount's parts, from "src:dst[:opts]" (HostConfig.Binds) or a bind MountSpec.
struct Bind {
  std::string source;
  std::string destination;
  bool read_only = false;
  std::string propagation;  // "rprivate" unless given
  bool recursive = true;
};

// ParseBind reads one HostConfig.Binds entry; a relative or empty source (a named volume) and an
// unknown option are errors naming the entry.
Result<Bind> ParseBind(std::string_view spec);

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
  std::string init_path;  // the init binary for HostConfig.Init (docker-init); "" when missing
  // The network namespace the daemon prepared (a netns file, or another container's); "" for
  // a new one made by the runtime. Ignored with NetworkMode host.
  std::string netns_path;
  bool cgroupns_private_default = false;  // docker's default: private on cgroup v2 only
};

// BuildSpec plans the container's config.json.
Result<oci::Spec> BuildSpec(const Config& config, const HostConfig& host,
                            const oci::ContainerConfig& image, const SpecInput& input);

}  // namespace berth::daemon::container
