// Migration 32: rotating a webhook endpoint's signing secret without
// breaking its receiver. The secret it replaces keeps signing, next to the
// new one, until previous_secret_expires_at, so a receiver that still has
// it and one that already has the new one both verify; once that passes,
// omnid erases it (the partial index finds those rows without a scan).
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_webhook_secret_rotation[] = R"sql(
ALTER TABLE webhook_endpoints
  ADD COLUMN previous_secret text CHECK (previous_secret LIKE 'whsec\_%'),
  ADD COLUMN previous_secret_expires_at timestamptz,
  ADD CONSTRAINT webhook_endpoints_previous_secret_expires
    CHECK ((previous_secret IS NULL) = (previous_secret_expires_at IS NULL));
CREATE INDEX webhook_endpoints_previous_secret_expiry ON webhook_endpoints (previous_secret_expires_at)
  WHERE previous_secret_expires_at IS NOT NULL;
)sql";

}  // namespace omni::db::migrations
