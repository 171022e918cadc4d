// Content digests as the OCI image spec writes them: "algorithm:hex". Sha256 hashes incrementally
// (OpenSSL); Digest parses and validates the string form.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void Update(std::string_view data);
  // HexDigest finishes the hash; the object must not be updated afterwards.
  std::string HexDigest();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

std::string Sha256Hex(std::string_view data);

struct Digest {
  std::string algorithm;  // "sha256" or "sha512"
  std::string hex;

  static Result<Digest> Parse(std::string_view s);
  static Digest OfSha256(std::string_view data);
  std::string String() const { return algorithm + ":" + hex; }
  bool operator==(const Digest&) const = default;
};

}  // namespace berth
