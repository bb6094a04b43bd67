// SQL helpers shared by the kb's ingest, document and retriever code.
// Thread-safe: pure helpers and statements on a caller's transaction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/db/pqxx.hpp"

namespace omni::kb::detail {

// The lock every writer of one business's knowledge holds (pg_advisory_lock
// with two keys: kKbLockClass and hashtext(business_id)).
inline constexpr int kKbLockClass = 0x6b62;  // "kb"

// Takes the business's kb lock for the rest of the transaction (waits).
void LockBusinessKb(pqxx::transaction_base& tx, const std::string& business_id);

// Invalidates every cached index of the business: call in each writing
// transaction.
void BumpGeneration(pqxx::transaction_base& tx, const std::string& business_id);

// The business's current generation (0 before its first ingest).
std::int64_t ReadGeneration(pqxx::transaction_base& tx, const std::string& business_id);

// A random (version 4) uuid in its canonical text form.
std::string NewUuid();

// A PostgreSQL array literal of `items`, each quoted and escaped.
std::string ArrayLiteral(const std::vector<std::string>& items);

// Parses a PostgreSQL text[] in its text output form ({a,"b c"}).
std::vector<std::string> ParseArrayLiteral(std::string_view literal);

// Counts terms and renders them as "term:tf term:tf" (sorted by term).
std::string SerializeTerms(const std::vector<std::string>& terms);

// The inverse, into `terms` (cleared first): (term, tf) pairs viewing
// `serialized`; malformed pairs are skipped.
void ParseTerms(std::string_view serialized, std::vector<std::pair<std::string_view, std::uint32_t>>& terms);

// SHA-256 (lower-case hex) of the parts, each length-prefixed so that
// moving bytes from one part to the next changes the hash.
std::string Sha256Hex(const std::vector<std::string_view>& parts);

// A PostgreSQL real[] literal of `vector`, and its inverse (an empty
// vector for NULL or malformed text).
std::string VectorLiteral(const std::vector<float>& vector);
std::vector<float> ParseVectorLiteral(std::string_view literal);

}  // namespace omni::kb::detail
