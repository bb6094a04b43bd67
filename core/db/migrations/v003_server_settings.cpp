// Migration 3: settings the server keeps in the database so that every
// omnid process on it agrees, such as the generated visitor token secret
// (core/webchat/session.hpp) when server.token_secret is not configured.
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_server_settings[] = R"sql(
CREATE TABLE server_settings (
  name       text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]*$'),
  value      text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
)sql";

}  // namespace omni::db::migrations
