// Operator roles, what each may do, and who is calling: the one
// role-permission table of omni. The operator API asks Allows() before it
// calls into core; the CLI is the machine's administrator and asks nothing.
//
//   OWNER  everything, including billing and the team (users and API keys)
//   ADMIN  everything but billing and the team
//   AGENT  conversations, customers and appointments; knowledge read-only
//
// Thread-safe: pure functions over values.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace omni::operators {

enum class Role { kOwner, kAdmin, kAgent };

// "OWNER", "ADMIN", "AGENT".
const char* RoleName(Role role);
// Parses those names case-insensitively; nullopt for anything else.
std::optional<Role> FindRole(const std::string& name);
// As FindRole; throws InvalidInput naming the text and listing the roles.
Role ParseRole(const std::string& name);

enum class Permission {
  kConversationsRead,
  kConversationsWrite,  // reply, escalate, resolve, reopen, assign, notes
  kCustomersRead,
  kCustomersWrite,
  kAppointmentsRead,
  kAppointmentsWrite,
  kKnowledgeRead,
  kKnowledgeWrite,
  kAnalyticsRead,
  kBilling,             // usage, plan and the billing portal
  kTeam,                // users and API keys
};

// "conversations:read", "billing", "team", ...: for messages and `me`.
const char* PermissionName(Permission permission);

// True when `role` may do what `permission` names (the table above).
bool Allows(Role role, Permission permission);

// Every permission `role` has, in declaration order.
std::vector<Permission> PermissionsOf(Role role);

// Who an operator API request acts as, once its credential checked out:
// a signed-in user (a console session) or an API key. Everything it does
// is scoped to business_id.
struct Principal {
  enum class Kind { kSession, kApiKey };
  Kind kind = Kind::kSession;
  std::string business_id;
  std::string business_slug;
  // The business's phone region (business::PhoneRegion), so that a phone
  // is shown as the business reads it (phone::Format); "" when none.
  std::string business_phone_region;
  Role role = Role::kAgent;
  std::string user_id;     // kSession: the user; "" for a key
  std::string email;       // kSession: the user's address
  std::string key_id;      // kApiKey: the key; "" for a session
  std::string session_id;  // kSession: the session
  // Who the team sees as the author of a reply: the user's name (their
  // email when they have none), or "key:<name>" for an API key.
  std::string display_name;
};

}  // namespace omni::operators
