// Login, throttling and sessions on the database; see sessions.hpp.
#include "core/operators/sessions.hpp"

#include <algorithm>
#include <cctype>

#include "core/db/pqxx.hpp"
#include "core/operators/detail/store.hpp"
#include "core/operators/secrets.hpp"

namespace omni::operators {
namespace {

constexpr const char* kSessionScheme = "oms_";
constexpr int kSessionBytes = 32;
// pg_advisory_xact_lock's first key for login attempts: "op" in ASCII.
constexpr int kLoginLockClass = 0x6f70;

std::string Normalized(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  std::string out = text.substr(first, last - first + 1);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

int SecondsUntil(std::optional<TimePoint> at, TimePoint now) {
  if (!at || *at <= now) return 1;
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(*at - now).count();
  return static_cast<int>((micros + 999999) / 1000000);
}

struct Account {
  std::string user_id;
  std::string email;
  std::string name;
  std::string password_hash;  // "" when no password is set yet
  Role role = Role::kAgent;
  std::string business_id;
  std::string business_slug;
  std::string business_phone_region;
};

struct Attempt {
  long long id = 0;
  int retry_after_s = 0;
  std::optional<Account> account;
};

// Failures of rows matching `where` ($1 the key, $2 the window's start in
// micros, $3 the limit): how many, and when the limit-th newest leaves
// the window.
std::pair<int, std::optional<TimePoint>> CountFailures(pqxx::work& tx, const std::string& where,
                                                       const std::string& key, TimePoint since, int limit,
                                                       int window_s) {
  const auto rows = tx.exec_params(
      "WITH failures AS (SELECT attempted_at FROM login_attempts WHERE " + where +
          " AND NOT succeeded AND attempted_at > " + detail::Timestamp("$2") +
          ") SELECT (SELECT count(*) FROM failures),"
          " (SELECT (extract(epoch FROM attempted_at) * 1000000)::int8 FROM failures"
          " ORDER BY attempted_at DESC OFFSET $3::int - 1 LIMIT 1)",
      key, detail::ToMicros(since), limit);
  std::optional<TimePoint> frees_at;
  if (!rows[0][1].is_null()) frees_at = detail::FromMicros(rows[0][1].as<long long>()) + std::chrono::seconds(window_s);
  return {rows[0][0].as<int>(), frees_at};
}

Attempt BeginAttempt(pqxx::work& tx, const LoginRequest& request, const std::string& account_key,
                     const config::ConsoleSettings& settings, TimePoint now) {
  // Attempts of one account, and of one address, queue on these locks, so
  // that each sees the failures recorded before it.
  tx.exec_params("SELECT pg_advisory_xact_lock($1::int, hashtext($2))", kLoginLockClass, account_key);
  tx.exec_params("SELECT pg_advisory_xact_lock($1::int, hashtext($2))", kLoginLockClass + 1,
                 request.remote_address);
  const TimePoint window_start = now - std::chrono::seconds(settings.login_window_s);
  tx.exec_params("DELETE FROM login_attempts WHERE (account_key = $1 OR remote_address = $2) AND attempted_at < " +
                     detail::Timestamp("$3"),
                 account_key, request.remote_address, detail::ToMicros(window_start));

  const auto last_success = tx.exec_params(
      "SELECT (extract(epoch FROM max(attempted_at)) * 1000000)::int8 FROM login_attempts"
      " WHERE account_key = $1 AND succeeded",
      account_key);
  TimePoint account_since = window_start;
  if (!last_success[0][0].is_null()) {
    account_since = std::max(account_since, detail::FromMicros(last_success[0][0].as<long long>()));
  }
  FailureCounts counts;
  std::tie(counts.account, counts.account_frees_at) = CountFailures(
      tx, "account_key = $1", account_key, account_since, settings.login_max_failures, settings.login_window_s);
  std::tie(counts.address, counts.address_frees_at) =
      CountFailures(tx, "remote_address = $1", request.remote_address, window_start,
                    settings.login_max_failures_per_ip, settings.login_window_s);
  Attempt attempt;
  attempt.retry_after_s = ThrottleSeconds(counts, settings, now);
  if (attempt.retry_after_s > 0) return attempt;

  const auto inserted = tx.exec_params(
      "INSERT INTO login_attempts (account_key, remote_address, succeeded, attempted_at) VALUES ($1, $2, false, " +
          detail::Timestamp("$3") + ") RETURNING id",
      account_key, request.remote_address, detail::ToMicros(now));
  attempt.id = inserted[0][0].as<long long>();

  const auto rows = tx.exec_params(
      "SELECT u.id::text, u.email, u.name, coalesce(u.password_hash, ''), u.role, b.id::text, b.slug,"
      " b.phone_region FROM users u JOIN businesses b ON b.id = u.business_id"
      " WHERE b.slug = $1 AND lower(u.email) = $2",
      Normalized(request.business_slug), Normalized(request.email));
  if (!rows.empty()) {
    const auto& row = rows[0];
    attempt.account = Account{row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
                              row[3].as<std::string>(), FindRole(row[4].as<std::string>()).value_or(Role::kAgent),
                              row[5].as<std::string>(), row[6].as<std::string>(), row[7].as<std::string>()};
  }
  return attempt;
}

Principal SessionPrincipal(const Account& account, std::string session_id) {
  Principal principal;
  principal.kind = Principal::Kind::kSession;
  principal.business_id = account.business_id;
  principal.business_slug = account.business_slug;
  principal.business_phone_region = account.business_phone_region;
  principal.role = account.role;
  principal.user_id = account.user_id;
  principal.email = account.email;
  principal.session_id = std::move(session_id);
  principal.display_name = account.name.empty() ? account.email : account.name;
  return principal;
}

}  // namespace

int ThrottleSeconds(const FailureCounts& counts, const config::ConsoleSettings& settings, TimePoint now) {
  int seconds = 0;
  if (counts.account >= settings.login_max_failures) seconds = SecondsUntil(counts.account_frees_at, now);
  if (counts.address >= settings.login_max_failures_per_ip) {
    seconds = std::max(seconds, SecondsUntil(counts.address_frees_at, now));
  }
  return seconds;
}

LoginResult Login(db::Pool& pool, const LoginRequest& request, const config::ConsoleSettings& settings,
                  TimePoint now) {
  const std::string account_key = Normalized(request.business_slug) + " " + Normalized(request.email);
  const Attempt attempt =
      db::WithTransaction(pool, [&](pqxx::work& tx) { return BeginAttempt(tx, request, account_key, settings, now); });
  LoginResult result;
  if (attempt.retry_after_s > 0) {
    result.outcome = LoginResult::Outcome::kThrottled;
    result.retry_after_s = attempt.retry_after_s;
    return result;
  }
  // Outside any transaction: Argon2id takes tens of milliseconds on purpose.
  const bool verified = attempt.account && !attempt.account->password_hash.empty()
                            ? VerifyPassword(request.password, attempt.account->password_hash)
                            : VerifyAgainstDummy(request.password);
  if (!verified) return result;

  const Account& account = *attempt.account;
  Session session{RandomToken(kSessionScheme, kSessionBytes), {}, now + std::chrono::seconds(settings.session_ttl_s)};
  session.csrf_token = CsrfTokenFor(session.token);
  const std::string session_id = db::WithTransaction(pool, [&](pqxx::work& tx) {
    tx.exec_params("UPDATE login_attempts SET succeeded = true WHERE id = $1", attempt.id);
    tx.exec_params("UPDATE users SET last_login_at = " + detail::Timestamp("$3") +
                       " WHERE business_id = $1::uuid AND id = $2::uuid",
                   account.business_id, account.user_id, detail::ToMicros(now));
    const auto rows = tx.exec_params(
        "INSERT INTO operator_sessions (business_id, user_id, token_hash, remote_address, created_at, expires_at,"
        " last_seen_at) VALUES ($1::uuid, $2::uuid, $3, $4, " + detail::Timestamp("$5") + ", " +
            detail::Timestamp("$6") + ", " + detail::Timestamp("$5") + ") RETURNING id::text",
        account.business_id, account.user_id, SecretHash(session.token), request.remote_address,
        detail::ToMicros(now), detail::ToMicros(session.expires_at));
    return rows[0][0].as<std::string>();
  });
  result.outcome = LoginResult::Outcome::kSignedIn;
  result.session = std::move(session);
  result.principal = SessionPrincipal(account, session_id);
  return result;
}

std::optional<Principal> AuthenticateSession(db::Pool& pool, const std::string& token, TimePoint now) {
  if (token.rfind(kSessionScheme, 0) != 0 || token.size() > 200) return std::nullopt;
  const std::string hash = SecretHash(token);
  return db::WithTransaction(pool, [&](pqxx::work& tx) -> std::optional<Principal> {
    const auto rows = tx.exec_params(
        "SELECT s.id::text, u.id::text, u.email, u.name, u.role, b.id::text, b.slug, b.phone_region"
        " FROM operator_sessions s"
        " JOIN users u ON u.business_id = s.business_id AND u.id = s.user_id"
        " JOIN businesses b ON b.id = s.business_id"
        " WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > " + detail::Timestamp("$2"),
        hash, detail::ToMicros(now));
    if (rows.empty()) return std::nullopt;
    const auto& row = rows[0];
    Account account{row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<std::string>(), "",
                    FindRole(row[4].as<std::string>()).value_or(Role::kAgent), row[5].as<std::string>(),
                    row[6].as<std::string>(), row[7].as<std::string>()};
    tx.exec_params("UPDATE operator_sessions SET last_seen_at = " + detail::Timestamp("$2") +
                       " WHERE id = $1::uuid AND last_seen_at < " + detail::Timestamp("$2") + " - interval '1 minute'",
                   row[0].as<std::string>(), detail::ToMicros(now));
    return SessionPrincipal(account, row[0].as<std::string>());
  });
}

bool Logout(db::Pool& pool, const std::string& token, TimePoint now) {
  if (token.rfind(kSessionScheme, 0) != 0 || token.size() > 200) return false;
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    return !tx.exec_params("UPDATE operator_sessions SET revoked_at = " + detail::Timestamp("$2") +
                               " WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > " +
                               detail::Timestamp("$2") + " RETURNING id",
                           SecretHash(token), detail::ToMicros(now))
                .empty();
  });
}

}  // namespace omni::operators
