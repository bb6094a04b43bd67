// The operators of a business (`omni users`): who may sign in to the
// console, with which role, and their passwords.
//
// A new user either gets a password at once or a one-time set-password
// token, valid 24 hours and stored only as a hash; POSTing it with a new
// password to the console (SetPasswordWithToken) sets the password. The
// plan's operator limit (billing::PlanLimits::operators) caps how many
// users a business has. The last owner can be neither removed nor demoted,
// so a business never locks itself out. Setting a password or removing a
// user ends their console sessions.
// Every function is scoped by a business id; a user is named by id or email.
// Thread-safe: free functions over a db::Pool; each call leases a connection.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/billing/plans.hpp"
#include "core/common/clock.hpp"
#include "core/operators/roles.hpp"

namespace omni::db {
class Pool;
}

namespace omni::operators {

// How long a set-password token is valid.
inline constexpr int kSetPasswordTokenTtlS = 24 * 3600;

struct User {
  std::string id;
  std::string business_id;
  std::string email;
  std::string name;  // "" when not given
  Role role = Role::kAgent;
  bool has_password = false;  // false: invited, no password set yet
  bool handoff_alerts = false;  // e-mailed at each handoff (once they have a password)
  std::optional<TimePoint> last_login_at;
  TimePoint created_at;
};

struct NewUser {
  std::string email{};
  std::string name{};
  Role role = Role::kAgent;
  // Set at once when given (CheckPasswordRules applies); otherwise the
  // result carries a set-password token.
  std::optional<std::string> password{};
};

// A one-time set-password token, shown once.
struct SetPasswordToken {
  std::string token;  // "omp_..."
  TimePoint expires_at;
};

struct AddedUser {
  User user;
  std::optional<SetPasswordToken> set_password;  // when no password was given
};

// Adds a user. Throws InvalidInput for a malformed email or a password that
// breaks the rules, Conflict when the business has a user with that email
// (case-insensitive), LimitReached when the plan's operator limit is
// reached under the business's plan now (billing::CheckHolding: trial and
// subscription included), NotFound for an unknown business.
AddedUser AddUser(db::Pool& pool, const std::string& business_id, const NewUser& user,
                  const billing::BillingSettings& settings, TimePoint now);

// The business's users, owners first, then by email.
std::vector<User> ListUsers(db::Pool& pool, const std::string& business_id);

// The user with this id or email (case-insensitive). Throws NotFound.
User GetUser(db::Pool& pool, const std::string& business_id, const std::string& key);

// The business's user with this email (case-insensitive, never an id);
// nullopt when there is none, as for another business's user.
std::optional<User> FindUserByEmail(db::Pool& pool, const std::string& business_id, const std::string& email);

// Removes the user, their sessions and tokens; the conversations assigned
// to them become unassigned, announced to live views at commit in one
// notice naming the user (chat::NotifyTeammateRemoved). Returns who it was. Throws NotFound, or
// Conflict for the business's last owner.
User RemoveUser(db::Pool& pool, const std::string& business_id, const std::string& key);

// Changes a user's role; it applies to their open sessions at once.
// Throws NotFound, or Conflict when it would leave the business without an
// owner.
User SetRole(db::Pool& pool, const std::string& business_id, const std::string& key, Role role);

// Opts the user in to (or out of) the handoff alert e-mail, which goes to
// the business's notify address and to every opted-in user who has set a
// password. Throws NotFound.
User SetHandoffAlerts(db::Pool& pool, const std::string& business_id, const std::string& key, bool on);

// Sets the user's password (CheckPasswordRules; InvalidInput otherwise),
// voids their unused set-password tokens and ends their sessions.
User SetPassword(db::Pool& pool, const std::string& business_id, const std::string& key,
                 const std::string& password);

// A new set-password token for the user, valid kSetPasswordTokenTtlS from
// `now`; earlier unused ones stop working. The current password, if any,
// keeps working until the token is used.
SetPasswordToken IssueSetPasswordToken(db::Pool& pool, const std::string& business_id, const std::string& key,
                                       TimePoint now);

// Uses a set-password token: sets `password` on its user, marks the token
// used and ends the user's sessions. Throws InvalidInput for a password
// that breaks the rules (the token stays usable), and InvalidInput "the
// set-password link is invalid, used or expired" for any token that does
// not work, without saying which.
User SetPasswordWithToken(db::Pool& pool, const std::string& token, const std::string& password, TimePoint now);

// The link an invited user opens: `public_base_url` (no trailing slash
// needed) + "/console/set-password#token=<token>". The token sits in the
// fragment, which browsers send to no server and no Referer.
std::string SetPasswordLink(const std::string& public_base_url, const std::string& token);

}  // namespace omni::operators
