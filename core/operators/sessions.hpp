// Console sign-in: login with throttling, sessions, and logout.
//
// A session is a random token ("oms_...") the browser keeps in an HttpOnly
// cookie; only its SHA-256 is stored. It ends at expires_at
// (console.session_ttl_s after login), at logout, when its user's password
// is set again or the user is removed. Its user's current role applies on
// every request, so a role change takes effect at once.
//
// Login never says whether an account exists: an unknown business, an
// unknown email, a user without a password yet and a wrong password are
// one answer (kRejected), and an unknown account costs the same Argon2id
// verification as a known one. Failures are counted per account (the
// business slug and email as typed, existing or not) and per client
// address within console.login_window_s; past either limit a login is
// kThrottled without checking the password. An attempt counts as failed
// from before its password is checked, so that parallel guesses cannot
// slip past the limit.
// Thread-safe: free functions over a db::Pool; each call leases a connection.
#pragma once

#include <optional>
#include <string>

#include "core/common/clock.hpp"
#include "core/config/config.hpp"
#include "core/operators/roles.hpp"

namespace omni::db {
class Pool;
}

namespace omni::operators {

struct LoginRequest {
  std::string business_slug;
  std::string email;
  std::string password;
  std::string remote_address;  // the client's IP address, for its limit
};

struct Session {
  std::string token;       // the cookie's value: shown once, never stored
  std::string csrf_token;  // CsrfTokenFor(token)
  TimePoint expires_at;
};

struct LoginResult {
  enum class Outcome { kSignedIn, kRejected, kThrottled };
  Outcome outcome = Outcome::kRejected;
  int retry_after_s = 0;           // kThrottled: seconds until a login may be tried again
  std::optional<Session> session;  // kSignedIn
  std::optional<Principal> principal;  // kSignedIn
};

// How many failures count now, as LoginAttempts reads them.
struct FailureCounts {
  int account = 0;  // since the window began or the account's last success
  int address = 0;  // from the client address within the window
  // When the oldest counted failure of each falls out of the window.
  std::optional<TimePoint> account_frees_at;
  std::optional<TimePoint> address_frees_at;
};

// 0 when a login may go ahead; otherwise the whole seconds (at least 1)
// until it may, for Retry-After. Pure.
int ThrottleSeconds(const FailureCounts& counts, const config::ConsoleSettings& settings, TimePoint now);

// Signs an operator in (see the file comment). Throws Unavailable when the
// database cannot be reached; never for a bad credential.
LoginResult Login(db::Pool& pool, const LoginRequest& request, const config::ConsoleSettings& settings,
                  TimePoint now);

// The principal of a live session token: not expired at `now`, not
// revoked, its user still there. Records when it was last seen (at most
// once a minute). nullopt otherwise, also for a malformed token.
std::optional<Principal> AuthenticateSession(db::Pool& pool, const std::string& token, TimePoint now);

// Ends the session of `token`; true when a live one ended.
bool Logout(db::Pool& pool, const std::string& token, TimePoint now);

}  // namespace omni::operators
