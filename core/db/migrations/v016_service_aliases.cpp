// Migration 16: the other names customers use for a service ("blow dry"
// for a blowout), from the business file's `aliases`, which the offline
// booking dialogue matches like the service's name.
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_service_aliases[] = R"sql(
ALTER TABLE services
  ADD COLUMN aliases text[] NOT NULL DEFAULT '{}';
)sql";

}  // namespace omni::db::migrations
