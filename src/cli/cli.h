// The context one `berth` invocation runs its command in: the global options, the Engine API
// client (made on first use, so that argument errors never need a daemon), the output streams,
// and docker's handling of a command's arguments (flag errors exit 125 with the usage, a wrong
// number of arguments exits 1; both worded as docker 20.10 does). One Cli per process, used from
// the main thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cli/flags.h"
#include "client/client.h"

namespace berth::cli {

struct GlobalOptions {
  std::string host;         // -H, DOCKER_HOST
  std::string api_version;  // DOCKER_API_VERSION
  std::string config_dir;   // --config, DOCKER_CONFIG
  // --tls, --tlsverify (DOCKER_TLS_VERIFY), --tlscacert, --tlscert, --tlskey (DOCKER_CERT_PATH)
  client::TlsFlags tls;
  bool debug = false;
  std::string log_level = "info";
};

// How many positional arguments a command takes.
struct Arity {
  enum class Kind { kAny, kExactly, kAtLeast, kAtMost, kRange };
  Kind kind = Kind::kAny;
  size_t min = 0;
  size_t max = 0;

  static Arity Any() { return {}; }
  static Arity Exactly(size_t n) { return {Kind::kExactly, n, n}; }
  static Arity AtLeast(size_t n) { return {Kind::kAtLeast, n, 0}; }
  static Arity AtMost(size_t n) { return {Kind::kAtMost, 0, n}; }
  static Arity Range(size_t min, size_t max) { return {Kind::kRange, min, max}; }
};

// What a command says about itself for help and argument errors.
struct CommandSpec {
  std::string path;   // "image inspect", as the user typed it ("images" for the short form)
  std::string usage;  // "[OPTIONS] IMAGE [IMAGE...]"
  std::string summary;
  Arity arity;
  bool interspersed = true;  // false: the first positional argument ends the flags (run, exec)
};

class Cli {
 public:
  explicit Cli(GlobalOptions options) : options_(std::move(options)) {}

  const GlobalOptions& options() const { return options_; }
  // Client connects on its first request; a malformed host is an error here.
  Result<client::Client*> Client();

  // Parse applies flags to args with docker's rules. nullopt means the command is over: help
  // was printed (exit 0) or an error was (exit code in exit_code()).
  std::optional<std::vector<std::string>> Parse(FlagSet& flags,
                                                const std::vector<std::string>& args,
                                                const CommandSpec& spec);
  int exit_code() const { return exit_code_; }

  void Out(std::string_view text);
  void Err(std::string_view text);
  // OutIsTerminal/InIsTerminal say whether stdout/stdin is a terminal.
  static bool OutIsTerminal();
  static bool InIsTerminal();

 private:
  GlobalOptions options_;
  std::unique_ptr<client::Client> client_;
  int exit_code_ = 0;
};

}  // namespace berth::cli
