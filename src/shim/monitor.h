// The shim's state once its container exists (internal to the shim library): the container's
// stdio and the execs' stdio, the clients of shim.sock, the event loop that moves bytes between
// them and the log, and the end of the container. Single-threaded; every method runs on the loop.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "runtime/container.h"
#include "shim/container_runtime.h"
#include "shim/event_loop.h"
#include "shim/json_log.h"
#include "shim/protocol.h"
#include "shim/shim.h"

namespace berth::shim {

using Clock = std::chrono::steady_clock;

// A client backlog above this is a client that does not keep up: an attach client is dropped, an
// exec's output is held back until the client has read.
inline constexpr size_t kMaxBacklog = 1 << 20;
// How long output is still read after the process exited, when something keeps its pipes open.
inline constexpr auto kDrainTimeout = std::chrono::seconds(2);

// The shim's side of one process's stdio.
struct Stdio {
  bool tty = false;
  UniqueFd in;            // writes to the process's stdin (pipe or a duplicate of the pty master)
  UniqueFd out;           // stdout pipe or the pty master
  UniqueFd err;           // stderr pipe (none with a tty)
  std::string in_queue;   // stdin bytes the process has not taken yet
  bool close_in = false;  // close `in` once in_queue is written
};

// The container-side descriptors for a new process (the ends it gets as 0, 1, 2).
struct ChildStdio {
  UniqueFd in, out, err;
};

// MakeStdio makes the pipes for a process: stdin a pipe when open_stdin (else /dev/null), stdout
// and stderr pipes; with a tty all three are /dev/null (the runtime gives the process its pty).
Result<std::pair<Stdio, ChildStdio>> MakeStdio(bool tty, bool open_stdin);
// WithChildStdio runs spawn with the child ends as this process's 0, 1 and 2 (the runtime's
// children inherit them), then points 0, 1 and 2 at /dev/null again.
Result<runtime::MonitoredProcess> WithChildStdio(
    ChildStdio child, const std::function<Result<runtime::MonitoredProcess>()>& spawn);

class Monitor {
 public:
  // Create takes the runtime and the container it created (its init waiting to be started), the
  // listening socket and the log writer (absent: no log).
  static Result<std::unique_ptr<Monitor>> Create(const ShimOptions& options,
                                                 std::unique_ptr<ContainerRuntime> runtime,
                                                 runtime::MonitoredProcess init, Stdio stdio,
                                                 UniqueFd listener,
                                                 std::optional<JsonLogWriter> log);
  // Run serves until the container has exited and the clients have their output; returns the
  // shim's exit code.
  int Run();
  pid_t InitPid() const { return init_.pid; }

 private:
  struct Client {
    uint64_t id = 0;
    UniqueFd fd;
    std::string in;  // bytes read before the request line was complete
    bool answered = false;
    bool streaming = false;  // attach or exec: gets frames after the answer
    AttachRequest attach;    // what an attach client wants
    pid_t exec_pid = 0;      // an exec client's process
    bool sends_stdin = false;
    bool input_ended = false;
    bool input_paused = false;  // the process's stdin is full: stop reading this client
    bool closing = false;       // close once `out` is written
    std::string out;
  };
  struct Exec {
    pid_t pid = 0;
    UniqueFd pidfd;
    Stdio stdio;
    uint64_t client = 0;  // 0: the client is gone, output is discarded
    std::optional<int> exit_code;
    std::optional<Clock::time_point> drain_deadline;
    bool output_paused = false;
  };

  Monitor(const ShimOptions& options, std::unique_ptr<ContainerRuntime> runtime,
          runtime::MonitoredProcess init, Stdio stdio, UniqueFd listener,
          std::optional<JsonLogWriter> log, EventLoop loop);
  Status Setup();

  // Clients (monitor.cc).
  void Accept();
  void OnClient(uint64_t id, uint32_t events);
  void ReadClient(Client& c);
  void OnClientInput(Client& c, std::string_view bytes);
  void OnClientInputEnd(Client& c);
  void Send(Client& c, std::string_view bytes);
  void FlushClient(Client& c);
  void UpdateClientEvents(Client& c);
  void DropClient(uint64_t id);
  Client* FindClient(uint64_t id);

  // Output and stdin of the init and the execs (io.cc).
  void WatchOutput(Stdio& stdio, pid_t exec_pid);
  void OnOutput(pid_t exec_pid, int fd, Stream stream);
  void Deliver(pid_t exec_pid, Stream stream, std::string_view bytes);
  void OutputEnded(pid_t exec_pid, int fd, Stream stream);
  void QueueStdin(Stdio& stdio, std::string_view bytes, Client& from);
  void FlushStdin(Stdio& stdio);
  void CloseStdin(Stdio& stdio);
  void ResumePausedClients();
  Stdio* StdioOf(pid_t exec_pid);

  // Requests (requests.cc).
  void Handle(Client& c, const Request& request);
  Result<nlohmann::json> Start();
  Result<nlohmann::json> Resize(const ResizeRequest& r);
  Result<pid_t> StartExec(const ExecRequest& r);

  // Processes and the end (lifecycle.cc).
  void OnSignal();
  void Reap();
  void CheckExecDone(Exec& e);
  void CheckInitDone();
  void Finish();
  int NextTimeoutMs() const;
  void OnTimeouts();

  ShimOptions options_;
  std::unique_ptr<ContainerRuntime> runtime_;
  runtime::MonitoredProcess init_;
  Stdio stdio_;
  UniqueFd listener_;
  std::optional<JsonLogWriter> log_;
  EventLoop loop_;
  UniqueFd signals_;

  bool started_ = false;
  std::optional<int> exit_code_;
  std::string finished_at_;
  std::optional<Clock::time_point> drain_deadline_;
  bool finished_ = false;
  std::optional<Clock::time_point> exit_deadline_;

  // Read buffers on the heap rather than the stack: the stack-clash probes of a 64 KiB frame
  // would make every page of it resident in every shim, while a heap page is touched only when a
  // read fills it. One for the processes' output, one for the clients' bytes (a client's input
  // may lead to output being read before the client's bytes are used up).
  static constexpr size_t kReadBufferSize = 64 << 10;
  std::unique_ptr<char[]> output_buffer_{new char[kReadBufferSize]};
  std::unique_ptr<char[]> client_buffer_{new char[kReadBufferSize]};

  uint64_t next_client_ = 1;
  std::map<uint64_t, std::unique_ptr<Client>> clients_;
  std::map<pid_t, std::unique_ptr<Exec>> execs_;
};

}  // namespace berth::shim
