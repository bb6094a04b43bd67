// libsodium behind secrets.hpp.
#include "core/operators/secrets.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "core/common/error.hpp"

namespace omni::operators {
namespace {

constexpr std::size_t kMinPasswordBytes = 10;
constexpr std::size_t kMaxPasswordBytes = 1024;

// sodium_init is idempotent and thread-safe; every entry point calls it so
// no caller has to remember.
void EnsureSodium() {
  static const int status = sodium_init();
  if (status < 0) throw Unavailable("libsodium could not be initialised");
}

std::string Base64Url(const unsigned char* data, std::size_t size) {
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(size, variant), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, variant);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

const std::string& DummyHash() {
  static const std::string hash = HashPassword(RandomToken("", 24));
  return hash;
}

}  // namespace

void CheckPasswordRules(const std::string& password) {
  if (password.size() < kMinPasswordBytes) {
    throw InvalidInput("password is too short: at least " + std::to_string(kMinPasswordBytes) + " characters",
                       "A few unrelated words make a long password that is easy to remember.");
  }
  if (password.size() > kMaxPasswordBytes) {
    throw InvalidInput("password is too long: at most " + std::to_string(kMaxPasswordBytes) + " bytes");
  }
  if (std::all_of(password.begin(), password.end(), [](unsigned char c) { return std::isspace(c); })) {
    throw InvalidInput("password is only whitespace");
  }
}

std::string HashPassword(const std::string& password) {
  EnsureSodium();
  std::string hash(crypto_pwhash_STRBYTES, '\0');
  // crypto_pwhash_str stores Argon2id (ALG_DEFAULT) with its parameters.
  if (crypto_pwhash_str(hash.data(), password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    throw Unavailable("could not hash a password: out of memory");
  }
  hash.resize(std::char_traits<char>::length(hash.c_str()));
  return hash;
}

bool VerifyPassword(const std::string& password, const std::string& hash) {
  EnsureSodium();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool VerifyAgainstDummy(const std::string& password) {
  VerifyPassword(password, DummyHash());
  return false;
}

std::string RandomToken(const std::string& prefix, int bytes) {
  EnsureSodium();
  std::vector<unsigned char> random(static_cast<std::size_t>(bytes));
  randombytes_buf(random.data(), random.size());
  return prefix + Base64Url(random.data(), random.size());
}

std::string RandomAlphanumeric(int length) {
  EnsureSodium();
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  for (int i = 0; i < length; ++i) out += kAlphabet[randombytes_uniform(sizeof(kAlphabet) - 1)];
  return out;
}

std::string SecretHash(const std::string& secret) {
  EnsureSodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  std::string hex(crypto_hash_sha256_BYTES * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest, sizeof(digest));
  hex.pop_back();
  return hex;
}

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  EnsureSodium();
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string CsrfTokenFor(const std::string& session_token) {
  EnsureSodium();
  static constexpr char kLabel[] = "omni console csrf v1";
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(session_token.data()),
                              session_token.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(kLabel), sizeof(kLabel) - 1);
  crypto_auth_hmacsha256_final(&state, mac);
  return Base64Url(mac, sizeof(mac));
}

}  // namespace omni::operators
