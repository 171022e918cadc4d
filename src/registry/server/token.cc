#include "registry/server/token.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/strings.h"

namespace berth::registry::server {
namespace {

// Tokens a little out of their time still pass: clocks of hosts differ (distribution allows a
// minute too).
constexpr std::chrono::seconds kLeeway{60};

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Store = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtx = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using EcSig = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

void FreeCertStack(STACK_OF(X509) * certs) { sk_X509_pop_free(certs, X509_free); }
using CertStack = std::unique_ptr<STACK_OF(X509), Deleter<STACK_OF(X509), FreeCertStack>>;

tl::unexpected<Error> Invalid(const std::string& what) {
  return Fail(ErrorKind::kUnauthenticated, "invalid token: " + what);
}

// Algorithm is what a JWS "alg" names: the digest, and the key type with, for ECDSA, the size of
// r and s in the signature.
struct Algorithm {
  const EVP_MD* md;
  int key_type;
  size_t ec_half = 0;
};

Result<Algorithm> AlgorithmOf(std::string_view alg) {
  if (alg == "RS256") return Algorithm{EVP_sha256(), EVP_PKEY_RSA};
  if (alg == "RS384") return Algorithm{EVP_sha384(), EVP_PKEY_RSA};
  if (alg == "RS512") return Algorithm{EVP_sha512(), EVP_PKEY_RSA};
  if (alg == "ES256") return Algorithm{EVP_sha256(), EVP_PKEY_EC, 32};
  if (alg == "ES384") return Algorithm{EVP_sha384(), EVP_PKEY_EC, 48};
  if (alg == "ES512") return Algorithm{EVP_sha512(), EVP_PKEY_EC, 66};
  return Invalid(fmt::format("unsupported signing algorithm \"{}\"", alg));
}

// DerSignature turns a JWS ECDSA signature (r and s, fixed size, concatenated) into the DER
// ECDSA-Sig-Value OpenSSL verifies.
Result<std::string> DerSignature(std::string_view raw, size_t half) {
  if (raw.size() != 2 * half) return Invalid("ECDSA signature of the wrong size");
  EcSig sig(ECDSA_SIG_new());
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(bytes, static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(bytes + half, static_cast<int>(half), nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return Fail(ErrorKind::kInternal, "decode ECDSA signature: out of memory");
  }
  unsigned char* der = nullptr;
  const int size = i2d_ECDSA_SIG(sig.get(), &der);
  if (size <= 0) return Fail(ErrorKind::kInternal, "encode ECDSA signature");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(size));
  OPENSSL_free(der);
  return out;
}

Status VerifySignature(EVP_PKEY* key, const Algorithm& algorithm, std::string_view signed_text,
                       std::string signature) {
  if (EVP_PKEY_get_base_id(key) != algorithm.key_type) {
    return Invalid("the signing key does not fit the token's algorithm");
  }
  if (algorithm.key_type == EVP_PKEY_EC) {
    BERTH_ASSIGN_OR_RETURN(signature, DerSignature(signature, algorithm.ec_half));
  }
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, algorithm.md, nullptr, key) != 1) {
    return Fail(ErrorKind::kInternal, "verify token: cannot set up the verification");
  }
  const int ok = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size());
  if (ok != 1) return Invalid("bad signature");
  return Ok();
}

Result<nlohmann::json> DecodeSegment(std::string_view segment, const char* what) {
  Result<std::string> text = Base64UrlDecode(segment);
  if (!text) return Invalid(std::string(what) + " is not base64url");
  nlohmann::json json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return Invalid(std::string(what) + " is not a JSON object");
  }
  return json;
}

std::string SpkiDer(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key, &der);
  if (size <= 0) return "";
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(size));
  OPENSSL_free(der);
  return out;
}

Result<std::vector<Scope>> AccessClaim(const nlohmann::json& claims) {
  std::vector<Scope> access;
  auto it = claims.find("access");
  if (it == claims.end() || it->is_null()) return access;
  if (!it->is_array()) return Invalid("access is not a list");
  for (const nlohmann::json& entry : *it) {
    if (!entry.is_object() || !entry.value("type", nlohmann::json()).is_string() ||
        !entry.value("name", nlohmann::json()).is_string()) {
      return Invalid("an access entry lacks its type or name");
    }
    Scope scope{entry["type"].get<std::string>(), entry["name"].get<std::string>(), {}};
    if (auto actions = entry.find("actions"); actions != entry.end() && actions->is_array()) {
      for (const nlohmann::json& action : *actions) {
        if (action.is_string()) scope.actions.push_back(action.get<std::string>());
      }
    }
    access.push_back(std::move(scope));
  }
  return access;
}

std::string StringClaim(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  return it != claims.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// CheckClaims checks the registered claims the token scheme requires.
Status CheckClaims(const nlohmann::json& claims, const TokenOptions& options,
                   std::chrono::system_clock::time_point now) {
  if (StringClaim(claims, "iss") != options.issuer) {
    return Invalid("not issued by " + options.issuer);
  }
  bool audience = StringClaim(claims, "aud") == options.service;
  if (auto aud = claims.find("aud"); aud != claims.end() && aud->is_array()) {
    for (const nlohmann::json& name : *aud) {
      audience = audience || (name.is_string() && name.get<std::string>() == options.service);
    }
  }
  if (!audience) return Invalid("not meant for service " + options.service);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  const nlohmann::json exp = claims.value("exp", nlohmann::json());
  if (!exp.is_number()) return Invalid("no expiry (exp)");
  if (seconds > std::chrono::seconds(exp.get<int64_t>()) + kLeeway) return Invalid("expired");
  const nlohmann::json nbf = claims.value("nbf", nlohmann::json());
  if (!nbf.is_null() && !nbf.is_number()) return Invalid("nbf is not a number");
  if (nbf.is_number() && seconds < std::chrono::seconds(nbf.get<int64_t>()) - kLeeway) {
    return Invalid("not valid yet");
  }
  return Ok();
}

// ChainKey verifies an x5c header (base64 DER certificates, the signer's first) up to a root
// certificate and returns the signer's key.
Result<PKey> ChainKey(const X509_STORE* roots, const nlohmann::json& x5c) {
  if (!x5c.is_array() || x5c.empty()) return Invalid("x5c is not a list of certificates");
  CertStack chain(sk_X509_new_null());
  for (const nlohmann::json& entry : x5c) {
    Result<std::string> der = Fail(ErrorKind::kInvalidArgument, "not a string");
    if (entry.is_string()) der = Base64Decode(entry.get<std::string>());
    const auto* p = der ? reinterpret_cast<const unsigned char*>(der->data()) : nullptr;
    Cert cert(p != nullptr ? d2i_X509(nullptr, &p, static_cast<long>(der->size())) : nullptr);
    if (!cert) return Invalid("an x5c entry is not a base64 DER certificate");
    sk_X509_push(chain.get(), cert.release());
  }
  X509* leaf = sk_X509_value(chain.get(), 0);
  StoreCtx ctx(X509_STORE_CTX_new());
  if (!ctx ||
      X509_STORE_CTX_init(ctx.get(), const_cast<X509_STORE*>(roots), leaf, chain.get()) != 1) {
    return Fail(ErrorKind::kInternal, "verify token: cannot set up the chain verification");
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    return Invalid(fmt::format("its certificate chain does not lead to a root certificate: {}",
                               X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()))));
  }
  PKey key(X509_get_pubkey(leaf));
  if (!key) return Invalid("the signing certificate has no usable key");
  return key;
}

}  // namespace

struct TokenVerifier::Keys {
  Store roots;
  std::map<std::string, PKey, std::less<>> by_kid;  // libtrust key id → a root's public key
};

std::string Scope::String() const {
  return fmt::format("{}:{}:{}", type, name, Join(actions, ","));
}

bool Grants(const std::vector<Scope>& granted, const Scope& needed, std::string_view action) {
  for (const Scope& scope : granted) {
    if (scope.type != needed.type || scope.name != needed.name) continue;
    for (const std::string& allowed : scope.actions) {
      if (allowed == action || allowed == "*") return true;
    }
  }
  return false;
}

std::string LibtrustKeyId(std::string_view spki_der) {
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(spki_der.data(), spki_der.size(), hash, &size, EVP_sha256(), nullptr);
  // Base32 (RFC 4648 alphabet) of the first 30 bytes: 48 characters, no padding.
  constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string base32;
  for (size_t i = 0; i < 30; i += 5) {
    uint64_t group = 0;
    for (size_t j = 0; j < 5; ++j) group = (group << 8) | hash[i + j];
    for (int shift = 35; shift >= 0; shift -= 5) base32 += kAlphabet[(group >> shift) & 0x1f];
  }
  std::string out;
  for (size_t i = 0; i < base32.size(); i += 4) {
    if (i > 0) out += ':';
    out += base32.substr(i, 4);
  }
  return out;
}

TokenVerifier::TokenVerifier(TokenOptions options, std::shared_ptr<const Keys> keys)
    : options_(std::move(options)), keys_(std::move(keys)) {}

Result<TokenVerifier> TokenVerifier::Load(const TokenOptions& options) {
  const std::pair<const char*, const std::string*> required[] = {
      {"realm", &options.realm},
      {"service", &options.service},
      {"issuer", &options.issuer},
      {"rootcertbundle", &options.rootcertbundle}};
  for (const auto& [flag, value] : required) {
    if (value->empty()) {
      return Fail(ErrorKind::kInvalidArgument,
                  fmt::format("token authentication needs --auth-token-{}", flag));
    }
  }
  BERTH_ASSIGN_OR_RETURN(std::string pem, ReadFile(options.rootcertbundle));
  auto keys = std::make_shared<Keys>();
  keys->roots.reset(X509_STORE_new());
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!keys->roots || !bio) return Fail(ErrorKind::kInternal, "load root certificates");
  while (Cert cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
    PKey key(X509_get_pubkey(cert.get()));
    if (!key) {
      return Fail(ErrorKind::kInvalidArgument,
                  options.rootcertbundle + ": a certificate without a usable public key");
    }
    keys->by_kid.emplace(LibtrustKeyId(SpkiDer(key.get())), std::move(key));
    X509_STORE_add_cert(keys->roots.get(), cert.get());
  }
  ERR_clear_error();  // the read past the last certificate
  if (keys->by_kid.empty()) {
    return Fail(ErrorKind::kInvalidArgument,
                options.rootcertbundle + ": no PEM certificate in the root certificate bundle");
  }
  return TokenVerifier(options, std::move(keys));
}

Result<std::vector<Scope>> TokenVerifier::Verify(std::string_view token,
                                                 std::chrono::system_clock::time_point now) const {
  const size_t first = token.find('.');
  const size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Invalid("not a JWT (three dot-separated parts)");
  }
  BERTH_ASSIGN_OR_RETURN(nlohmann::json header, DecodeSegment(token.substr(0, first), "header"));
  BERTH_ASSIGN_OR_RETURN(nlohmann::json claims,
                         DecodeSegment(token.substr(first + 1, second - first - 1), "claims"));
  Result<std::string> signature = Base64UrlDecode(token.substr(second + 1));
  if (!signature) return Invalid("the signature is not base64url");
  const nlohmann::json alg = header.value("alg", nlohmann::json());
  BERTH_ASSIGN_OR_RETURN(Algorithm algorithm,
                         AlgorithmOf(alg.is_string() ? alg.get<std::string>() : ""));
  PKey chain_key;
  EVP_PKEY* key = nullptr;
  if (header.contains("x5c")) {
    BERTH_ASSIGN_OR_RETURN(chain_key, ChainKey(keys_->roots.get(), header["x5c"]));
    key = chain_key.get();
  } else if (const nlohmann::json kid = header.value("kid", nlohmann::json()); kid.is_string()) {
    auto it = keys_->by_kid.find(kid.get<std::string>());
    if (it == keys_->by_kid.end()) return Invalid("signed by an unknown key " + kid.dump());
    key = it->second.get();
  } else {
    return Invalid("the header names no key (x5c or kid)");
  }
  BERTH_TRY(VerifySignature(key, algorithm, token.substr(0, second), std::move(*signature)));
  BERTH_TRY(CheckClaims(claims, options_, now));
  return AccessClaim(claims);
}

std::string TokenVerifier::Challenge(const Scope* scope, std::string_view error) const {
  std::string out =
      fmt::format("Bearer realm=\"{}\",service=\"{}\"", options_.realm, options_.service);
  if (scope != nullptr) out += fmt::format(",scope=\"{}\"", scope->String());
  if (!error.empty()) out += fmt::format(",error=\"{}\"", error);
  return out;
}

}  // namespace berth::registry::server
