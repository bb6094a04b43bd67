// Visitor tokens; see token.hpp.
#include "core/webchat/token.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace omni::webchat {
namespace {

constexpr std::string_view kPrefix = "v1.";
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64UrlEncode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8) |
                       static_cast<unsigned char>(data[i + 2]);
    out += kBase64Url[(v >> 18) & 63];
    out += kBase64Url[(v >> 12) & 63];
    out += kBase64Url[(v >> 6) & 63];
    out += kBase64Url[v & 63];
  }
  if (i + 1 == data.size()) {
    const unsigned v = static_cast<unsigned char>(data[i]) << 16;
    out += kBase64Url[(v >> 18) & 63];
    out += kBase64Url[(v >> 12) & 63];
  } else if (i + 2 == data.size()) {
    const unsigned v = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8);
    out += kBase64Url[(v >> 18) & 63];
    out += kBase64Url[(v >> 12) & 63];
    out += kBase64Url[(v >> 6) & 63];
  }
  return out;
}

int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Strict: false for padding or any character outside the alphabet, an
// impossible length, or unused low bits of the last character that are not
// zero. Each byte string then has exactly one accepted spelling, so a token
// cannot be altered and still pass.
bool Base64UrlDecode(std::string_view text, std::string& out) {
  if (text.size() % 4 == 1) return false;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = Base64UrlValue(c);
    if (v < 0) return false;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return (buffer & ((1u << bits) - 1)) == 0;
}

std::string HmacSha256Raw(std::string_view key, std::string_view message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(), &length) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(digest.data()), length);
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace

std::string SignVisitorToken(const VisitorClaims& claims, const std::string& secret) {
  if (secret.empty()) throw std::invalid_argument("visitor token secret is empty");
  const nlohmann::json payload = {{"b", claims.business_id}, {"v", claims.visitor_id}, {"c", claims.customer_id},
                                  {"i", claims.verified ? 1 : 0}, {"e", claims.expires_at_s}};
  std::string signed_part(kPrefix);
  signed_part += Base64UrlEncode(payload.dump());
  return signed_part + "." + Base64UrlEncode(HmacSha256Raw(secret, signed_part));
}

TokenVerdict VerifyVisitorToken(std::string_view token, const std::string& secret, TimePoint now) {
  TokenVerdict verdict;
  if (secret.empty() || token.size() > 4096 || !token.starts_with(kPrefix)) return verdict;
  const std::size_t dot = token.rfind('.');
  if (dot <= kPrefix.size()) return verdict;
  const std::string_view signed_part = token.substr(0, dot);
  std::string signature;
  if (!Base64UrlDecode(token.substr(dot + 1), signature)) return verdict;
  if (Base64UrlEncode(signature) != token.substr(dot + 1)) return verdict;
  if (!ConstantTimeEquals(signature, HmacSha256Raw(secret, signed_part))) {
    verdict.check = TokenCheck::kBadSignature;
    return verdict;
  }
  std::string payload_text;
  if (!Base64UrlDecode(signed_part.substr(kPrefix.size()), payload_text)) return verdict;
  if (Base64UrlEncode(payload_text) != signed_part.substr(kPrefix.size())) return verdict;
  const auto payload = nlohmann::json::parse(payload_text, nullptr, false);
  if (!payload.is_object() || !payload.contains("b") || !payload["b"].is_string() || !payload.contains("v") ||
      !payload["v"].is_string() || !payload.contains("e") || !payload["e"].is_number_integer()) {
    return verdict;
  }
  verdict.claims.business_id = payload["b"].get<std::string>();
  verdict.claims.visitor_id = payload["v"].get<std::string>();
  if (payload.contains("c") && payload["c"].is_string()) verdict.claims.customer_id = payload["c"].get<std::string>();
  verdict.claims.verified = payload.value("i", 0) == 1;
  verdict.claims.expires_at_s = payload["e"].get<std::int64_t>();
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  verdict.check = now_s < verdict.claims.expires_at_s ? TokenCheck::kValid : TokenCheck::kExpired;
  return verdict;
}

std::optional<VisitorClaims> ResumableClaims(std::string_view previous, const std::string& secret,
                                             const std::string& business_id, TimePoint now) {
  const auto verdict = VerifyVisitorToken(previous, secret, now);
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const bool usable = verdict.check == TokenCheck::kValid ||
                      (verdict.check == TokenCheck::kExpired && now_s - verdict.claims.expires_at_s < kResumeWindowS);
  if (!usable || verdict.claims.business_id != business_id) return std::nullopt;
  return verdict.claims;
}

std::string HmacSha256Hex(std::string_view key, std::string_view message) {
  return ToHex(HmacSha256Raw(key, message));
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool IdentityMatches(const std::string& identity, const std::string& identity_hash, const std::string& widget_secret) {
  if (identity.empty() || widget_secret.empty()) return false;
  std::string lower = identity_hash;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ConstantTimeEquals(lower, HmacSha256Hex(widget_secret, identity));
}

std::string RandomHex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("the system random generator failed");
  }
  return ToHex(raw);
}

}  // namespace omni::webchat
