// The migration registry and runner.
#include "core/db/migrations.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <map>

#include "core/db/pqxx.hpp"

// The registry: one line per migration, in version order. X(version, name)
// refers to core/db/migrations/vNNN_<name>.cpp, which defines
// `extern const char kMigration_<name>[]` in omni::db::migrations.
#define OMNI_MIGRATIONS(X) \
  X(1, core_schema) \
  X(2, kb_index) \
  X(3, server_settings) \
  X(4, customer_claims) \
  X(5, subscription_state) \
  X(6, jobs) \
  X(7, stripe_event_outcomes) \
  X(8, usage_warnings) \
  X(10, notifications) \
  X(12, analytics_recording) \
  X(13, csat) \
  X(14, customer_merges) \
  X(16, service_aliases) \
  X(18, operator_access) \
  X(19, message_counting) \
  X(21, webhooks) \
  X(22, webhook_retention) \
  X(25, conversation_notes) \
  X(27, business_country) \
  X(28, phone_e164) \
  X(30, handoff_alerts) \
  X(31, assigned_user) \
  X(32, webhook_secret_rotation)

// Migrations whose data change needs C++ (phone numbers are read with
// libphonenumber): X(version, name) refers to
// `void MigrationStep_<name>(pqxx::work&)` in the same vNNN_<name>.cpp, run
// after the version's SQL in its transaction. The checksum covers the SQL
// only, so a step must never change once shipped either.
#define OMNI_MIGRATION_STEPS(X) X(28, phone_e164)

namespace omni::db {
namespace migrations {
#define OMNI_DECLARE_MIGRATION(version, name) extern const char kMigration_##name[];
OMNI_MIGRATIONS(OMNI_DECLARE_MIGRATION)
#undef OMNI_DECLARE_MIGRATION
#define OMNI_DECLARE_STEP(version, name) void MigrationStep_##name(pqxx::work& tx);
OMNI_MIGRATION_STEPS(OMNI_DECLARE_STEP)
#undef OMNI_DECLARE_STEP
}  // namespace migrations

namespace {

// pg_advisory_lock key shared by every omni process: "omni" "migr" in ASCII.
constexpr long long kMigrationLockKey = 0x6f6d6e696d696772LL;

constexpr const char* kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY CHECK (version > 0),
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  checksum   text NOT NULL
))sql";

struct AppliedMigration {
  std::string name;
  std::string checksum;
  std::string applied_at;
};

std::map<int, AppliedMigration> ReadApplied(pqxx::transaction_base& tx) {
  std::map<int, AppliedMigration> applied;
  const auto exists = tx.exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (!exists[0][0].as<bool>()) return applied;
  const auto rows = tx.exec(
      "SELECT version, name, checksum, "
      "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
      "FROM schema_migrations ORDER BY version");
  for (const auto& row : rows) {
    applied[row[0].as<int>()] =
        AppliedMigration{row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<std::string>()};
  }
  return applied;
}

MigrationStatus BuildStatus(const std::vector<Migration>& known, const std::map<int, AppliedMigration>& applied) {
  MigrationStatus status;
  for (const auto& migration : known) {
    MigrationState state;
    state.version = migration.version;
    state.name = migration.name;
    if (auto it = applied.find(migration.version); it != applied.end()) {
      state.applied = true;
      state.applied_at = it->second.applied_at;
      state.checksum_ok = it->second.checksum == MigrationChecksum(migration.sql);
    } else {
      ++status.pending;
    }
    status.latest_version = std::max(status.latest_version, migration.version);
    status.migrations.push_back(state);
  }
  for (const auto& [version, row] : applied) {
    const bool known_version = std::any_of(known.begin(), known.end(),
                                           [version = version](const Migration& m) { return m.version == version; });
    if (!known_version) {
      MigrationState state{version, row.name, true, row.applied_at};
      state.known = false;
      status.migrations.push_back(state);
    }
    status.current_version = std::max(status.current_version, version);
  }
  return status;
}

// Throws Conflict when the database's history contradicts this build's.
void CheckHistory(const MigrationStatus& status) {
  for (const auto& state : status.migrations) {
    if (!state.checksum_ok) {
      throw Conflict("migration " + std::to_string(state.version) + " (" + state.name +
                         ") was applied from different SQL than this build holds (checksum mismatch)",
                     "Never edit a migration that has been applied: restore its text and add a new version.");
    }
    if (!state.known) {
      throw Conflict("the database schema has migration " + std::to_string(state.version) + " (" + state.name +
                         "), newer than this omni knows (latest " + std::to_string(status.latest_version) + ")",
                     "Upgrade omni to the version that migrated this database.");
    }
  }
}

// Runs the C++ step of `migration`, if it has one.
void RunStep(const Migration& migration, pqxx::work& tx) {
#define OMNI_RUN_STEP(step_version, step_name) \
  if (migration.version == step_version && migration.name == #step_name) migrations::MigrationStep_##step_name(tx);
  OMNI_MIGRATION_STEPS(OMNI_RUN_STEP)
#undef OMNI_RUN_STEP
}

}  // namespace

const std::vector<Migration>& AllMigrations() {
  static const std::vector<Migration> all = {
#define OMNI_LIST_MIGRATION(version, name) Migration{version, #name, migrations::kMigration_##name},
      OMNI_MIGRATIONS(OMNI_LIST_MIGRATION)
#undef OMNI_LIST_MIGRATION
  };
  return all;
}

std::string MigrationChecksum(const std::string& sql) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(sql.data(), sql.size(), digest, &length, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

MigrationStatus GetMigrationStatus(Pool& pool) {
  const auto applied = WithTransaction(pool, [](pqxx::work& tx) { return ReadApplied(tx); });
  return BuildStatus(AllMigrations(), applied);
}

bool SchemaIsCurrent(Pool& pool) {
  try {
    const MigrationStatus status = GetMigrationStatus(pool);
    return status.up_to_date() && std::all_of(status.migrations.begin(), status.migrations.end(),
                                              [](const MigrationState& s) { return s.checksum_ok; });
  } catch (const std::exception&) {
    return false;
  }
}

bool AppliedVersionsMatch(Pool& pool) {
  std::string expected;
  for (const auto& migration : AllMigrations()) {
    expected += (expected.empty() ? "{" : ",") + std::to_string(migration.version);
  }
  expected += "}";
  return WithConnection(pool, [&](pqxx::nontransaction& tx) {
    try {
      return tx.exec1("SELECT coalesce(array_agg(version ORDER BY version), '{}')::text FROM schema_migrations")[0]
                 .as<std::string>() == expected;
    } catch (const pqxx::undefined_table&) {
      return false;
    }
  });
}

std::vector<Migration> Migrate(Pool& pool) { return Migrate(pool, AllMigrations()); }

std::vector<Migration> Migrate(Pool& pool, const std::vector<Migration>& migrations) {
  Pool::Lease lease = pool.Acquire();
  pqxx::connection& connection = lease.connection();
  std::vector<Migration> done;
  try {
    {
      // Waiting for another process's migrations may take longer than a
      // statement is normally allowed; RESET below restores the limit.
      pqxx::nontransaction tx(connection);
      tx.exec("SET statement_timeout = 0");
      tx.exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLockKey) + ")");
    }
    {
      pqxx::work tx(connection);
      tx.exec(kCreateMigrationsTable);
      tx.commit();
    }
    std::map<int, AppliedMigration> applied;
    {
      pqxx::work tx(connection);
      applied = ReadApplied(tx);
      tx.commit();
    }
    CheckHistory(BuildStatus(migrations, applied));
    for (const auto& migration : migrations) {
      if (applied.count(migration.version) != 0) continue;
      try {
        pqxx::work tx(connection);
        tx.exec(migration.sql);
        RunStep(migration, tx);
        tx.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                       migration.version, migration.name, MigrationChecksum(migration.sql));
        tx.commit();
      } catch (const pqxx::broken_connection&) {
        throw;
      } catch (const pqxx::sql_error& e) {
        std::string message = e.what();
        message = message.substr(0, message.find('\n'));
        if (message.rfind("ERROR:  ", 0) == 0) message = message.substr(8);
        throw omni::Error("migration " + std::to_string(migration.version) + " (" + migration.name +
                          ") failed: " + message + " (sqlstate " + e.sqlstate() + ")");
      }
      done.push_back(migration);
    }
    pqxx::nontransaction tx(connection);
    tx.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLockKey) + ")");
    tx.exec("RESET statement_timeout");
    return done;
  } catch (const std::exception& e) {
    // Closing the connection releases the session lock and the setting.
    lease.MarkBroken();
    RethrowTranslated(e);
  }
}

}  // namespace omni::db
