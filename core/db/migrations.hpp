// Versioned schema migrations, compiled into the binary.
//
// Each migration is one SQL script (core/db/migrations/vNNN_*.cpp) applied in
// its own transaction and recorded in schema_migrations with a checksum of
// its text. Migrate holds a PostgreSQL advisory lock while it works, so
// several omni or omnid processes starting at once apply each migration
// exactly once. An applied migration whose text changed is an error: never
// edit one that shipped, add a new version instead.
//
// Thread-safe: functions take the pool and hold no state of their own.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace omni::db {

class Pool;

struct Migration {
  int version = 0;   // 1, 2, 3 ... without gaps
  std::string name;  // snake_case, e.g. "core_schema"
  std::string sql;   // may hold several statements
};

// Every migration this build knows, in version order.
const std::vector<Migration>& AllMigrations();

// SHA-256 of a migration's SQL, as 64 lower-case hex digits.
std::string MigrationChecksum(const std::string& sql);

struct MigrationState {
  int version = 0;
  std::string name;
  bool applied = false;
  std::string applied_at;  // ISO 8601 UTC, when applied
  bool checksum_ok = true;  // false: the applied text differs from this build's
  bool known = true;        // false: applied by a newer omni than this one
};

struct MigrationStatus {
  std::vector<MigrationState> migrations;  // this build's, then unknown applied ones
  int current_version = 0;                 // highest applied version
  int latest_version = 0;                  // highest version this build knows
  int pending = 0;                         // known migrations not yet applied
  bool up_to_date() const { return pending == 0; }
};

// Reads schema_migrations (an empty database has none applied). Does not
// change anything. Throws Unavailable when the database cannot be reached.
MigrationStatus GetMigrationStatus(Pool& pool);

// True when every known migration is applied with a matching checksum (for
// omnid's /readyz). Never throws for a reachable database.
bool SchemaIsCurrent(Pool& pool);

// True when schema_migrations holds exactly this build's versions (an empty
// or missing table: false). One query, without the lock or the checksums:
// the check every command makes on start-up (db::Open), so that a current
// schema costs one round trip. GetMigrationStatus and Migrate verify the
// checksums. Throws Unavailable when the database cannot be reached.
bool AppliedVersionsMatch(Pool& pool);

// Applies the pending migrations of `migrations` (default: AllMigrations())
// under the advisory lock, each in its own transaction, and returns those it
// applied (empty when up to date). Throws Conflict when an applied
// migration's checksum differs from this build's, or the database holds a
// version this build does not know; a failing migration rolls back and
// throws the translated database error naming it.
std::vector<Migration> Migrate(Pool& pool);
std::vector<Migration> Migrate(Pool& pool, const std::vector<Migration>& migrations);

}  // namespace omni::db
