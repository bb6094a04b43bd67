// API keys of a business (`omni keys`): Bearer credentials for the operator
// API, each acting with one role within its business.
//
// A key looks like "omk_<12 letters and digits>_<43 base64url characters>".
// Its first 16 characters ("omk_" and the 12) are its prefix, kept in
// clear to find it and to show it in lists; the whole key is shown once at
// creation and stored only as its SHA-256, compared in constant time.
// A revoked key never works again. Keys are not operators: they do not
// count against the plan's operator limit.
// Thread-safe: free functions over a db::Pool; each call leases a connection.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/common/clock.hpp"
#include "core/operators/roles.hpp"

namespace omni::db {
class Pool;
}

namespace omni::operators {

struct ApiKey {
  std::string id;
  std::string business_id;
  std::string name;
  Role role = Role::kAgent;
  std::string prefix;  // "omk_" + 12 characters
  TimePoint created_at;
  std::optional<TimePoint> last_used_at;
  std::optional<TimePoint> revoked_at;
};

struct CreatedKey {
  ApiKey key;
  std::string secret;  // the whole key: shown once, never stored
};

// Creates a key. `name` is 1 to 100 characters, unique among the business's
// keys that are not revoked (case-insensitive). Throws InvalidInput for a
// bad name, Conflict for a name in use, NotFound for an unknown business.
CreatedKey CreateKey(db::Pool& pool, const std::string& business_id, const std::string& name, Role role,
                     TimePoint now);

// The business's keys, newest first; revoked ones only when asked.
std::vector<ApiKey> ListKeys(db::Pool& pool, const std::string& business_id, bool include_revoked = false);

// Revokes the key named by its id, prefix or name (a key not revoked yet).
// Returns it. Throws NotFound, also for another business's key.
ApiKey RevokeKey(db::Pool& pool, const std::string& business_id, const std::string& key, TimePoint now);

// The principal a presented key acts as, and records its use (last_used_at,
// at most once a minute per key, so busy keys do not write on every call).
// nullopt for a malformed, unknown or revoked key.
std::optional<Principal> AuthenticateKey(db::Pool& pool, const std::string& secret, TimePoint now);

}  // namespace omni::operators
