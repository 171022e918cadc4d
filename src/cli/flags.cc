#include "cli/flags.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace berth::cli {

namespace {

// ParseBool reads a value as Go's strconv.ParseBool.
Result<bool> ParseBool(std::string_view value) {
  if (value == "1" || value == "t" || value == "T" || value == "true" || value == "TRUE" ||
      value == "True") {
    return true;
  }
  if (value == "0" || value == "f" || value == "F" || value == "false" || value == "FALSE" ||
      value == "False") {
    return false;
  }
  return Fail(ErrorKind::kInvalidArgument,
              fmt::format("strconv.ParseBool: parsing \"{}\": invalid syntax", value));
}

}  // namespace

void FlagSet::Add(std::string_view names, std::string_view usage, std::string type, Setter set) {
  Flag flag;
  std::vector<std::string> parts = Split(names, ',');
  if (parts.size() == 2) {
    flag.shorthand = parts[0][0];
    flag.name = parts[1];
  } else {
    flag.name = parts[0];
  }
  flag.usage = std::string(usage);
  flag.type = std::move(type);
  flag.set = std::move(set);
  flags_.push_back(std::move(flag));
}

void FlagSet::Bool(bool* target, std::string_view names, std::string_view usage) {
  Add(names, usage, "", [target](std::string_view value) -> Status {
    BERTH_ASSIGN_OR_RETURN(*target, ParseBool(value));
    return Ok();
  });
}

void FlagSet::String(std::string* target, std::string_view names, std::string_view usage) {
  Add(names, usage, "string", [target](std::string_view value) -> Status {
    *target = std::string(value);
    return Ok();
  });
}

void FlagSet::Strings(std::vector<std::string>* target, std::string_view names,
                      std::string_view usage) {
  Add(names, usage, "list", [target](std::string_view value) -> Status {
    target->emplace_back(value);
    return Ok();
  });
}

void FlagSet::Int(int64_t* target, std::string_view names, std::string_view usage) {
  Add(names, usage, "int", [target](std::string_view value) -> Status {
    Result<int64_t> n = ParseInt64(value);
    if (!n) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("strconv.ParseInt: parsing \"{}\": invalid syntax", value));
    }
    *target = *n;
    return Ok();
  });
}

void FlagSet::Custom(std::string_view names, std::string_view usage, Setter set) {
  Add(names, usage, "string", std::move(set));
}

FlagSet::Flag* FlagSet::FindLong(std::string_view name) {
  for (Flag& flag : flags_) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

FlagSet::Flag* FlagSet::FindShort(char c) {
  for (Flag& flag : flags_) {
    if (flag.shorthand == c) return &flag;
  }
  return nullptr;
}

bool FlagSet::Changed(std::string_view long_name) const {
  for (const Flag& flag : flags_) {
    if (flag.name == long_name) return flag.changed;
  }
  return false;
}

Status FlagSet::Set(Flag& flag, std::string_view value) {
  Status set = flag.set(value);
  if (!set) {
    std::string name =
        flag.shorthand ? fmt::format("-{}, --{}", flag.shorthand, flag.name) : "--" + flag.name;
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("invalid argument \"{}\" for \"{}\" flag: {}", value, name,
                            set.error().message()));
  }
  flag.changed = true;
  return Ok();
}

Result<std::vector<std::string>> FlagSet::Parse(const std::vector<std::string>& args,
                                                bool interspersed) {
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional.insert(positional.end(), args.begin() + static_cast<ptrdiff_t>(i) + 1, args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      if (!interspersed) {
        positional.insert(positional.end(), args.begin() + static_cast<ptrdiff_t>(i), args.end());
        break;
      }
      positional.push_back(arg);
      continue;
    }
    if (arg.starts_with("--")) {
      std::string_view body = std::string_view(arg).substr(2);
      size_t eq = body.find('=');
      std::string_view name = body.substr(0, eq);
      Flag* flag = FindLong(name);
      if (flag == nullptr) {
        if (name == "help") {
          help_ = true;
          continue;
        }
        return Fail(ErrorKind::kInvalidArgument, fmt::format("unknown flag: --{}", name));
      }
      if (eq != std::string_view::npos) {
        BERTH_TRY(Set(*flag, body.substr(eq + 1)));
      } else if (flag->type.empty()) {
        BERTH_TRY(Set(*flag, "true"));
      } else if (i + 1 < args.size()) {
        BERTH_TRY(Set(*flag, args[++i]));
      } else {
        return Fail(ErrorKind::kInvalidArgument, fmt::format("flag needs an argument: --{}", name));
      }
      continue;
    }
    std::string_view shorts = std::string_view(arg).substr(1);
    while (!shorts.empty()) {
      char c = shorts[0];
      shorts.remove_prefix(1);
      Flag* flag = FindShort(c);
      if (flag == nullptr) {
        if (c == 'h') {
          help_ = true;
          continue;
        }
        return Fail(ErrorKind::kInvalidArgument,
                    fmt::format("unknown shorthand flag: '{}' in {}", c, arg));
      }
      if (!shorts.empty() && shorts[0] == '=') {
        BERTH_TRY(Set(*flag, shorts.substr(1)));
        break;
      }
      if (flag->type.empty()) {
        BERTH_TRY(Set(*flag, "true"));
        continue;
      }
      if (!shorts.empty()) {
        BERTH_TRY(Set(*flag, shorts));
        break;
      }
      if (i + 1 >= args.size()) {
        return Fail(ErrorKind::kInvalidArgument,
                    fmt::format("flag needs an argument: '{}' in -{}", c, c));
      }
      BERTH_TRY(Set(*flag, args[++i]));
    }
  }
  return positional;
}

std::string FlagSet::Usage() const {
  std::string out;
  for (const Flag& flag : flags_) {
    std::string names = flag.shorthand ? fmt::format("  -{}, --{}", flag.shorthand, flag.name)
                                       : fmt::format("      --{}", flag.name);
    if (!flag.type.empty()) names += " " + flag.type;
    out += fmt::format("{:<32}{}\n", names, flag.usage);
  }
  return out;
}

}  // namespace berth::cli
