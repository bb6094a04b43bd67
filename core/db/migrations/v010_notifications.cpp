// Migration 10: notifications (core/notify). A business's notification
// settings (its file's `notifications` section) as one jsonb, and the record
// of every notification: what was sent, or would have been sent while no
// e-mail is configured. dedupe_key is the job's: a job run again after a
// crash finds its notification already recorded and sends nothing twice.
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_notifications[] = R"sql(
ALTER TABLE businesses ADD COLUMN notifications jsonb NOT NULL DEFAULT '{}';
CREATE TABLE notifications (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  business_id     uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
  kind            text NOT NULL CHECK (kind IN ('confirmation', 'update', 'cancellation', 'reminder', 'handoff')),
  appointment_id  uuid,
  conversation_id uuid,
  recipient       text NOT NULL,
  subject         text NOT NULL,
  status          text NOT NULL CHECK (status IN ('SENT', 'NOT_SENT', 'SKIPPED')),
  detail          text NOT NULL DEFAULT '',
  dedupe_key      text NOT NULL,
  job_id          bigint,
  created_at      timestamptz NOT NULL,
  UNIQUE (business_id, dedupe_key)
);
CREATE INDEX notifications_business_idx ON notifications (business_id, created_at DESC);
)sql";

}  // namespace omni::db::migrations
