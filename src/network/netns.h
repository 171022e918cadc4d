// Network namespaces kept as files: a namespace made here is bind mounted on a file (an nsfs
// mount, as `ip netns add` keeps them), so it lives on without a process in it until the file is
// unmounted. The daemon's own threads never change namespace: each call runs on a short thread
// of its own, which is what unshare and setns act on. Thread-safe.
#pragma once

#include <functional>
#include <string>

#include "base/result.h"

namespace berth::network {

// CreateNetns makes a new network namespace and binds it at path (made; its directory must
// exist). kAlreadyExists when path exists.
Status CreateNetns(const std::string& path);

// RemoveNetns unmounts path and removes it; a missing path is fine. The namespace ends (with
// the interfaces in it) once nothing else holds it.
Status RemoveNetns(const std::string& path);

// InNetns runs fn on a thread that has joined the namespace at path, and returns its status.
Status InNetns(const std::string& path, const std::function<Status()>& fn);

}  // namespace berth::network
