// Image references ("busybox", "localhost:5000/app:v1", "app@sha256:...") parsed and normalised
// as docker does (the grammar of distribution/reference): a domain, a repository path, an optional
// tag and an optional digest. Pure functions over values; thread-safe. Errors are kInvalidArgument
// and say what is wrong in which part of the input.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/digest.h"
#include "base/result.h"

namespace berth::image {

inline constexpr std::string_view kDefaultDomain = "docker.io";
inline constexpr std::string_view kDefaultTag = "latest";
// The longest name (domain, "/" and path) a reference may have.
inline constexpr size_t kNameTotalLengthMax = 255;

struct Reference {
  std::string domain;  // "docker.io", "localhost:5000", "[::1]:5000"
  std::string path;    // "library/busybox", "user/app"
  std::string tag;     // empty when the reference has none
  std::optional<Digest> digest;

  // Name is domain/path: "docker.io/library/busybox".
  std::string Name() const;
  // String is the full form: "docker.io/library/busybox:latest",
  // "docker.io/library/app@sha256:...".
  std::string String() const;
  // FamiliarString is the short form docker shows: docker.io/ and an official image's library/
  // left out ("busybox:latest", "user/app:v1", "localhost:5000/app").
  std::string FamiliarString() const;

  bool operator==(const Reference&) const = default;
};

// ParseNormalizedNamed is distribution/reference's function of that name: a name without a domain
// gets docker.io (and library/ when it has one component), index.docker.io becomes docker.io, and
// the tag stays empty when none is given. A first component counts as a domain when it has a "."
// or ":", is "localhost", or has an uppercase letter. A string of 64 hex digits alone is refused,
// as it is ambiguous with an image id. Unlike docker, a first component that reads as a domain but
// is not a valid host name ("my_registry.com/app") is refused instead of becoming a domainless
// name.
Result<Reference> ParseNormalizedNamed(std::string_view s);

// ParseReference is ParseNormalizedNamed plus the tag "latest" when neither a tag nor a digest is
// given: the reference `docker pull` resolves.
Result<Reference> ParseReference(std::string_view s);

// IsValidRepositoryPath says whether path is a repository name as a registry knows it (the
// distribution spec's <name>, without a domain): "[a-z0-9]+" runs joined by ".", "_", "__" or
// dashes, in components joined by "/", at most 255 characters.
bool IsValidRepositoryPath(std::string_view path);

// IsValidTag says whether tag is 1 to 128 of [A-Za-z0-9_.-], not starting with "." or "-".
bool IsValidTag(std::string_view tag);

}  // namespace berth::image
