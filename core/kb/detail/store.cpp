// Locks, generations, uuids and the serialised forms the kb stores.
#include "core/kb/detail/store.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>

#include <openssl/evp.h>

namespace omni::kb::detail {

void LockBusinessKb(pqxx::transaction_base& tx, const std::string& business_id) {
  tx.exec_params("SELECT pg_advisory_xact_lock($1, hashtext($2))", kKbLockClass, business_id);
}

void BumpGeneration(pqxx::transaction_base& tx, const std::string& business_id) {
  tx.exec_params(
      "INSERT INTO kb_generations (business_id, generation) VALUES ($1, 1) "
      "ON CONFLICT (business_id) DO UPDATE SET generation = kb_generations.generation + 1",
      business_id);
}

std::int64_t ReadGeneration(pqxx::transaction_base& tx, const std::string& business_id) {
  const auto rows =
      tx.exec_params("SELECT generation FROM kb_generations WHERE business_id = $1", business_id);
  return rows.empty() ? 0 : rows[0][0].as<std::int64_t>();
}

std::string NewUuid() {
  thread_local std::mt19937_64 random([] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }());
  unsigned char bytes[16];
  const std::uint64_t high = random();
  const std::uint64_t low = random();
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<unsigned char>(high >> (8 * i));
    bytes[8 + i] = static_cast<unsigned char>(low >> (8 * i));
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    text.push_back(kHex[bytes[i] >> 4]);
    text.push_back(kHex[bytes[i] & 0x0F]);
  }
  return text;
}

std::string ArrayLiteral(const std::vector<std::string>& items) {
  std::string literal = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) literal.push_back(',');
    literal.push_back('"');
    for (const char c : items[i]) {
      if (c == '"' || c == '\\') literal.push_back('\\');
      literal.push_back(c);
    }
    literal.push_back('"');
  }
  literal.push_back('}');
  return literal;
}

std::vector<std::string> ParseArrayLiteral(std::string_view literal) {
  std::vector<std::string> items;
  if (literal.size() < 2 || literal.front() != '{' || literal.back() != '}') return items;
  literal = literal.substr(1, literal.size() - 2);
  std::size_t i = 0;
  while (i < literal.size()) {
    std::string item;
    if (literal[i] == '"') {
      ++i;
      while (i < literal.size() && literal[i] != '"') {
        if (literal[i] == '\\' && i + 1 < literal.size()) ++i;
        item.push_back(literal[i++]);
      }
      ++i;  // closing quote
    } else {
      while (i < literal.size() && literal[i] != ',') item.push_back(literal[i++]);
    }
    items.push_back(std::move(item));
    ++i;  // the comma
  }
  return items;
}

std::string SerializeTerms(const std::vector<std::string>& terms) {
  std::map<std::string_view, std::uint32_t> counts;
  for (const auto& term : terms) ++counts[term];
  std::string out;
  for (const auto& [term, count] : counts) {
    if (!out.empty()) out.push_back(' ');
    out.append(term);
    out.push_back(':');
    out.append(std::to_string(count));
  }
  return out;
}

void ParseTerms(std::string_view serialized, std::vector<std::pair<std::string_view, std::uint32_t>>& terms) {
  terms.clear();
  std::size_t begin = 0;
  while (begin < serialized.size()) {
    std::size_t end = serialized.find(' ', begin);
    if (end == std::string_view::npos) end = serialized.size();
    const std::string_view pair = serialized.substr(begin, end - begin);
    const std::size_t colon = pair.rfind(':');
    std::uint32_t tf = 0;
    if (colon != std::string_view::npos && colon > 0 &&
        std::from_chars(pair.data() + colon + 1, pair.data() + pair.size(), tf).ec == std::errc()) {
      terms.emplace_back(pair.substr(0, colon), tf);
    }
    begin = end + 1;
  }
}

std::string Sha256Hex(const std::vector<std::string_view>& parts) {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr);
  for (const auto part : parts) {
    // Length-prefixed, so that moving bytes between fields changes the hash.
    const std::string length = std::to_string(part.size()) + ":";
    EVP_DigestUpdate(context.get(), length.data(), length.size());
    EVP_DigestUpdate(context.get(), part.data(), part.size());
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(context.get(), digest, &size);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0x0F]);
  }
  return hex;
}

std::string VectorLiteral(const std::vector<float>& vector) {
  std::string literal = "{";
  char number[32];
  for (std::size_t i = 0; i < vector.size(); ++i) {
    if (i > 0) literal.push_back(',');
    std::snprintf(number, sizeof(number), "%.9g", static_cast<double>(vector[i]));
    literal += number;
  }
  literal.push_back('}');
  return literal;
}

std::vector<float> ParseVectorLiteral(std::string_view literal) {
  std::vector<float> vector;
  if (literal.size() < 2 || literal.front() != '{' || literal.back() != '}') return vector;
  const std::string text(literal.substr(1, literal.size() - 2));
  const char* cursor = text.c_str();
  while (*cursor != '\0') {
    char* end = nullptr;
    const float value = std::strtof(cursor, &end);
    if (end == cursor) return {};
    vector.push_back(value);
    cursor = *end == ',' ? end + 1 : end;
  }
  return vector;
}

}  // namespace omni::kb::detail
