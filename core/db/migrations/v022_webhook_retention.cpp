// Migration 22: retention of outbound webhooks' history. omnid deletes
// delivery attempts and finished jobs older than a retention in small
// batches; these indexes let each batch find the oldest rows without
// reading the whole table, also when there is nothing to delete.
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_webhook_retention[] = R"sql(
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
CREATE INDEX jobs_finished_idx ON jobs (queue, finished_at) WHERE finished_at IS NOT NULL;
)sql";

}  // namespace omni::db::migrations
