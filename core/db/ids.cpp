// Ids by prefix: a range scan on the primary key, scoped by business.
#include "core/db/ids.hpp"

#include "core/common/error.hpp"
#include "core/db/ids_tx.hpp"
#include "core/db/pool.hpp"

namespace omni::db {
namespace {

// How many matches an ambiguity error lists.
constexpr int kListedMatches = 10;

// One statement per kind; the table name is never taken from input.
const char* StatementName(IdKind kind) {
  switch (kind) {
    case IdKind::kCustomer: return "omni_ids_customers";
    case IdKind::kConversation: return "omni_ids_conversations";
    case IdKind::kAppointment: return "omni_ids_appointments";
  }
  return "";
}

const char* Table(IdKind kind) {
  switch (kind) {
    case IdKind::kCustomer: return "customers";
    case IdKind::kConversation: return "conversations";
    case IdKind::kAppointment: return "appointments";
  }
  return "";
}

const char* ListCommand(IdKind kind) {
  switch (kind) {
    case IdKind::kCustomer: return "omni customers list";
    case IdKind::kConversation: return "omni conversations list";
    case IdKind::kAppointment: return "omni book list";
  }
  return "";
}

// A UUID's text form from 32 hex digits.
std::string Dashed(const std::string& hex) {
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

// The id the prefix names, nullopt for none; throws for an ambiguous one.
std::optional<std::string> Lookup(pqxx::transaction_base& tx, IdKind kind, const std::string& business_id,
                                  const std::string& text, const std::string& hex) {
  const auto matches = MatchIdPrefix(tx, kind, business_id, hex, kListedMatches + 1);
  if (matches.empty()) return std::nullopt;
  if (matches.size() == 1) return matches.front();
  std::string listed;
  for (std::size_t i = 0; i < matches.size() && i < static_cast<std::size_t>(kListedMatches); ++i) {
    listed += (listed.empty() ? "" : ", ") + matches[i];
  }
  if (matches.size() > static_cast<std::size_t>(kListedMatches)) listed += ", ...";
  throw InvalidInput(std::string(IdKindName(kind)) + " id \"" + text + "\" is ambiguous: it matches " + listed,
                     "Give more characters of the id.");
}

}  // namespace

const char* IdKindName(IdKind kind) {
  switch (kind) {
    case IdKind::kCustomer: return "customer";
    case IdKind::kConversation: return "conversation";
    case IdKind::kAppointment: return "appointment";
  }
  return "";
}

std::optional<std::string> IdHex(std::string_view text) {
  std::string hex;
  for (const char c : text) {
    if (c == '-') continue;
    if (c >= '0' && c <= '9') {
      hex += c;
    } else if (c >= 'a' && c <= 'f') {
      hex += c;
    } else if (c >= 'A' && c <= 'F') {
      hex += static_cast<char>(c - 'A' + 'a');
    } else {
      return std::nullopt;
    }
  }
  if (hex.size() > 32) return std::nullopt;
  return hex;
}

std::vector<std::string> MatchIdPrefix(pqxx::transaction_base& tx, IdKind kind, const std::string& business_id,
                                       const std::string& hex, int limit) {
  // Every id with the prefix lies between the prefix padded with 0s and
  // with fs, so the primary key index finds them.
  const std::string low = Dashed(hex + std::string(32 - hex.size(), '0'));
  const std::string high = Dashed(hex + std::string(32 - hex.size(), 'f'));
  const auto rows = ExecPrepared(tx, StatementName(kind),
                                 std::string("SELECT id::text FROM ") + Table(kind) +
                                     " WHERE business_id = $1::uuid AND id BETWEEN $2::uuid AND $3::uuid"
                                     " ORDER BY id LIMIT $4",
                                 business_id, low, high, limit);
  std::vector<std::string> ids;
  for (const auto& row : rows) ids.push_back(row[0].as<std::string>());
  return ids;
}

std::optional<std::string> FindId(pqxx::transaction_base& tx, IdKind kind, const std::string& business_id,
                                  const std::string& text) {
  const auto hex = IdHex(text);
  if (!hex || hex->size() < kMinIdPrefix) return std::nullopt;
  return Lookup(tx, kind, business_id, text, *hex);
}

std::string ResolveId(pqxx::transaction_base& tx, IdKind kind, const std::string& business_id,
                      const std::string& text) {
  const std::string name = IdKindName(kind);
  const auto hex = IdHex(text);
  if (!hex) {
    throw InvalidInput("invalid " + name + " id \"" + text + "\": expected an id or its first " +
                           std::to_string(kMinIdPrefix) + " or more hex characters",
                       std::string("List them with `") + ListCommand(kind) + "` to see their ids.");
  }
  if (hex->size() < kMinIdPrefix) {
    throw InvalidInput(name + " id \"" + text + "\" is too short: give at least " + std::to_string(kMinIdPrefix) +
                           " hex characters",
                       "A prefix this short would name too many; copy more of the id.");
  }
  auto id = Lookup(tx, kind, business_id, text, *hex);
  if (!id) {
    throw NotFound(name + " \"" + text + "\" not found",
                   std::string("List them with `") + ListCommand(kind) + "` to see their ids.");
  }
  return *id;
}

std::string ResolveId(Pool& pool, IdKind kind, const std::string& business_id, const std::string& text) {
  return WithTransaction(pool, [&](pqxx::work& tx) { return ResolveId(tx, kind, business_id, text); });
}

std::optional<std::string> FindId(Pool& pool, IdKind kind, const std::string& business_id, const std::string& text) {
  return WithTransaction(pool, [&](pqxx::work& tx) { return FindId(tx, kind, business_id, text); });
}

}  // namespace omni::db
