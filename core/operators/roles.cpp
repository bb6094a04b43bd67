// The role-permission table; see roles.hpp.
#include "core/operators/roles.hpp"

#include <algorithm>
#include <cctype>

#include "core/common/error.hpp"

namespace omni::operators {
namespace {

constexpr Permission kAllPermissions[] = {
    Permission::kConversationsRead, Permission::kConversationsWrite, Permission::kCustomersRead,
    Permission::kCustomersWrite,    Permission::kAppointmentsRead,   Permission::kAppointmentsWrite,
    Permission::kKnowledgeRead,     Permission::kKnowledgeWrite,     Permission::kAnalyticsRead,
    Permission::kBilling,           Permission::kTeam};

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kOwner: return "OWNER";
    case Role::kAdmin: return "ADMIN";
    case Role::kAgent: return "AGENT";
  }
  return "AGENT";
}

std::optional<Role> FindRole(const std::string& name) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  for (Role role : {Role::kOwner, Role::kAdmin, Role::kAgent}) {
    if (upper == RoleName(role)) return role;
  }
  return std::nullopt;
}

Role ParseRole(const std::string& name) {
  if (auto role = FindRole(name)) return *role;
  throw InvalidInput("unknown role \"" + name + "\"", "Use owner, admin or agent.");
}

const char* PermissionName(Permission permission) {
  switch (permission) {
    case Permission::kConversationsRead: return "conversations:read";
    case Permission::kConversationsWrite: return "conversations:write";
    case Permission::kCustomersRead: return "customers:read";
    case Permission::kCustomersWrite: return "customers:write";
    case Permission::kAppointmentsRead: return "appointments:read";
    case Permission::kAppointmentsWrite: return "appointments:write";
    case Permission::kKnowledgeRead: return "knowledge:read";
    case Permission::kKnowledgeWrite: return "knowledge:write";
    case Permission::kAnalyticsRead: return "analytics:read";
    case Permission::kBilling: return "billing";
    case Permission::kTeam: return "team";
  }
  return "";
}

bool Allows(Role role, Permission permission) {
  switch (role) {
    case Role::kOwner:
      return true;
    case Role::kAdmin:
      return permission != Permission::kBilling && permission != Permission::kTeam;
    case Role::kAgent:
      switch (permission) {
        case Permission::kConversationsRead:
        case Permission::kConversationsWrite:
        case Permission::kCustomersRead:
        case Permission::kCustomersWrite:
        case Permission::kAppointmentsRead:
        case Permission::kAppointmentsWrite:
        case Permission::kKnowledgeRead:
          return true;
        default:
          return false;
      }
  }
  return false;
}

std::vector<Permission> PermissionsOf(Role role) {
  std::vector<Permission> permissions;
  for (Permission permission : kAllPermissions) {
    if (Allows(role, permission)) permissions.push_back(permission);
  }
  return permissions;
}

}  // namespace omni::operators
