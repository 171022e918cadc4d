#include "cli/cli.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace berth::cli {

Result<client::Client*> Cli::Client() {
  if (!client_) {
    BERTH_ASSIGN_OR_RETURN(client::Client made,
                           client::Client::Create({.host = options_.host,
                                                   .api_version = options_.api_version,
                                                   .tls = client::TlsConfigOf(options_.tls)}));
    client_ = std::make_unique<client::Client>(std::move(made));
  }
  return client_.get();
}

namespace {

std::string Plural(size_t n) { return n == 1 ? "argument" : "arguments"; }

// ArityError words a wrong number of arguments as docker's cli.RequiresMinArgs and friends.
std::optional<std::string> ArityError(const Arity& arity, size_t n) {
  switch (arity.kind) {
    case Arity::Kind::kAny:
      return std::nullopt;
    case Arity::Kind::kExactly:
      if (n == arity.min) return std::nullopt;
      return fmt::format("requires exactly {} {}", arity.min, Plural(arity.min));
    case Arity::Kind::kAtLeast:
      if (n >= arity.min) return std::nullopt;
      return fmt::format("requires at least {} {}", arity.min, Plural(arity.min));
    case Arity::Kind::kAtMost:
      if (n <= arity.max) return std::nullopt;
      return arity.max == 0 ? std::string("accepts no arguments")
                            : fmt::format("requires at most {} {}", arity.max, Plural(arity.max));
    case Arity::Kind::kRange:
      if (n >= arity.min && n <= arity.max) return std::nullopt;
      return fmt::format("requires at least {} and at most {} arguments", arity.min, arity.max);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::vector<std::string>> Cli::Parse(FlagSet& flags,
                                                   const std::vector<std::string>& args,
                                                   const CommandSpec& spec) {
  const std::string usage_line = fmt::format("Usage:  berth {} {}", spec.path, spec.usage);
  Result<std::vector<std::string>> positional = flags.Parse(args, spec.interspersed);
  if (flags.help()) {
    Out(fmt::format("\n{}\n\n{}\n\nOptions:\n{}", usage_line, spec.summary, flags.Usage()));
    exit_code_ = 0;
    return std::nullopt;
  }
  if (!positional) {
    Err(fmt::format("{}\nSee 'berth {} --help'.\n", positional.error().message(), spec.path));
    exit_code_ = 125;
    return std::nullopt;
  }
  if (std::optional<std::string> wrong = ArityError(spec.arity, positional->size())) {
    Err(fmt::format("\"berth {}\" {}.\nSee 'berth {} --help'.\n\n{}\n\n{}\n", spec.path, *wrong,
                    spec.path, usage_line, spec.summary));
    exit_code_ = 1;
    return std::nullopt;
  }
  return std::move(*positional);
}

void Cli::Out(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

void Cli::Err(std::string_view text) {
  std::fflush(stdout);
  std::fwrite(text.data(), 1, text.size(), stderr);
}

bool Cli::OutIsTerminal() { return isatty(STDOUT_FILENO) == 1; }
bool Cli::InIsTerminal() { return isatty(STDIN_FILENO) == 1; }

}  // namespace berth::cli
