// The runtime's record of its containers under the state root (--root, /run/berth-runtime by
// default): one directory per container id holding
//   state.json   the ContainerRecord (written atomically)
//   config.json  the bundle's config as it was at create time (hooks, namespaces, process defaults)
//   exec.fifo    present from create until start: the init process blocks reading it
// Each command takes an exclusive flock on the container directory for its whole run, so concurrent
// commands on one container are serialised. Processes, not threads, share this store.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace berth::runtime {

struct ContainerRecord {
  std::string id;
  std::string bundle;
  bool ready = false;  // the init process reported "created"; before that the status is "creating"
  pid_t pid = 0;
  uint64_t pid_start_time = 0;  // field 22 of /proc/PID/stat: tells a recycled pid apart
  std::string created;          // RFC 3339
  std::string owner;
  std::string cgroup;  // cgroup::Cgroup::Save()
  std::map<std::string, std::string> annotations;
};

// ValidateId refuses ids that could escape the state root or confuse tools: [A-Za-z0-9_+.-]+.
Status ValidateId(std::string_view id);

class StateStore {
 public:
  explicit StateStore(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  std::string Dir(const std::string& id) const { return root_ + "/" + id; }
  std::string FifoPath(const std::string& id) const { return Dir(id) + "/exec.fifo"; }
  std::string ConfigPath(const std::string& id) const { return Dir(id) + "/config.json"; }

  // CreateDir makes the container's directory and locks it; kAlreadyExists if the id is taken.
  Result<UniqueFd> CreateDir(const std::string& id);
  // Lock locks an existing container's directory; kNotFound if there is none.
  Result<UniqueFd> Lock(const std::string& id);
  Status Save(const ContainerRecord& record);
  Result<ContainerRecord> Load(const std::string& id) const;
  Status Remove(const std::string& id);
  Result<std::vector<std::string>> List() const;

 private:
  std::string root_;
};

// ProcessStartTime reads field 22 of /proc/PID/stat; kNotFound when the process is gone.
Result<uint64_t> ProcessStartTime(pid_t pid);
// ProcessAlive is true when pid runs (not a zombie) and started at start_time.
bool ProcessAlive(pid_t pid, uint64_t start_time);

}  // namespace berth::runtime
