// Operators of a business on the database; see users.hpp.
#include "core/operators/users.hpp"

#include "core/chat/conversations_tx.hpp"
#include "core/common/error.hpp"
#include "core/customers/customers.hpp"
#include "core/db/pqxx.hpp"
#include "core/operators/detail/store.hpp"
#include "core/operators/secrets.hpp"

namespace omni::operators {
namespace {

constexpr const char* kUserColumns =
    "u.id::text, u.business_id::text, u.email, u.name, u.role, u.password_hash IS NOT NULL, "
    "(extract(epoch FROM u.last_login_at) * 1000000)::int8, (extract(epoch FROM u.created_at) * 1000000)::int8, "
    "u.handoff_alerts";

User ReadUser(const pqxx::row& row) {
  User user;
  user.id = row[0].as<std::string>();
  user.business_id = row[1].as<std::string>();
  user.email = row[2].as<std::string>();
  user.name = row[3].as<std::string>();
  user.role = FindRole(row[4].as<std::string>()).value_or(Role::kAgent);
  user.has_password = row[5].as<bool>();
  if (!row[6].is_null()) user.last_login_at = detail::FromMicros(row[6].as<long long>());
  user.created_at = detail::FromMicros(row[7].as<long long>());
  user.handoff_alerts = row[8].as<bool>();
  return user;
}

// The user named by `key` (an id or an email), locked for the change the
// caller is about to make.
User LockUser(pqxx::work& tx, const std::string& business_id, const std::string& key) {
  const auto rows = tx.exec_params(std::string("SELECT ") + kUserColumns +
                                       " FROM users u WHERE u.business_id = $1::uuid"
                                       " AND (u.id::text = lower($2) OR lower(u.email) = lower($2)) FOR UPDATE",
                                   business_id, key);
  if (rows.empty()) {
    throw NotFound("no user \"" + key + "\" in this business", "List them with `omni users list`.");
  }
  return ReadUser(rows[0]);
}

// Owners other than `user_id`, counted with the owners' rows locked, so
// that two concurrent demotions cannot both pass.
long long OtherOwners(pqxx::work& tx, const std::string& business_id, const std::string& user_id) {
  const auto rows = tx.exec_params(
      "SELECT id FROM users WHERE business_id = $1::uuid AND role = 'OWNER' AND id <> $2::uuid FOR UPDATE",
      business_id, user_id);
  return static_cast<long long>(rows.size());
}

void RefuseLastOwner(pqxx::work& tx, const User& user, const std::string& action) {
  if (user.role == Role::kOwner && OtherOwners(tx, user.business_id, user.id) == 0) {
    throw Conflict("cannot " + action + " " + user.email + ": the business's only owner",
                   "Make another user an owner first (omni users role).");
  }
}

SetPasswordToken InsertToken(pqxx::work& tx, const User& user, TimePoint now) {
  tx.exec_params("UPDATE password_tokens SET used_at = " + detail::Timestamp("$3") +
                     " WHERE business_id = $1::uuid AND user_id = $2::uuid AND used_at IS NULL",
                 user.business_id, user.id, detail::ToMicros(now));
  SetPasswordToken token{RandomToken("omp_", 32), now + std::chrono::seconds(kSetPasswordTokenTtlS)};
  tx.exec_params("INSERT INTO password_tokens (business_id, user_id, token_hash, created_at, expires_at)"
                 " VALUES ($1::uuid, $2::uuid, $3, " + detail::Timestamp("$4") + ", " + detail::Timestamp("$5") + ")",
                 user.business_id, user.id, SecretHash(token.token), detail::ToMicros(now),
                 detail::ToMicros(token.expires_at));
  return token;
}

void StorePassword(pqxx::work& tx, const User& user, const std::string& hash) {
  tx.exec_params("UPDATE users SET password_hash = $3 WHERE business_id = $1::uuid AND id = $2::uuid",
                 user.business_id, user.id, hash);
  tx.exec_params("UPDATE password_tokens SET used_at = coalesce(used_at, now())"
                 " WHERE business_id = $1::uuid AND user_id = $2::uuid",
                 user.business_id, user.id);
  tx.exec_params("DELETE FROM operator_sessions WHERE business_id = $1::uuid AND user_id = $2::uuid",
                 user.business_id, user.id);
}

}  // namespace

AddedUser AddUser(db::Pool& pool, const std::string& business_id, const NewUser& request,
                  const billing::BillingSettings& settings, TimePoint now) {
  const std::string email = customers::NormalizeEmail(request.email);
  // Argon2id is slow on purpose: hash before the transaction holds locks.
  std::optional<std::string> hash;
  if (request.password) {
    CheckPasswordRules(*request.password);
    hash = HashPassword(*request.password);
  }
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    detail::CheckRoomForOneMoreOperator(tx, business_id, settings, now);
    const auto taken = tx.exec_params("SELECT 1 FROM users WHERE business_id = $1::uuid AND lower(email) = lower($2)",
                                      business_id, email);
    if (!taken.empty()) {
      throw Conflict("the business already has a user " + email, "See them with `omni users list`.");
    }
    const auto rows = tx.exec_params(
        std::string("INSERT INTO users AS u (business_id, email, name, role, password_hash)"
                    " VALUES ($1::uuid, $2, $3, $4, nullif($5, '')) RETURNING ") + kUserColumns,
        business_id, email, request.name, std::string(RoleName(request.role)), hash.value_or(""));
    AddedUser added{ReadUser(rows[0]), std::nullopt};
    if (!hash) added.set_password = InsertToken(tx, added.user, now);
    return added;
  });
}

std::vector<User> ListUsers(db::Pool& pool, const std::string& business_id) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    std::vector<User> users;
    const auto rows = tx.exec_params(std::string("SELECT ") + kUserColumns +
                                         " FROM users u WHERE u.business_id = $1::uuid"
                                         " ORDER BY CASE u.role WHEN 'OWNER' THEN 0 WHEN 'ADMIN' THEN 1 ELSE 2 END,"
                                         " lower(u.email)",
                                     business_id);
    for (const auto& row : rows) users.push_back(ReadUser(row));
    return users;
  });
}

User GetUser(db::Pool& pool, const std::string& business_id, const std::string& key) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) { return LockUser(tx, business_id, key); });
}

std::optional<User> FindUserByEmail(db::Pool& pool, const std::string& business_id, const std::string& email) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) -> std::optional<User> {
    const auto rows = tx.exec_params(std::string("SELECT ") + kUserColumns +
                                         " FROM users u WHERE u.business_id = $1::uuid AND lower(u.email) = lower($2)",
                                     business_id, email);
    if (rows.empty()) return std::nullopt;
    return ReadUser(rows[0]);
  });
}

User RemoveUser(db::Pool& pool, const std::string& business_id, const std::string& key) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const User user = LockUser(tx, business_id, key);
    RefuseLastOwner(tx, user, "remove");
    chat::NotifyTeammateRemoved(tx, business_id, user.id);
    tx.exec_params("DELETE FROM users WHERE business_id = $1::uuid AND id = $2::uuid", business_id, user.id);
    return user;
  });
}

User SetRole(db::Pool& pool, const std::string& business_id, const std::string& key, Role role) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    User user = LockUser(tx, business_id, key);
    if (role != Role::kOwner) RefuseLastOwner(tx, user, "demote");
    tx.exec_params("UPDATE users SET role = $3 WHERE business_id = $1::uuid AND id = $2::uuid", business_id,
                   user.id, std::string(RoleName(role)));
    user.role = role;
    return user;
  });
}

User SetHandoffAlerts(db::Pool& pool, const std::string& business_id, const std::string& key, bool on) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    User user = LockUser(tx, business_id, key);
    tx.exec_params("UPDATE users SET handoff_alerts = $3 WHERE business_id = $1::uuid AND id = $2::uuid", business_id,
                   user.id, on);
    user.handoff_alerts = on;
    return user;
  });
}

User SetPassword(db::Pool& pool, const std::string& business_id, const std::string& key,
                 const std::string& password) {
  CheckPasswordRules(password);
  const std::string hash = HashPassword(password);
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    User user = LockUser(tx, business_id, key);
    StorePassword(tx, user, hash);
    user.has_password = true;
    return user;
  });
}

SetPasswordToken IssueSetPasswordToken(db::Pool& pool, const std::string& business_id, const std::string& key,
                                       TimePoint now) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) { return InsertToken(tx, LockUser(tx, business_id, key), now); });
}

User SetPasswordWithToken(db::Pool& pool, const std::string& token, const std::string& password, TimePoint now) {
  const InvalidInput unusable("the set-password link is invalid, used or expired",
                              "Ask an owner of the business for a new one (omni users passwd).");
  if (token.rfind("omp_", 0) != 0 || token.size() > 200) throw unusable;
  CheckPasswordRules(password);
  const std::string hash = HashPassword(password);
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto rows = tx.exec_params(
        "SELECT business_id::text, user_id::text FROM password_tokens WHERE token_hash = $1 AND used_at IS NULL"
        " AND expires_at > " + detail::Timestamp("$2") + " FOR UPDATE",
        SecretHash(token), detail::ToMicros(now));
    if (rows.empty()) throw unusable;
    User user = LockUser(tx, rows[0][0].as<std::string>(), rows[0][1].as<std::string>());
    StorePassword(tx, user, hash);
    user.has_password = true;
    return user;
  });
}

std::string SetPasswordLink(const std::string& public_base_url, const std::string& token) {
  std::string base = public_base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/console/set-password#token=" + token;
}

}  // namespace omni::operators
