#include "image/store/changes.h"

#include <arpa/inet.h>
#include <signal.h>
#include <string.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "base/path.h"
#include "base/strings.h"
#include "image/store/changes_lexer.h"
#include "image/store/go_time.h"

namespace berth::image::store {
namespace {

using oci::ContainerConfig;

constexpr char kEscape = '\\';

tl::unexpected<Error> Invalid(std::string message) {
  return Fail(ErrorKind::kInvalidArgument, std::move(message));
}

// The separators of a Dockerfile line's words (the parser's [\t\v\f\r ]+; not newlines).
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }
bool IsSpace(char c) { return IsBlank(c) || c == '\n'; }

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  return out;
}

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  return s;
}

// SplitBlank splits s at runs of blanks, at most max parts (the last keeps the rest).
std::vector<std::string> SplitBlank(std::string_view s, size_t max = SIZE_MAX) {
  std::vector<std::string> out;
  s = TrimSpace(s);
  while (!s.empty()) {
    size_t end = 0;
    while (end < s.size() && !IsBlank(s[end])) ++end;
    if (out.size() + 1 == max) end = s.size();
    out.emplace_back(s.substr(0, end));
    s.remove_prefix(end);
    while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  }
  return out;
}

// One instruction as the Dockerfile parser splits it.
struct Instruction {
  std::string command;             // as written
  std::vector<std::string> flags;  // the "--name=value" words before the arguments
  std::string args;                // the rest of the line, trimmed
  std::string original;            // the whole logical line
};

// ExtractFlags reads the leading words of rest that start with "--" (quotes and escapes removed),
// up to the first other word or a lone "--"; it returns the flags and leaves rest at what follows.
std::vector<std::string> ExtractFlags(std::string_view& rest) {
  std::vector<std::string> flags;
  size_t pos = 0;
  while (true) {
    while (pos < rest.size() && IsSpace(rest[pos])) ++pos;
    if (pos + 1 >= rest.size() || rest[pos] != '-' || rest[pos + 1] != '-') break;
    std::string word;
    char quote = 0;
    for (; pos < rest.size() && (quote != 0 || !IsSpace(rest[pos])); ++pos) {
      char c = rest[pos];
      if (quote == 0 && (c == '\'' || c == '"')) {
        quote = c;
      } else if (c == quote) {
        quote = 0;
      } else if (c == kEscape && pos + 1 < rest.size()) {
        word.push_back(rest[++pos]);
      } else if (c != kEscape) {
        word.push_back(c);
      }
    }
    if (word == "--") break;
    flags.push_back(std::move(word));
  }
  rest = TrimSpace(rest.substr(std::min(pos, rest.size())));
  return flags;
}

Instruction SplitInstruction(std::string line) {
  Instruction ins;
  std::string_view s = TrimSpace(line);
  size_t end = 0;
  while (end < s.size() && !IsBlank(s[end])) ++end;
  ins.command = std::string(s.substr(0, end));
  std::string_view rest = TrimSpace(s.substr(end));
  ins.flags = ExtractFlags(rest);
  ins.args = std::string(rest);
  ins.original = std::move(line);
  return ins;
}

// TrimContinuation removes a trailing escape (and the blanks after it) that continues the line on
// the next one; it says whether it did.
bool TrimContinuation(std::string& line) {
  size_t end = line.size();
  while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t')) --end;
  if (end == 0 || line[end - 1] != kEscape) return false;
  if (end >= 2 && line[end - 2] == kEscape) return false;
  line.resize(end - 1);
  return true;
}

std::string_view Chomp(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

bool IsComment(std::string_view line) {
  line = TrimLeft(line);
  return !line.empty() && line.front() == '#';
}

// SplitChanges reads the changes, joined by newlines, as the lines of a Dockerfile.
Result<std::vector<Instruction>> SplitChanges(const std::vector<std::string>& changes) {
  std::vector<std::string> lines = Split(Join(changes, "\n"), '\n');
  std::vector<Instruction> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view first = TrimLeft(Chomp(lines[i]));
    std::string line = IsComment(first) ? std::string() : std::string(first);
    bool more = TrimContinuation(line);
    if (!more && line.empty()) continue;
    while (more && i + 1 < lines.size()) {
      std::string_view next = Chomp(lines[++i]);
      if (IsComment(next) || TrimLeft(next).empty()) continue;
      std::string part(next);
      more = TrimContinuation(part);
      line += part;
    }
    out.push_back(SplitInstruction(std::move(line)));
  }
  if (out.empty()) return Invalid("apply changes: file with no instructions");
  return out;
}

// ---- Arguments, as the parser reads each instruction's ----

// MaybeJson reads a JSON array of strings (the exec form); nullopt when args is not JSON (the
// shell form); an error for an array with other elements.
Result<std::optional<std::vector<std::string>>> MaybeJson(std::string_view args) {
  args = TrimLeft(args);
  if (args.empty() || args.front() != '[') return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(args, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const nlohmann::json& e : j) {
    if (!e.is_string()) {
      return Invalid("when using JSON array syntax, arrays must be comprised of strings only");
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

// A command line of CMD or ENTRYPOINT: the exec form as given, or the shell form as one string.
struct CommandLine {
  std::vector<std::string> args;
  bool shell = false;
};

Result<CommandLine> ParseCommandLine(std::string_view args) {
  BERTH_ASSIGN_OR_RETURN(auto json, MaybeJson(args));
  if (json) return CommandLine{std::move(*json), false};
  if (args.empty()) return CommandLine{{}, true};
  return CommandLine{{std::string(args)}, true};
}

// ParseWords splits args at unquoted blanks, keeping quotes and escapes for the lexer.
std::vector<std::string> ParseWords(std::string_view args) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    char c = args[i];
    if (quote == 0 && IsSpace(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == kEscape && quote != '\'') {
      if (i + 1 == args.size()) continue;
      word.push_back(c);
      c = args[++i];
    } else if (quote == 0 && (c == '\'' || c == '"')) {
      quote = c;
    } else if (c == quote) {
      quote = 0;
    }
    word.push_back(c);
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

struct KeyValue {
  std::string key;
  std::string value;
};

// ParseNameValues reads ENV and LABEL arguments: "name=value ..." or the old "name value".
Result<std::vector<KeyValue>> ParseNameValues(std::string_view command, std::string_view args) {
  std::vector<std::string> words = ParseWords(args);
  if (words.empty()) return Invalid(fmt::format("{} requires at least one argument", command));
  std::vector<KeyValue> out;
  if (words.front().find('=') == std::string::npos) {
    std::vector<std::string> parts = SplitBlank(args, 2);
    if (parts.size() < 2) return Invalid(fmt::format("{} must have two arguments", command));
    out.push_back({parts[0], parts[1]});
  } else {
    for (const std::string& word : words) {
      size_t eq = word.find('=');
      if (eq == std::string::npos) {
        return Invalid(fmt::format(
            "Syntax error - can't find = in \"{}\". Must be of the form: name=value", word));
      }
      out.push_back({word.substr(0, eq), word.substr(eq + 1)});
    }
  }
  for (const KeyValue& kv : out) {
    if (kv.key.empty()) return Invalid(fmt::format("{} names can not be blank", command));
  }
  return out;
}

Result<std::string> ExactlyOne(std::string_view command, const std::string& args) {
  if (args.empty()) return Invalid(fmt::format("{} requires exactly one argument", command));
  return args;
}

// CheckFlags parses flags as docker's builder flags: "--name=value" for the names in allowed.
Result<std::map<std::string, std::string>> ParseFlags(const std::vector<std::string>& flags,
                                                      const std::vector<std::string>& allowed) {
  std::map<std::string, std::string> out;
  for (const std::string& flag : flags) {
    if (flag.rfind("--", 0) != 0) return Invalid("arg should start with -- : " + flag);
    std::string_view body = std::string_view(flag).substr(2);
    std::string name(body.substr(0, body.find('=')));
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return Invalid("unknown flag: " + name);
    }
    if (out.contains(name)) return Invalid("duplicate flag specified: " + name);
    if (name.size() == body.size()) return Invalid("missing a value on flag: " + name);
    out[name] = std::string(body.substr(name.size() + 1));
  }
  return out;
}

// ---- Effects on the config ----

struct State {
  ContainerConfig config;
  bool cmd_set = false;  // a CMD with arguments ran: a later ENTRYPOINT keeps Cmd
};

std::vector<std::string> WithShell(const ContainerConfig& config, const CommandLine& line) {
  std::vector<std::string> out = config.shell;
  if (out.empty()) out = {"/bin/sh", "-c"};
  out.insert(out.end(), line.args.begin(), line.args.end());
  return out;
}

Status DoCmd(State& state, const Instruction& ins) {
  BERTH_ASSIGN_OR_RETURN(CommandLine line, ParseCommandLine(ins.args));
  state.config.cmd = line.shell ? WithShell(state.config, line) : line.args;
  state.config.args_escaped = false;
  if (!line.args.empty()) state.cmd_set = true;
  return Ok();
}

Status DoEntrypoint(State& state, const Instruction& ins) {
  BERTH_ASSIGN_OR_RETURN(CommandLine line, ParseCommandLine(ins.args));
  if (line.args.empty()) {
    state.config.entrypoint.reset();
  } else {
    state.config.entrypoint = line.shell ? WithShell(state.config, line) : line.args;
  }
  state.config.args_escaped = false;
  if (!state.cmd_set) state.config.cmd.reset();
  return Ok();
}

Result<std::vector<KeyValue>> ExpandedPairs(const State& state, const Instruction& ins) {
  BERTH_ASSIGN_OR_RETURN(std::vector<KeyValue> pairs,
                         ParseNameValues(Upper(ins.command), ins.args));
  ChangesLexer lexer(state.config.env);
  for (KeyValue& kv : pairs) {
    BERTH_ASSIGN_OR_RETURN(kv.key, lexer.Word(kv.key));
    BERTH_ASSIGN_OR_RETURN(kv.value, lexer.Word(kv.value));
  }
  return pairs;
}

Status DoEnv(State& state, const Instruction& ins) {
  BERTH_ASSIGN_OR_RETURN(std::vector<KeyValue> pairs, ExpandedPairs(state, ins));
  std::vector<std::string>& env = state.config.env;
  for (const KeyValue& kv : pairs) {
    std::string entry = kv.key + "=" + kv.value;
    auto same = std::find_if(env.begin(), env.end(), [&](const std::string& e) {
      return std::string_view(e).substr(0, e.find('=')) == kv.key;
    });
    if (same != env.end()) {
      *same = std::move(entry);
    } else {
      env.push_back(std::move(entry));
    }
  }
  return Ok();
}

Status DoLabel(State& state, const Instruction& ins) {
  BERTH_ASSIGN_OR_RETURN(std::vector<KeyValue> pairs, ExpandedPairs(state, ins));
  for (KeyValue& kv : pairs) state.config.labels[kv.key] = std::move(kv.value);
  return Ok();
}

// PortRange reads "N" or "N-M" (0-65535, N <= M).
std::optional<std::pair<int, int>> PortRange(std::string_view s) {
  std::string_view first = s.substr(0, s.find('-'));
  std::string_view last = first.size() < s.size() ? s.substr(first.size() + 1) : first;
  Result<uint64_t> start = ParseUint64(first);
  Result<uint64_t> end = ParseUint64(last);
  if (!start || !end || *end > 65535 || *start > *end) return std::nullopt;
  return std::pair<int, int>(static_cast<int>(*start), static_cast<int>(*end));
}

// ExposePort adds the ports of one EXPOSE spec: [[ip:]host_port:]port[-end][/proto].
Status ExposePort(ContainerConfig& config, const std::string& spec) {
  std::vector<std::string> parts = Split(spec, ':');
  std::string container = parts.back();
  std::string host = parts.size() >= 2 ? parts[parts.size() - 2] : "";
  std::string ip;
  if (parts.size() >= 3) {
    ip = Join(std::vector<std::string>(parts.begin(), parts.end() - 2), ":");
  }
  std::string proto = "tcp";
  if (size_t slash = container.find('/'); slash != std::string::npos) {
    if (slash + 1 < container.size()) proto = container.substr(slash + 1);
    container.resize(slash);
  }
  if (container.empty()) return Invalid(fmt::format("no port specified: {}<empty>", spec));
  for (char& c : proto) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  if (proto != "tcp" && proto != "udp" && proto != "sctp")
    return Invalid("invalid proto: " + proto);
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  unsigned char addr[16];
  if (!ip.empty() && inet_pton(AF_INET, ip.c_str(), addr) != 1 &&
      inet_pton(AF_INET6, ip.c_str(), addr) != 1) {
    return Invalid(fmt::format("invalid IP address: ParseAddr(\"{}\"): unable to parse IP", ip));
  }
  std::optional<std::pair<int, int>> ports = PortRange(container);
  if (!ports) return Invalid("invalid containerPort: " + container);
  if (!host.empty()) {
    std::optional<std::pair<int, int>> host_ports = PortRange(host);
    if (!host_ports) return Invalid("invalid hostPort: " + host);
    if (ports->second - ports->first != host_ports->second - host_ports->first &&
        ports->first != ports->second) {
      return Invalid(fmt::format("invalid ranges specified for container and host Ports: {} and {}",
                                 container, host));
    }
  }
  for (int port = ports->first; port <= ports->second; ++port) {
    config.exposed_ports.insert(fmt::format("{}/{}", port, proto));
  }
  return Ok();
}

Status DoExpose(State& state, const Instruction& ins) {
  std::vector<std::string> specs = SplitBlank(ins.args);
  if (specs.empty()) return Invalid("EXPOSE requires at least one argument");
  ChangesLexer lexer(state.config.env);
  for (const std::string& spec : specs) {
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> ports, lexer.Words(spec));
    for (const std::string& port : ports) BERTH_TRY(ExposePort(state.config, port));
  }
  return Ok();
}

Result<int64_t> HealthInterval(const std::map<std::string, std::string>& flags,
                               const std::string& name) {
  auto it = flags.find(name);
  if (it == flags.end() || it->second.empty()) return 0;
  BERTH_ASSIGN_OR_RETURN(std::chrono::nanoseconds d, ParseGoDuration(it->second));
  if (d.count() != 0 && d < std::chrono::milliseconds(1)) {
    return Invalid(fmt::format("Interval \"{}\" cannot be less than 1ms", name));
  }
  return d.count();
}

Status DoHealthcheck(State& state, const Instruction& ins) {
  std::string_view args = ins.args;
  size_t sep = 0;
  while (sep < args.size() && !IsSpace(args[sep])) ++sep;
  if (sep == 0) return Invalid("HEALTHCHECK requires at least one argument");
  std::string type = Upper(args.substr(0, sep));
  std::string_view rest = TrimLeft(args.substr(sep));
  oci::Healthcheck health;
  if (type == "NONE") {
    if (!rest.empty()) return Invalid("HEALTHCHECK NONE takes no arguments");
    health.test = {"NONE"};
    state.config.healthcheck = health;
    return Ok();
  }
  BERTH_ASSIGN_OR_RETURN(auto flags, ParseFlags(ins.flags, {"interval", "timeout", "start-period",
                                                            "start-interval", "retries"}));
  if (type != "CMD")
    return Invalid(fmt::format("Unknown type \"{}\" in HEALTHCHECK (try CMD)", type));
  BERTH_ASSIGN_OR_RETURN(CommandLine line, ParseCommandLine(rest));
  if (line.args.empty()) return Invalid("Missing command after HEALTHCHECK CMD");
  health.test = {line.shell ? "CMD-SHELL" : "CMD"};
  health.test.insert(health.test.end(), line.args.begin(), line.args.end());
  BERTH_ASSIGN_OR_RETURN(health.interval_ns, HealthInterval(flags, "interval"));
  BERTH_ASSIGN_OR_RETURN(health.timeout_ns, HealthInterval(flags, "timeout"));
  BERTH_ASSIGN_OR_RETURN(health.start_period_ns, HealthInterval(flags, "start-period"));
  BERTH_ASSIGN_OR_RETURN(health.start_interval_ns, HealthInterval(flags, "start-interval"));
  if (auto it = flags.find("retries"); it != flags.end() && !it->second.empty()) {
    Result<int64_t> retries = ParseInt64(it->second);
    if (!retries || *retries > INT32_MAX || *retries < INT32_MIN) {
      return Invalid(fmt::format("strconv.ParseInt: parsing \"{}\": invalid syntax", it->second));
    }
    if (*retries < 0) return Invalid(fmt::format("--retries cannot be negative ({})", *retries));
    health.retries = static_cast<int>(*retries);
  }
  state.config.healthcheck = std::move(health);
  return Ok();
}

Status DoOnbuild(State& state, const Instruction& ins) {
  if (ins.args.empty()) return Invalid("ONBUILD requires at least one argument");
  std::string trigger = Upper(SplitBlank(ins.args, 2).front());
  if (trigger == "ONBUILD") return Invalid("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (trigger == "MAINTAINER" || trigger == "FROM") {
    return Invalid(fmt::format("{} isn't allowed as an ONBUILD trigger", trigger));
  }
  // The trigger is kept as written: the logical line without its "ONBUILD" keyword.
  std::string_view expression = TrimLeft(ins.original);
  expression.remove_prefix(ins.command.size());
  state.config.on_build.emplace_back(TrimLeft(expression));
  return Ok();
}

bool IsSignal(const std::string& text) {
  if (Result<int64_t> number = ParseInt64(text)) return *number > 0 && *number < NSIG;
  std::string name = Upper(text);
  if (name.rfind("SIG", 0) == 0) name.erase(0, 3);
  if (name == "CLD" || name == "IOT" || name == "POLL") return true;  // aliases of CHLD, ABRT, IO
  for (int sig = 1; sig < SIGRTMIN; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev != nullptr && name == abbrev) return true;
  }
  const int realtime = SIGRTMAX - SIGRTMIN;
  for (int n = 0; n <= realtime; ++n) {
    if (name == (n == 0 ? "RTMIN" : fmt::format("RTMIN+{}", n))) return true;
    if (name == (n == 0 ? "RTMAX" : fmt::format("RTMAX-{}", n))) return true;
  }
  return false;
}

Status DoStopSignal(State& state, const Instruction& ins) {
  BERTH_ASSIGN_OR_RETURN(std::string raw, ExactlyOne("STOPSIGNAL", ins.args));
  BERTH_ASSIGN_OR_RETURN(std::string signal, ChangesLexer(state.config.env).Word(raw));
  if (!IsSignal(signal)) return Invalid("invalid signal: " + signal);
  state.config.stop_signal = std::move(signal);
  return Ok();
}

Status DoUser(State& state, const Instruction& ins) {
  BERTH_ASSIGN_OR_RETURN(std::string raw, ExactlyOne("USER", ins.args));
  BERTH_ASSIGN_OR_RETURN(state.config.user, ChangesLexer(state.config.env).Word(raw));
  return Ok();
}

Status DoVolume(State& state, const Instruction& ins) {
  BERTH_ASSIGN_OR_RETURN(auto json, MaybeJson(ins.args));
  std::vector<std::string> volumes = json ? std::move(*json) : SplitBlank(ins.args);
  if (volumes.empty()) return Invalid("VOLUME requires at least one argument");
  ChangesLexer lexer(state.config.env);
  std::vector<std::string> expanded;
  for (const std::string& raw : volumes) {
    if (TrimSpace(raw).empty()) return Invalid("VOLUME specified can not be an empty string");
    BERTH_ASSIGN_OR_RETURN(std::string volume, lexer.Word(TrimSpace(raw)));
    if (volume.empty()) return Invalid("VOLUME specified can not be an empty string");
    expanded.push_back(std::move(volume));
  }
  state.config.volumes.insert(expanded.begin(), expanded.end());
  return Ok();
}

Status DoWorkdir(State& state, const Instruction& ins) {
  BERTH_ASSIGN_OR_RETURN(std::string raw, ExactlyOne("WORKDIR", ins.args));
  BERTH_ASSIGN_OR_RETURN(std::string dir, ChangesLexer(state.config.env).Word(raw));
  if (dir.empty()) return Invalid("cannot normalize nothing");
  state.config.working_dir =
      GoClean("/" + (dir.front() == '/' ? dir : state.config.working_dir + "/" + dir));
  return Ok();
}

using Handler = Status (*)(State&, const Instruction&);

// The instructions docker accepts as changes. Those without flags of their own refuse any.
struct Command {
  std::string_view name;
  Handler handler;
  bool checks_flags;
};

constexpr Command kCommands[] = {
    {"cmd", DoCmd, true},         {"entrypoint", DoEntrypoint, true},    {"env", DoEnv, true},
    {"expose", DoExpose, true},   {"healthcheck", DoHealthcheck, false}, {"label", DoLabel, true},
    {"onbuild", DoOnbuild, true}, {"stopsignal", DoStopSignal, false},   {"user", DoUser, true},
    {"volume", DoVolume, true},   {"workdir", DoWorkdir, true},
};

Status Dispatch(State& state, const Instruction& ins) {
  std::string lower(ins.command);
  for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  for (const Command& command : kCommands) {
    if (command.name != lower) continue;
    if (command.checks_flags) BERTH_TRY(ParseFlags(ins.flags, {}));
    return command.handler(state, ins);
  }
  return Invalid(fmt::format("{} is not a valid change command", ins.command));
}

}  // namespace

Result<ContainerConfig> ApplyChanges(ContainerConfig config,
                                     const std::vector<std::string>& changes) {
  if (changes.empty()) return config;
  BERTH_ASSIGN_OR_RETURN(std::vector<Instruction> instructions, SplitChanges(changes));
  State state{std::move(config)};
  for (const Instruction& ins : instructions) {
    BERTH_TRY(Annotate(Dispatch(state, ins), fmt::format("apply change \"{}\"", ins.original)));
  }
  return std::move(state.config);
}

}  // namespace berth::image::store
