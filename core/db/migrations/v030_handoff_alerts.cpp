// Migration 30: an operator may ask to be e-mailed when a conversation is
// handed to the team, besides the business's notify address.
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_handoff_alerts[] = R"sql(
ALTER TABLE users ADD COLUMN handoff_alerts boolean NOT NULL DEFAULT false;
)sql";

}  // namespace omni::db::migrations
