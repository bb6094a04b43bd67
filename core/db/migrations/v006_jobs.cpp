// Migration 6: a general job queue (core/jobs). A job is enqueued in the
// transaction of the change that asks for it, so the work is done if and
// only if that change commits. Workers claim due jobs with FOR UPDATE SKIP
// LOCKED: for a RUNNING job run_at is when its lease expires, so one index
// finds both due jobs and jobs whose worker died. lease_id fences a worker
// whose lease expired: its late complete or retry matches no row.
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_jobs[] = R"sql(
CREATE TABLE jobs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  queue        text NOT NULL CHECK (queue ~ '^[a-z][a-z0-9_.-]{0,63}$'),
  business_id  uuid REFERENCES businesses (id) ON DELETE CASCADE,
  payload      jsonb NOT NULL DEFAULT '{}',
  -- Enqueueing a key already in the queue (for the business) is a no-op.
  dedupe_key   text CHECK (dedupe_key <> ''),
  state        text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'RUNNING', 'DONE', 'DEAD', 'CANCELED')),
  attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts integer NOT NULL DEFAULT 10 CHECK (max_attempts > 0),
  run_at       timestamptz NOT NULL,
  lease_id     uuid,
  last_error   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz
);
CREATE UNIQUE INDEX jobs_dedupe_key ON jobs
  (queue, coalesce(business_id, '00000000-0000-0000-0000-000000000000'), dedupe_key)
  WHERE dedupe_key IS NOT NULL;
CREATE INDEX jobs_due_idx ON jobs (queue, run_at) WHERE state IN ('PENDING', 'RUNNING');
CREATE INDEX jobs_business_idx ON jobs (business_id, queue, state);
)sql";

}  // namespace omni::db::migrations
