#include "registry/server/token.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/strings.h"
#include "base/temp_dir.h"

namespace berth::registry::server {
namespace {

using Clock = std::chrono::system_clock;

std::string Base64Url(std::string_view data) {
  std::string out = Base64UrlEncode(data);
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
}

// A signing key and its self-signed certificate, as a token server holds them.
class Signer {
 public:
  explicit Signer(bool ec) {
    key_ = ec ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
              : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
    cert_ = X509_new();
    X509_set_version(cert_, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert_), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert_), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert_), 3600);
    X509_set_pubkey(cert_, key_);
    X509_NAME* name = X509_get_subject_name(cert_);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("token signer"), -1, -1, 0);
    X509_set_issuer_name(cert_, name);
    X509_sign(cert_, key_, EVP_sha256());
    alg_ = ec ? "ES256" : "RS256";
  }
  ~Signer() {
    X509_free(cert_);
    EVP_PKEY_free(key_);
  }
  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;

  std::string Pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert_);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(size));
    BIO_free(bio);
    return out;
  }
  std::string Der() const {
    unsigned char* der = nullptr;
    const int size = i2d_X509(cert_, &der);
    std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(size));
    OPENSSL_free(der);
    return out;
  }
  std::string KeyId() const {
    unsigned char* der = nullptr;
    const int size = i2d_PUBKEY(key_, &der);
    std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(size));
    OPENSSL_free(der);
    return LibtrustKeyId(out);
  }

  // Sign makes a JWT of claims whose header names the key by x5c (this certificate) or by kid.
  std::string Sign(const nlohmann::json& claims, bool x5c) const {
    nlohmann::json header = {{"typ", "JWT"}, {"alg", alg_}};
    if (x5c) {
      header["x5c"] = {Base64Encode(Der())};
    } else {
      header["kid"] = KeyId();
    }
    const std::string text = Base64Url(header.dump()) + "." + Base64Url(claims.dump());
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_);
    size_t size = 0;
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    EVP_DigestSign(ctx, nullptr, &size, bytes, text.size());
    std::string signature(size, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &size, bytes,
                   text.size());
    signature.resize(size);
    EVP_MD_CTX_free(ctx);
    if (alg_ == "ES256") signature = RawEcdsa(signature);
    return text + "." + Base64Url(signature);
  }

 private:
  // RawEcdsa turns OpenSSL's DER signature into JWS's r || s.
  static std::string RawEcdsa(const std::string& der) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
    std::string raw(64, '\0');
    auto* out = reinterpret_cast<unsigned char*>(raw.data());
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + 32, 32);
    ECDSA_SIG_free(sig);
    return raw;
  }

  EVP_PKEY* key_ = nullptr;
  X509* cert_ = nullptr;
  std::string alg_;
};

nlohmann::json Claims(int64_t exp_offset = 300) {
  return {
      {"iss", "test-issuer"},
      {"sub", "alice"},
      {"aud", "test-registry"},
      {"exp", Now() + exp_offset},
      {"nbf", Now() - 10},
      {"iat", Now() - 10},
      {"jti", "1"},
      {"access", {{{"type", "repository"}, {"name", "team/app"}, {"actions", {"pull", "push"}}}}}};
}

class TokenTest : public ::testing::Test {
 protected:
  TokenVerifier Load(const std::string& bundle) {
    const std::string path = dir_.path() + "/roots.pem";
    EXPECT_TRUE(WriteFile(path, bundle));
    Result<TokenVerifier> verifier = TokenVerifier::Load({.realm = "http://auth/token",
                                                          .service = "test-registry",
                                                          .issuer = "test-issuer",
                                                          .rootcertbundle = path});
    EXPECT_TRUE(verifier) << verifier.error().message();
    return std::move(*verifier);
  }
  static std::string Refusal(const TokenVerifier& verifier, const std::string& token) {
    Result<std::vector<Scope>> access = verifier.Verify(token, Clock::now());
    if (access) return "accepted";
    EXPECT_EQ(access.error().kind(), ErrorKind::kUnauthenticated);
    return access.error().message();
  }

  TempDir dir_ = TempDir::Make("berth-registry-token").value();
  Signer rsa_{false};
  Signer ec_{true};
};

TEST_F(TokenTest, VerifiesRsaAndEcdsaByChainAndByKeyId) {
  TokenVerifier verifier = Load(rsa_.Pem() + ec_.Pem());
  for (const Signer* signer : {&rsa_, &ec_}) {
    for (bool x5c : {true, false}) {
      Result<std::vector<Scope>> access =
          verifier.Verify(signer->Sign(Claims(), x5c), Clock::now());
      ASSERT_TRUE(access) << access.error().message();
      const Scope needed{"repository", "team/app", {}};
      EXPECT_TRUE(Grants(*access, needed, "pull"));
      EXPECT_TRUE(Grants(*access, needed, "push"));
      EXPECT_FALSE(Grants(*access, needed, "delete"));
      EXPECT_FALSE(Grants(*access, {"repository", "team/other", {}}, "pull"));
    }
  }
}

TEST_F(TokenTest, RefusesKeysOutsideTheBundle) {
  TokenVerifier verifier = Load(rsa_.Pem());
  EXPECT_NE(Refusal(verifier, ec_.Sign(Claims(), true)).find("does not lead to a root"),
            std::string::npos);
  EXPECT_NE(Refusal(verifier, ec_.Sign(Claims(), false)).find("unknown key"), std::string::npos);
}

TEST_F(TokenTest, RefusesTamperedAndMalformedTokens) {
  TokenVerifier verifier = Load(rsa_.Pem() + ec_.Pem());
  for (const Signer* signer : {&rsa_, &ec_}) {
    std::string token = signer->Sign(Claims(), false);
    const size_t dot = token.find('.');
    nlohmann::json more = Claims();
    more["access"][0]["name"] = "team/other";
    std::string forged =
        token.substr(0, dot + 1) + Base64Url(more.dump()) + token.substr(token.rfind('.'));
    EXPECT_EQ(Refusal(verifier, forged), "invalid token: bad signature");
  }
  EXPECT_EQ(Refusal(verifier, "abc"), "invalid token: not a JWT (three dot-separated parts)");
  const std::string none = Base64Url(R"({"alg":"none"})") + "." + Base64Url(Claims().dump()) + ".";
  EXPECT_EQ(Refusal(verifier, none), "invalid token: unsupported signing algorithm \"none\"");
}

TEST_F(TokenTest, ChecksTimesIssuerAndAudience) {
  TokenVerifier verifier = Load(rsa_.Pem());
  EXPECT_EQ(Refusal(verifier, rsa_.Sign(Claims(-120), false)), "invalid token: expired");
  EXPECT_EQ(Refusal(verifier, rsa_.Sign(Claims(-30), false)), "accepted");  // within the leeway
  nlohmann::json early = Claims();
  early["nbf"] = Now() + 600;
  EXPECT_EQ(Refusal(verifier, rsa_.Sign(early, false)), "invalid token: not valid yet");
  nlohmann::json no_exp = Claims();
  no_exp.erase("exp");
  EXPECT_EQ(Refusal(verifier, rsa_.Sign(no_exp, false)), "invalid token: no expiry (exp)");
  nlohmann::json issuer = Claims();
  issuer["iss"] = "someone-else";
  EXPECT_EQ(Refusal(verifier, rsa_.Sign(issuer, false)),
            "invalid token: not issued by test-issuer");
  nlohmann::json audience = Claims();
  audience["aud"] = "other-registry";
  EXPECT_EQ(Refusal(verifier, rsa_.Sign(audience, false)),
            "invalid token: not meant for service test-registry");
  audience["aud"] = {"other-registry", "test-registry"};
  EXPECT_EQ(Refusal(verifier, rsa_.Sign(audience, false)), "accepted");
}

TEST_F(TokenTest, CatalogNeedsItsWildcard) {
  const Scope catalog{"registry", "catalog", {"*"}};
  EXPECT_TRUE(Grants({{"registry", "catalog", {"*"}}}, catalog, "*"));
  EXPECT_FALSE(Grants({{"registry", "catalog", {"pull"}}}, catalog, "*"));
  EXPECT_FALSE(Grants({{"repository", "catalog", {"*"}}}, catalog, "*"));
}

TEST_F(TokenTest, ChallengesNameRealmServiceAndScope) {
  TokenVerifier verifier = Load(rsa_.Pem());
  const Scope scope{"repository", "team/app", {"pull", "push"}};
  EXPECT_EQ(verifier.Challenge(&scope, ""),
            "Bearer realm=\"http://auth/token\",service=\"test-registry\","
            "scope=\"repository:team/app:pull,push\"");
  EXPECT_EQ(verifier.Challenge(nullptr, "invalid_token"),
            "Bearer realm=\"http://auth/token\",service=\"test-registry\",error=\"invalid_token\"");
}

TEST_F(TokenTest, LoadNamesWhatIsMissing) {
  Result<TokenVerifier> missing = TokenVerifier::Load({.realm = "http://auth/token"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(), "token authentication needs --auth-token-service");
  const std::string path = dir_.path() + "/empty.pem";
  ASSERT_TRUE(WriteFile(path, "no certificates here\n"));
  Result<TokenVerifier> empty =
      TokenVerifier::Load({.realm = "r", .service = "s", .issuer = "i", .rootcertbundle = path});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().kind(), ErrorKind::kInvalidArgument);
  const std::string kid = rsa_.KeyId();
  EXPECT_EQ(kid.size(), 59u);  // 12 groups of 4 and 11 colons
  EXPECT_EQ(std::count(kid.begin(), kid.end(), ':'), 11);
}

}  // namespace
}  // namespace berth::registry::server
