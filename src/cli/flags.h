// Command-line flags parsed as docker's CLI parses them (spf13/pflag): long flags "--name value"
// and "--name=value", shorthands "-d", grouped "-it", "-eK=V" and "-e K=V", "--" ending the
// flags, repeatable list flags; with interspersed off (run, create, exec) the first positional
// argument ends the flags and everything after it is kept as it is. Errors use pflag's words
// ("unknown flag: --foo"). Not thread-safe; targets must outlive the FlagSet.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::cli {

class FlagSet {
 public:
  using Setter = std::function<Status(std::string_view value)>;

  // names is "d,detach" (shorthand, long name) or "rm" (long only). Bool flags take no value
  // unless given as --flag=false.
  void Bool(bool* target, std::string_view names, std::string_view usage);
  void String(std::string* target, std::string_view names, std::string_view usage);
  void Strings(std::vector<std::string>* target, std::string_view names, std::string_view usage);
  void Int(int64_t* target, std::string_view names, std::string_view usage);
  // Custom calls set with each value given (a bad value's error becomes pflag's
  // "invalid argument" message).
  void Custom(std::string_view names, std::string_view usage, Setter set);

  // Parse reads flags from args and returns the positional arguments; --help and -h set help().
  Result<std::vector<std::string>> Parse(const std::vector<std::string>& args,
                                         bool interspersed = true);
  // Changed says whether the flag (by its long name) was given.
  bool Changed(std::string_view long_name) const;
  bool help() const { return help_; }
  // Usage lists the flags, one a line, as docker's help does.
  std::string Usage() const;

 private:
  struct Flag {
    char shorthand = 0;
    std::string name;
    std::string usage;
    std::string type;  // "" for bool, else the value's name shown in help ("string", "list")
    Setter set;
    bool changed = false;
  };
  void Add(std::string_view names, std::string_view usage, std::string type, Setter set);
  Flag* FindLong(std::string_view name);
  Flag* FindShort(char c);
  Status Set(Flag& flag, std::string_view value);

  std::vector<Flag> flags_;
  bool help_ = false;
};

}  // namespace berth::cli
