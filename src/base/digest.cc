#include "base/digest.h"

#include <openssl/evp.h>

#include "base/check.h"

namespace berth {

struct Sha256::State {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  state_->ctx = EVP_MD_CTX_new();
  BERTH_CHECK(state_->ctx != nullptr);
  BERTH_CHECK(EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr) == 1);
}

Sha256::~Sha256() {
  if (state_) EVP_MD_CTX_free(state_->ctx);
}

Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::Update(std::string_view data) {
  BERTH_CHECK(EVP_DigestUpdate(state_->ctx, data.data(), data.size()) == 1);
}

std::string Sha256::HexDigest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  BERTH_CHECK(EVP_DigestFinal_ex(state_->ctx, md, &len) == 1);
  static const char kHex[] = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned i = 0; i < len; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 0xf];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.HexDigest();
}

Result<Digest> Digest::Parse(std::string_view s) {
  size_t colon = s.find(':');
  auto invalid = [&](std::string_view why) {
    return Fail(ErrorKind::kInvalidArgument,
                "invalid digest \"" + std::string(s) + "\": " + std::string(why));
  };
  if (colon == std::string_view::npos) return invalid("missing algorithm");
  std::string_view algorithm = s.substr(0, colon);
  std::string_view hex = s.substr(colon + 1);
  size_t want = 0;
  if (algorithm == "sha256") {
    want = 64;
  } else if (algorithm == "sha512") {
    want = 128;
  } else {
    return invalid("unsupported algorithm");
  }
  if (hex.size() != want) return invalid("wrong length");
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return invalid("not lowercase hex");
  }
  return Digest{std::string(algorithm), std::string(hex)};
}

Digest Digest::OfSha256(std::string_view data) { return Digest{"sha256", Sha256Hex(data)}; }

}  // namespace berth
