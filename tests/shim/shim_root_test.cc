// berth-shim observed from outside: each test spawns the shim binary on a busybox bundle, as
// berthd does, and checks the ready line, the socket protocol, the log, exit.json and what is left
// behind.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "base/child_process.h"
#include "base/file.h"
#include "base/strings.h"
#include "base/temp_dir.h"
#include "oci/runtime_spec_json.h"
#include "runtime_harness.h"
#include "shim/exit_record.h"
#include "shim/protocol.h"
#include "sys/process.h"

namespace berth::testing {
namespace {

using nlohmann::json;
using shim::Stream;

// Guards against a shim that hangs: a test fails instead of blocking forever.
constexpr int kHangGuardMs = 60000;

std::string ShimBinary() {
  return std::string(std::getenv("BERTH_BUILD_DIR")) + "/src/cmd/berth-shim/berth-shim";
}

std::string UniqueId(const std::string& base) { return base + "-" + std::to_string(getpid()); }

// ReadLine reads up to and without the first "\n", or everything until EOF.
std::string ReadLine(int fd) {
  std::string line;
  char ch;
  while (read(fd, &ch, 1) == 1 && ch != '\n') line.push_back(ch);
  return line;
}

struct Output {
  std::string out, err;
  std::optional<int> exit_code;  // from an exec's last frame
  std::vector<Stream> streams;
};

class ShimProcess {
 public:
  ShimProcess(Bundle& bundle, const std::string& id, std::vector<std::string> flags = {})
      : bundle_(bundle), id_(id), state_(*TempDir::Make("shim-state")) {
    bundle_.Write();
    argv_ = {ShimBinary(),         "--id",        id,
             "--bundle",           bundle_.dir(), "--runtime-root",
             bundle_.state_root(), "--state-dir", state_.path()};
    // "@NAME" stands for a file in the state directory.
    for (auto& f : flags) {
      if (f.starts_with("@")) f = state_ / f.substr(1);
    }
    argv_.insert(argv_.end(), flags.begin(), flags.end());
  }

  // Spawn runs berth-shim as berthd does and returns the ready line.
  json Spawn() {
    int p[2];
    EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
    UniqueFd r(p[0]), w(p[1]);
    auto child = ChildProcess::Spawn({.argv = argv_, .stdout_fd = w.get()});
    EXPECT_TRUE(child) << child.error().message();
    w.Reset();
    auto status = child->Wait();
    EXPECT_TRUE(status && status->Success()) << "the spawned process exits 0 at once";
    return ReadyLine(r.get());
  }

  // SpawnFrom runs berth-shim from a shell that stays alive after it (the "daemon").
  json SpawnFrom(std::optional<ChildProcess>* spawner) {
    int p[2];
    EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
    UniqueFd r(p[0]), w(p[1]);
    std::vector<std::string> argv = {"sh", "-c", "\"$@\"; exec sleep 1000", "sh"};
    argv.insert(argv.end(), argv_.begin(), argv_.end());
    auto child = ChildProcess::Spawn({.argv = argv, .stdout_fd = w.get()});
    EXPECT_TRUE(child) << child.error().message();
    w.Reset();
    spawner->emplace(std::move(*child));
    return ReadyLine(r.get());
  }

  json ReadyLine(int fd) {
    std::string line = ReadLine(fd);
    json ready = json::parse(line, nullptr, false);
    EXPECT_TRUE(ready.is_object()) << "ready line: " << line;
    if (ready.contains("pid")) {
      auto pid = ParseInt64(*ReadFile(Path("shim.pid")));
      EXPECT_TRUE(pid);
      shim_pid_ = static_cast<pid_t>(pid.value_or(0));
      auto pidfd = sys::PidfdOpen(shim_pid_);
      EXPECT_TRUE(pidfd);
      if (pidfd) shim_pidfd_ = std::move(*pidfd);
    }
    return ready;
  }

  std::string Path(const std::string& name) const { return state_ / name; }
  pid_t shim_pid() const { return shim_pid_; }
  const std::string& id() const { return id_; }

  UniqueFd Connect() {
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string path = Path("shim.sock");
    std::memcpy(addr.sun_path, path.data(), path.size());
    EXPECT_EQ(connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << path;
    timeval tv{.tv_sec = kHangGuardMs / 1000, .tv_usec = 0};
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
  }

  // Request sends one request line and returns the answer line, parsed.
  json Request(int fd, const std::string& line) {
    std::string text = line + "\n";
    EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    json answer = json::parse(ReadLine(fd), nullptr, false);
    EXPECT_TRUE(answer.is_object());
    return answer;
  }
  json Request(const std::string& line) {
    UniqueFd fd = Connect();
    json answer = Request(fd.get(), line);
    char ch;
    EXPECT_EQ(read(fd.get(), &ch, 1), 0) << "the shim closes the connection after the answer";
    return answer;
  }

  // ReadFrames reads frames until the shim closes the connection.
  static Output ReadFrames(int fd) {
    Output o;
    shim::FrameReader reader;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
      reader.Feed(std::string_view(buf, static_cast<size_t>(n)));
      while (true) {
        auto f = reader.Next();
        EXPECT_TRUE(f) << f.error().message();
        if (!f || !*f) break;
        o.streams.push_back((*f)->stream);
        if ((*f)->stream == Stream::kStdout) o.out += (*f)->payload;
        if ((*f)->stream == Stream::kStderr) o.err += (*f)->payload;
        if ((*f)->stream == Stream::kExit) o.exit_code = *shim::ParseExitPayload((*f)->payload);
      }
    }
    EXPECT_EQ(n, 0) << "read: " << std::strerror(errno);
    EXPECT_EQ(reader.Buffered(), 0u);
    return o;
  }

  // WaitExit waits for the shim to end and returns its exit record.
  shim::ExitRecord WaitExit() {
    pollfd pfd{shim_pidfd_.get(), POLLIN, 0};
    EXPECT_EQ(poll(&pfd, 1, kHangGuardMs), 1) << "the shim did not exit";
    auto record = shim::ReadExitRecord(state_.path());
    EXPECT_TRUE(record) << record.error().message();
    return record.value_or(shim::ExitRecord{.exit_code = -1});
  }

 private:
  Bundle& bundle_;
  std::string id_;
  TempDir state_;
  std::vector<std::string> argv_;
  pid_t shim_pid_ = 0;
  UniqueFd shim_pidfd_;
};

bool Exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

// CgroupFile is the path of a file of pid's cgroup: v1 in the hierarchy of controller, else v2.
std::string CgroupFile(pid_t pid, const std::string& controller, const std::string& v1_name,
                       const std::string& v2_name) {
  std::string text = *ReadFile("/proc/" + std::to_string(pid) + "/cgroup");
  std::string v2;
  for (const auto& line : Split(text, '\n')) {
    auto parts = Split(line, ':');
    if (parts.size() < 3) continue;
    for (const auto& c : Split(parts[1], ',')) {
      if (c == controller) return "/sys/fs/cgroup/" + controller + parts[2] + "/" + v1_name;
    }
    if (parts[0] == "0") v2 = "/sys/fs/cgroup" + parts[2] + "/" + v2_name;
  }
  return v2;
}

TEST(Shim, ReadyLineStartLogAndCleanUp) {
  Bundle b("echo out; echo err >&2; echo '<tab>\t\"q\"'; printf partial");
  ShimProcess shim(b, UniqueId("log"), {"--log-path", "@container.log"});
  const std::string log_path = shim.Path("container.log");
  json ready = shim.Spawn();
  ASSERT_TRUE(ready.contains("pid")) << ready.dump();
  const int pid = ready["pid"];
  EXPECT_NE(shim.shim_pid(), pid);
  struct stat st {};
  ASSERT_EQ(stat(shim.Path("shim.sock").c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Created, not started: the init waits and nothing is logged yet.
  EXPECT_EQ(shim.Request(R"({"op":"pids"})")["pids"], json::array({pid}));
  EXPECT_EQ(*ReadFile(log_path), "");

  json started = shim.Request(R"({"op":"start"})");
  ASSERT_EQ(started["ok"], true) << started.dump();
  EXPECT_TRUE(started["started_at"].get<std::string>().ends_with("Z"));

  shim::ExitRecord exit = shim.WaitExit();
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_FALSE(exit.oom_killed);
  EXPECT_TRUE(exit.finished_at.ends_with("Z"));
  auto lines = Split(*ReadFile(log_path), '\n');
  ASSERT_EQ(lines.size(), 5u) << *ReadFile(log_path);
  EXPECT_EQ(lines.back(), "");
  const std::string ts =
      R"("time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z"\})";
  std::vector<std::pair<std::string, std::string>> want = {
      {R"(\{"log":"out\\n","stream":"stdout",)", "out\n"},
      {R"(\{"log":"err\\n","stream":"stderr",)", "err\n"},
      {R"(\{"log":"\\u003ctab\\u003e\\u0009\\"q\\"\\n","stream":"stdout",)", "<tab>\t\"q\"\n"},
      {R"(\{"log":"partial","stream":"stdout",)", "partial"}};
  // stdout and stderr are separate pipes: their relative order is not fixed.
  std::vector<std::string> got(lines.begin(), lines.end() - 1);
  for (const auto& [pattern, text] : want) {
    auto it = std::find_if(got.begin(), got.end(), [&](const std::string& l) {
      return std::regex_match(l, std::regex(pattern + ts));
    });
    EXPECT_NE(it, got.end()) << "no entry for " << pattern << " in\n" << *ReadFile(log_path);
  }
  // The container is deleted from the runtime and the socket removed.
  EXPECT_FALSE(Exists(b.state_root() + "/" + shim.id()));
  EXPECT_FALSE(Exists(shim.Path("shim.sock")));
}

TEST(Shim, ExitCodePropagates) {
  Bundle b("exit 3");
  ShimProcess shim(b, UniqueId("exit3"));
  ASSERT_TRUE(shim.Spawn().contains("pid"));
  ASSERT_EQ(shim.Request(R"({"op":"start"})")["ok"], true);
  EXPECT_EQ(shim.WaitExit().exit_code, 3);
}

TEST(Shim, KillGives137) {
  Bundle b("exec sleep 1000");
  ShimProcess shim(b, UniqueId("kill"));
  ASSERT_TRUE(shim.Spawn().contains("pid"));
  ASSERT_EQ(shim.Request(R"({"op":"start"})")["ok"], true);
  // A second start, asked while the container surely runs (a short one may be gone already).
  EXPECT_EQ(shim.Request(R"({"op":"start"})")["error"], "start: already started");
  ASSERT_EQ(shim.Request(R"({"op":"kill","signal":9})")["ok"], true);
  EXPECT_EQ(shim.WaitExit().exit_code, 137);
}

TEST(Shim, NeverStartedContainerIsKilled) {
  Bundle b("echo never");
  ShimProcess shim(b, UniqueId("unstarted"), {"--log-path", "@container.log"});
  ASSERT_TRUE(shim.Spawn().contains("pid"));
  ASSERT_EQ(shim.Request(R"({"op":"kill","signal":9,"all":true})")["ok"], true);
  EXPECT_EQ(shim.WaitExit().exit_code, 137);
  EXPECT_EQ(*ReadFile(shim.Path("container.log")), "");
  EXPECT_FALSE(Exists(b.state_root() + "/" + shim.id()));
}

TEST(Shim, AttachBeforeStartGetsAllOutputInFrames) {
  Bundle b("echo one; echo two >&2; i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done");
  ShimProcess shim(b, UniqueId("attach"));
  ASSERT_TRUE(shim.Spawn().contains("pid"));
  UniqueFd both = shim.Connect();
  ASSERT_EQ(shim.Request(both.get(), R"({"op":"attach","stdout":true,"stderr":true})")["ok"], true);
  UniqueFd only_err = shim.Connect();
  ASSERT_EQ(shim.Request(only_err.get(), R"({"op":"attach","stderr":true})")["ok"], true);
  ASSERT_EQ(shim.Request(R"({"op":"start"})")["ok"], true);
  Output o = ShimProcess::ReadFrames(both.get());
  std::string want = "one\n";
  for (int i = 0; i < 2000; ++i) want += "line " + std::to_string(i) + "\n";
  EXPECT_EQ(o.out, want);
  EXPECT_EQ(o.err, "two\n");
  Output e = ShimProcess::ReadFrames(only_err.get());
  EXPECT_EQ(e.out, "");
  EXPECT_EQ(e.err, "two\n");
  EXPECT_EQ(shim.WaitExit().exit_code, 0);
}

TEST(Shim, StdinIsForwardedAndStdinOnceClosesIt) {
  Bundle b("cat; echo cat ended");
  ShimProcess shim(b, UniqueId("stdin"), {"--stdin", "--stdin-once"});
  ASSERT_TRUE(shim.Spawn().contains("pid"));
  UniqueFd fd = shim.Connect();
  ASSERT_EQ(shim.Request(fd.get(), R"({"op":"attach","stdin":true,"stdout":true})")["ok"], true);
  ASSERT_EQ(shim.Request(R"({"op":"start"})")["ok"], true);
  std::string input = "hello\nworld\n";
  ASSERT_EQ(write(fd.get(), input.data(), input.size()), static_cast<ssize_t>(input.size()));
  ASSERT_EQ(shutdown(fd.get(), SHUT_WR), 0);
  Output o = ShimProcess::ReadFrames(fd.get());
  EXPECT_EQ(o.out, "hello\nworld\ncat ended\n");
  EXPECT_EQ(shim.WaitExit().exit_code, 0);
}

TEST(Shim, WithoutStdinTheContainerReadsDevNull) {
  Bundle b("cat; echo cat ended");
  ShimProcess shim(b, UniqueId("nostdin"));
  ASSERT_TRUE(shim.Spawn().contains("pid"));
  UniqueFd fd = shim.Connect();
  ASSERT_EQ(shim.Request(fd.get(), R"({"op":"attach","stdin":true,"stdout":true})")["ok"], true);
  ASSERT_EQ(shim.Request(R"({"op":"start"})")["ok"], true);
  EXPECT_EQ(ShimProcess::ReadFrames(fd.get()).out, "cat ended\n");
  EXPECT_EQ(shim.WaitExit().exit_code, 0);
}

TEST(Shim, TtyOutputAndResize) {
  Bundle b("read x; stty size; echo \"got $x\" >&2");
  b.spec().process->terminal = true;
  ShimProcess shim(b, UniqueId("tty"), {"--tty", "--stdin", "--log-path", "@container.log"});
  ASSERT_TRUE(shim.Spawn().contains("pid"));
  UniqueFd fd = shim.Connect();
  ASSERT_EQ(
      shim.Request(fd.get(), R"({"op":"attach","stdin":true,"stdout":true,"stderr":true})")["ok"],
      true);
  ASSERT_EQ(shim.Request(R"({"op":"start"})")["ok"], true);
  ASSERT_EQ(shim.Request(R"({"op":"resize","height":33,"width":101})")["ok"], true);
  ASSERT_EQ(write(fd.get(), "go\n", 3), 3);
  Output o = ShimProcess::ReadFrames(fd.get());
  EXPECT_NE(o.out.find("33 101\r\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("got go\r\n"), std::string::npos) << o.out;
  EXPECT_EQ(o.err, "");
  for (Stream s : o.streams) EXPECT_EQ(s, Stream::kStdout);
  EXPECT_EQ(shim.WaitExit().exit_code, 0);
  std::string log = *ReadFile(shim.Path("container.log"));
  EXPECT_NE(log.find(R"({"log":"33 101\r\n","stream":"stdout")"), std::string::npos) << log;
  EXPECT_EQ(log.find("stderr"), std::string::npos) << log;
}

TEST(Shim, ResizeWithoutTtyIsAnError) {
  Bundle b("exec sleep 1000");
  ShimProcess shim(b, UniqueId("notty"));
  ASSERT_TRUE(shim.Spawn().contains("pid"));
  EXPECT_EQ(shim.Request(R"({"op":"resize","height":1,"width":1})")["error"],
            "resize: the container has no terminal");
  ASSERT_EQ(shim.Request(R"({"op":"kill","signal":9})")["ok"], true);
  EXPECT_EQ(shim.WaitExit().exit_code, 137);
}

TEST(Shim, ContainerSurvivesTheProcessThatSpawnedTheShim) {
  Bundle b("read x; echo \"still here $x\"");
  ShimProcess shim(b, UniqueId("survive"), {"--stdin", "--stdin-once"});
  std::optional<ChildProcess> spawner;
  json ready = shim.SpawnFrom(&spawner);
  ASSERT_TRUE(ready.contains("pid")) << ready.dump();
  auto stat = ReadFile("/proc/" + std::to_string(shim.shim_pid()) + "/stat");
  ASSERT_TRUE(stat);
  auto fields = Split(stat->substr(stat->rfind(')') + 2), ' ');
  EXPECT_NE(fields[1], std::to_string(spawner->pid())) << "the shim is not the spawner's child";
  ASSERT_TRUE(spawner->Signal(SIGKILL));
  ASSERT_TRUE(spawner->Wait());
  UniqueFd fd = shim.Connect();
  ASSERT_EQ(shim.Request(fd.get(), R"({"op":"attach","stdin":true,"stdout":true})")["ok"], true);
  ASSERT_EQ(shim.Request(R"({"op":"start"})")["ok"], true);
  ASSERT_EQ(write(fd.get(), "1\n", 2), 2);
  EXPECT_EQ(ShimProcess::ReadFrames(fd.get()).out, "still here 1\n");
  EXPECT_EQ(shim.WaitExit().exit_code, 0);
}

TEST(Shim, PidsPauseAndResume) {
  Bundle b("sleep 1000 & exec sleep 1001");
  ShimProcess shim(b, UniqueId("pause"));
  json ready = shim.Spawn();
  ASSERT_TRUE(ready.contains("pid"));
  const int pid = ready["pid"];
  ASSERT_EQ(shim.Request(R"({"op":"start"})")["ok"], true);
  // The background sleep may not have been forked yet when start returns: ask until it shows.
  json pids;
  for (int i = 0; i < 1000; ++i) {
    pids = shim.Request(R"({"op":"pids"})")["pids"];
    if (pids.size() == 2) break;
  }
  ASSERT_EQ(pids.size(), 2u) << pids.dump();
  EXPECT_TRUE(pids[0] == pid || pids[1] == pid) << pids.dump();

  std::string v1 = CgroupFile(pid, "freezer", "freezer.state", "cgroup.freeze");
  ASSERT_EQ(shim.Request(R"({"op":"pause"})")["ok"], true);
  std::string frozen = std::string(TrimSpace(*ReadFile(v1)));
  EXPECT_TRUE(frozen == "FROZEN" || frozen == "1") << v1 << ": " << frozen;
  EXPECT_EQ(shim.Request(R"({"op":"pause"})")["error"].get<std::string>().find("paused") !=
                std::string::npos,
            true);
  ASSERT_EQ(shim.Request(R"({"op":"resume"})")["ok"], true);
  std::string thawed = std::string(TrimSpace(*ReadFile(v1)));
  EXPECT_TRUE(thawed == "THAWED" || thawed == "0") << v1 << ": " << thawed;

  ASSERT_EQ(shim.Request(R"({"op":"kill","signal":9,"all":true})")["ok"], true);
  EXPECT_EQ(shim.WaitExit().exit_code, 137);
}

TEST(Shim, ExecStreamsOutputAndExitCode) {
  Bundle b("exec sleep 1000");
  ShimProcess shim(b, UniqueId("exec"));
  ASSERT_TRUE(shim.Spawn().contains("pid"));
  ASSERT_EQ(shim.Request(R"({"op":"start"})")["ok"], true);

  UniqueFd fd = shim.Connect();
  json process = {{"args", {"sh", "-c", "echo hi; echo oops >&2; exit 5"}},
                  {"cwd", "/"},
                  {"env", {"PATH=/bin"}}};
  // The line the daemon would build with protocol.h, without its "\n".
  std::string line = shim::EncodeRequest(shim::ExecRequest{.process = process});
  line.pop_back();
  json answer = shim.Request(fd.get(), line);
  ASSERT_EQ(answer["ok"], true) << answer.dump();
  EXPECT_GT(answer["pid"].get<int>(), 0);
  Output o = ShimProcess::ReadFrames(fd.get());
  EXPECT_EQ(o.out, "hi\n");
  EXPECT_EQ(o.err, "oops\n");
  EXPECT_EQ(o.exit_code, 5);
  ASSERT_FALSE(o.streams.empty());
  EXPECT_EQ(o.streams.back(), Stream::kExit);

  UniqueFd cat = shim.Connect();
  json cat_process = {{"args", {"cat"}}, {"cwd", "/"}, {"env", {"PATH=/bin"}}};
  ASSERT_EQ(
      shim.Request(cat.get(),
                   json{{"op", "exec"}, {"process", cat_process}, {"stdin", true}}.dump())["ok"],
      true);
  ASSERT_EQ(write(cat.get(), "abc", 3), 3);
  ASSERT_EQ(shutdown(cat.get(), SHUT_WR), 0);
  Output c = ShimProcess::ReadFrames(cat.get());
  EXPECT_EQ(c.out, "abc");
  EXPECT_EQ(c.exit_code, 0);

  ASSERT_EQ(shim.Request(R"({"op":"kill","signal":9})")["ok"], true);
  EXPECT_EQ(shim.WaitExit().exit_code, 137);
}

TEST(Shim, ExecWithTtyAndResize) {
  Bundle b("exec sleep 1000");
  ShimProcess shim(b, UniqueId("exectty"));
  ASSERT_TRUE(shim.Spawn().contains("pid"));
  ASSERT_EQ(shim.Request(R"({"op":"start"})")["ok"], true);
  UniqueFd fd = shim.Connect();
  json process = {{"args", {"sh", "-c", "read x; stty size"}},
                  {"cwd", "/"},
                  {"terminal", true},
                  {"env", {"PATH=/bin"}}};
  json answer =
      shim.Request(fd.get(), json{{"op", "exec"}, {"process", process}, {"stdin", true}}.dump());
  ASSERT_EQ(answer["ok"], true) << answer.dump();
  const int exec_pid = answer["pid"];
  json resized = shim.Request(
      json{{"op", "resize"}, {"exec_pid", exec_pid}, {"height", 12}, {"width", 34}}.dump());
  ASSERT_EQ(resized["ok"], true) << resized.dump();
  ASSERT_EQ(write(fd.get(), "\n", 1), 1);
  Output o = ShimProcess::ReadFrames(fd.get());
  EXPECT_NE(o.out.find("12 34\r\n"), std::string::npos) << o.out;
  EXPECT_EQ(o.exit_code, 0);
  ASSERT_EQ(shim.Request(R"({"op":"kill","signal":9})")["ok"], true);
  EXPECT_EQ(shim.WaitExit().exit_code, 137);
}

TEST(Shim, MalformedRequestsGetErrorsAndTheShimKeepsServing) {
  Bundle b("exec sleep 1000");
  ShimProcess shim(b, UniqueId("malformed"));
  json ready = shim.Spawn();
  ASSERT_TRUE(ready.contains("pid"));
  EXPECT_EQ(shim.Request("nonsense")["error"], "request is not valid JSON");
  EXPECT_EQ(shim.Request(R"({"op":"reboot"})")["error"], "op reboot: unknown op \"reboot\"");
  EXPECT_EQ(shim.Request(R"({"op":"kill","signal":"x"})")["error"],
            "op kill: \"signal\" must be an integer");
  EXPECT_EQ(shim.Request(R"({"op":"exec","process":{"args":[]}})")["error"].is_string(), true);
  EXPECT_EQ(shim.Request(R"({"op":"resize","exec_pid":1,"height":1,"width":1})")["error"],
            "resize: no exec with pid 1");
  EXPECT_EQ(shim.Request(R"({"op":"pids"})")["pids"], json::array({ready["pid"]}));
  ASSERT_EQ(shim.Request(R"({"op":"kill","signal":9})")["ok"], true);
  EXPECT_EQ(shim.WaitExit().exit_code, 137);
}

TEST(Shim, LogRotatesAtMaxSize) {
  Bundle b("i=0; while [ $i -lt 40 ]; do echo line $i; i=$((i+1)); done");
  ShimProcess shim(b, UniqueId("rotate"),
                   {"--log-path", "@c.log", "--log-max-size", "300", "--log-max-file", "3"});
  ASSERT_TRUE(shim.Spawn().contains("pid"));
  ASSERT_EQ(shim.Request(R"({"op":"start"})")["ok"], true);
  EXPECT_EQ(shim.WaitExit().exit_code, 0);
  std::vector<std::string> texts;
  for (const char* name : {"c.log.2", "c.log.1", "c.log"}) {
    auto text = ReadFile(shim.Path(name));
    ASSERT_TRUE(text) << name;
    auto lines = Split(*text, '\n');
    lines.pop_back();
    ASSERT_FALSE(lines.empty()) << name;
    size_t size = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      // Each file reaches the size with its last entry, never before.
      if (std::string(name) != "c.log") {
        EXPECT_LT(size, 300u) << name;
      }
      size += lines[i].size() + 1;
      texts.push_back(json::parse(lines[i])["log"]);
    }
    if (std::string(name) != "c.log") {
      EXPECT_GE(size, 300u) << name;
    }
  }
  EXPECT_FALSE(Exists(shim.Path("c.log.3")));
  // The files hold the last lines, in order.
  const int first = 40 - static_cast<int>(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(texts[i], "line " + std::to_string(first + static_cast<int>(i)) + "\n");
  }
}

TEST(Shim, CreateFailureReportsAndLeavesNothing) {
  Bundle b("true");
  b.spec().process->args = {"/no/such/program"};
  const std::string cgroup = "/" + UniqueId("berth-shim-fail");
  b.spec().linux->cgroups_path = cgroup;
  ShimProcess shim(b, UniqueId("fail"));
  json ready = shim.Spawn();
  ASSERT_TRUE(ready.contains("error")) << ready.dump();
  EXPECT_NE(ready["error"].get<std::string>().find("/no/such/program"), std::string::npos)
      << ready.dump();
  EXPECT_FALSE(Exists(b.state_root() + "/" + shim.id()));
  EXPECT_FALSE(Exists(shim.Path("shim.sock")));
  EXPECT_FALSE(Exists(shim.Path("exit.json")));
  for (const auto& entry : std::filesystem::directory_iterator("/sys/fs/cgroup")) {
    EXPECT_FALSE(Exists(entry.path().string() + cgroup)) << entry.path().string() + cgroup;
  }
  EXPECT_FALSE(Exists("/sys/fs/cgroup" + cgroup));
}

TEST(Shim, BinaryIsNotReachableForWriting) {
  // A createContainer hook runs as a child of the init process while that process, a clone of
  // the shim, still runs the shim's code: its /proc/PID/exe is what a container could reach
  // (CVE-2019-5736). It must not lead to the shim's binary file: the shim runs from a read-only
  // mount of it (shown as "/", a detached mount) or from a sealed copy.
  Bundle b("true");
  std::string out = b.dir() + "/exe";
  std::string script = "read a b c p rest < /proc/self/stat; readlink /proc/$p/exe > " + out +
                       "; (echo x >> /proc/$p/exe) 2>/dev/null && echo writable >> " + out +
                       "; true";
  b.spec().hooks =
      oci::Hooks{.create_container = {{.path = "/bin/sh", .args = {"sh", "-c", script}}}};
  std::string binary_before = *ReadFile(ShimBinary());
  ShimProcess shim(b, UniqueId("exe"));
  ASSERT_TRUE(shim.Spawn().contains("pid"));
  auto text = ReadFile(out);
  ASSERT_TRUE(text);
  EXPECT_TRUE(*text == "/\n" || text->starts_with("/memfd:")) << *text;
  ASSERT_EQ(shim.Request(R"({"op":"start"})")["ok"], true);
  EXPECT_EQ(shim.WaitExit().exit_code, 0);
  EXPECT_EQ(*ReadFile(ShimBinary()), binary_before);
}

TEST(Shim, PoststartHooksRunAtTheStartFromTheCreatedConfig) {
  Bundle b("true");
  const std::string out = b.dir() + "/poststart-state";
  b.spec().hooks =
      oci::Hooks{.poststart = {{.path = "/bin/sh", .args = {"sh", "-c", "cat > " + out}}}};
  ShimProcess shim(b, UniqueId("poststart"));
  json ready = shim.Spawn();
  ASSERT_TRUE(ready.contains("pid")) << ready.dump();
  // The start reads no file: with the runtime's copy of the config now without hooks, the hooks
  // of the config the container was created from still run.
  oci::Spec without_hooks = b.spec();
  without_hooks.hooks.reset();
  ASSERT_TRUE(WriteFile(b.state_root() + "/" + shim.id() + "/config.json",
                        oci::EncodeSpec(without_hooks), 0600));
  ASSERT_EQ(shim.Request(R"({"op":"start"})")["ok"], true);
  auto text = ReadFile(out);
  ASSERT_TRUE(text) << "the poststart hook did not run";
  json state = json::parse(*text, nullptr, false);
  EXPECT_EQ(state.value("status", ""), "running") << *text;
  EXPECT_EQ(state.value("id", ""), shim.id()) << *text;
  EXPECT_EQ(state.value("pid", 0), ready["pid"].get<int>()) << *text;
  EXPECT_EQ(shim.WaitExit().exit_code, 0);
}

}  // namespace
}  // namespace berth::testing
