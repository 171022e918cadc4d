// A volume of the local driver as berth keeps it, and the pure rules docker applies to one: names
// ([a-zA-Z0-9][a-zA-Z0-9_.-]+), anonymous names (64 hex digits), the driver options (type, device,
// o: mount(8)'s words, mounted at first use) and the JSON record kept beside the volume's data.
// Pure, thread-safe. Errors are kInvalidArgument with docker's words.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::volume {

inline constexpr const char* kLocalDriver = "local";
// docker marks anonymous volumes with this label (empty value); prune removes only those unless
// told all=true (API 1.42 and later).
inline constexpr const char* kAnonymousLabel = "com.docker.volume.anonymous";

struct Volume {
  std::string name;
  std::string driver = kLocalDriver;
  std::string created_at;                      // RFC 3339, as docker shows CreatedAt
  std::map<std::string, std::string> labels;   // kAnonymousLabel for an anonymous volume
  std::map<std::string, std::string> options;  // DriverOpts: type, device, o
  std::string mountpoint;                      // <root>/<name>/_data (not stored)

  bool Anonymous() const { return labels.contains(kAnonymousLabel); }
};

// CheckName is docker's check of a local volume name: "create NAME: ..." errors with docker's
// messages for a name of one character or with other characters.
Status CheckName(std::string_view name);

// NewAnonymousName is 64 random hex digits.
std::string NewAnonymousName();

// What the options ask to mount on the volume's directory at its first use (mount(8)'s type,
// device and comma-separated options).
struct FilesystemMount {
  std::string type;
  std::string device;
  std::string options;
};

// ParseOptions checks DriverOpts as docker's local driver does (keys type, device, o; "invalid
// option: \"k\""; a type without a device: "missing device in volume options") and returns the
// mount they describe, nullopt for a plain directory.
Result<std::optional<FilesystemMount>> ParseOptions(const std::map<std::string, std::string>& opts);

// The record (volume.json): Name, Driver, CreatedAt, Labels, Options. Decode checks the name.
std::string EncodeVolume(const Volume& volume);
Result<Volume> DecodeVolume(std::string_view text);

}  // namespace berth::volume
