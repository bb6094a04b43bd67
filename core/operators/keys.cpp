// API keys on the database; see keys.hpp.
#include "core/operators/keys.hpp"

#include "core/common/error.hpp"
#include "core/db/pqxx.hpp"
#include "core/operators/detail/store.hpp"
#include "core/operators/secrets.hpp"

namespace omni::operators {
namespace {

constexpr const char* kKeyScheme = "omk_";
constexpr int kPrefixRandomChars = 12;
constexpr std::size_t kPrefixLength = 4 + kPrefixRandomChars;
constexpr int kSecretBytes = 32;

constexpr const char* kKeyColumns =
    "k.id::text, k.business_id::text, k.name, k.role, k.prefix, "
    "(extract(epoch FROM k.created_at) * 1000000)::int8, (extract(epoch FROM k.last_used_at) * 1000000)::int8, "
    "(extract(epoch FROM k.revoked_at) * 1000000)::int8";

ApiKey ReadKey(const pqxx::row& row) {
  ApiKey key;
  key.id = row[0].as<std::string>();
  key.business_id = row[1].as<std::string>();
  key.name = row[2].as<std::string>();
  key.role = FindRole(row[3].as<std::string>()).value_or(Role::kAgent);
  key.prefix = row[4].as<std::string>();
  key.created_at = detail::FromMicros(row[5].as<long long>());
  if (!row[6].is_null()) key.last_used_at = detail::FromMicros(row[6].as<long long>());
  if (!row[7].is_null()) key.revoked_at = detail::FromMicros(row[7].as<long long>());
  return key;
}

std::string CheckName(const std::string& name) {
  if (name.empty() || name.size() > 100) {
    throw InvalidInput("key name must be 1 to 100 characters", "Name it after what uses it, e.g. --name zapier.");
  }
  return name;
}

}  // namespace

CreatedKey CreateKey(db::Pool& pool, const std::string& business_id, const std::string& name, Role role,
                     TimePoint now) {
  CheckName(name);
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    if (tx.exec_params("SELECT 1 FROM businesses WHERE id = $1::uuid", business_id).empty()) {
      throw NotFound("business " + business_id + " not found");
    }
    const auto taken = tx.exec_params(
        "SELECT 1 FROM api_keys WHERE business_id = $1::uuid AND lower(name) = lower($2) AND revoked_at IS NULL",
        business_id, name);
    if (!taken.empty()) {
      throw Conflict("the business already has a key named \"" + name + "\"",
                     "Pick another name, or revoke that key first (omni keys revoke).");
    }
    // The prefix index is unique; with 62 random bits a clash is all but
    // impossible, and would fail this insert (Conflict), not find a wrong key.
    const std::string prefix = kKeyScheme + RandomAlphanumeric(kPrefixRandomChars);
    CreatedKey created;
    created.secret = prefix + "_" + RandomToken("", kSecretBytes);
    const auto rows = tx.exec_params(
        std::string("INSERT INTO api_keys AS k (business_id, name, key_hash, prefix, role, created_at)"
                    " VALUES ($1::uuid, $2, $3, $4, $5, ") + detail::Timestamp("$6") + ") RETURNING " + kKeyColumns,
        business_id, name, SecretHash(created.secret), prefix, std::string(RoleName(role)), detail::ToMicros(now));
    created.key = ReadKey(rows[0]);
    return created;
  });
}

std::vector<ApiKey> ListKeys(db::Pool& pool, const std::string& business_id, bool include_revoked) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    std::vector<ApiKey> keys;
    const auto rows = tx.exec_params(std::string("SELECT ") + kKeyColumns +
                                         " FROM api_keys k WHERE k.business_id = $1::uuid"
                                         " AND ($2 OR k.revoked_at IS NULL) ORDER BY k.created_at DESC, k.id",
                                     business_id, include_revoked);
    for (const auto& row : rows) keys.push_back(ReadKey(row));
    return keys;
  });
}

ApiKey RevokeKey(db::Pool& pool, const std::string& business_id, const std::string& key, TimePoint now) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto rows = tx.exec_params(
        std::string("UPDATE api_keys AS k SET revoked_at = ") + detail::Timestamp("$3") +
            " WHERE k.id = (SELECT id FROM api_keys WHERE business_id = $1::uuid AND revoked_at IS NULL"
            " AND (id::text = lower($2) OR prefix = $2 OR lower(name) = lower($2)) LIMIT 1) RETURNING " + kKeyColumns,
        business_id, key, detail::ToMicros(now));
    if (rows.empty()) {
      throw NotFound("no active key \"" + key + "\" in this business", "List them with `omni keys list`.");
    }
    return ReadKey(rows[0]);
  });
}

std::optional<Principal> AuthenticateKey(db::Pool& pool, const std::string& secret, TimePoint now) {
  if (secret.size() <= kPrefixLength || secret.size() > 200 || secret.rfind(kKeyScheme, 0) != 0) return std::nullopt;
  const std::string prefix = secret.substr(0, kPrefixLength);
  const std::string presented_hash = SecretHash(secret);
  return db::WithTransaction(pool, [&](pqxx::work& tx) -> std::optional<Principal> {
    const auto rows = tx.exec_params(
        "SELECT k.id::text, k.key_hash, k.role, k.name, b.id::text, b.slug, b.phone_region FROM api_keys k"
        " JOIN businesses b ON b.id = k.business_id WHERE k.prefix = $1 AND k.revoked_at IS NULL",
        prefix);
    if (rows.empty() || !ConstantTimeEquals(rows[0][1].as<std::string>(), presented_hash)) return std::nullopt;
    Principal principal;
    principal.kind = Principal::Kind::kApiKey;
    principal.key_id = rows[0][0].as<std::string>();
    principal.role = FindRole(rows[0][2].as<std::string>()).value_or(Role::kAgent);
    principal.display_name = "key:" + rows[0][3].as<std::string>();
    principal.business_id = rows[0][4].as<std::string>();
    principal.business_slug = rows[0][5].as<std::string>();
    principal.business_phone_region = rows[0][6].as<std::string>();
    tx.exec_params("UPDATE api_keys SET last_used_at = " + detail::Timestamp("$2") +
                       " WHERE id = $1::uuid AND (last_used_at IS NULL OR last_used_at < " + detail::Timestamp("$2") +
                       " - interval '1 minute')",
                   principal.key_id, detail::ToMicros(now));
    return principal;
  });
}

}  // namespace omni::operators
