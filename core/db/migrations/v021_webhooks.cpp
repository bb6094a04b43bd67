// Migration 21: outbound webhooks (core/webhooks). An endpoint belongs to
// one business and names the events it wants; each event becomes one job
// per subscribed endpoint of that business, enqueued with the change. Every
// delivery attempt is logged with its status, duration and error. An
// endpoint that keeps failing is disabled: failing_since is the first
// failure since its last success; the owner's notice of that is a
// notification of kind webhook_disabled.
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_webhooks[] = R"sql(
CREATE TABLE webhook_endpoints (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  business_id     uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
  url             text NOT NULL CHECK (url ~* '^https?://'),
  -- "whsec_" and base64: the signing key must be readable to sign, so it is
  -- stored as given and only ever shown by its prefix.
  secret          text NOT NULL CHECK (secret LIKE 'whsec\_%'),
  events          text[] NOT NULL CHECK (cardinality(events) > 0),
  description     text NOT NULL DEFAULT '',
  enabled         boolean NOT NULL DEFAULT true,
  failing_since   timestamptz,
  disabled_at     timestamptz,
  disabled_reason text NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL DEFAULT now()
);
-- The per-event fan-out reads only this: a business without an enabled
-- endpoint costs one index probe that finds nothing.
CREATE INDEX webhook_endpoints_enabled ON webhook_endpoints (business_id) WHERE enabled;

CREATE TABLE webhook_deliveries (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  business_id uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
  endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  job_id      bigint,
  event_id    text NOT NULL,
  event_type  text NOT NULL,
  attempt     integer NOT NULL,
  status_code integer,           -- NULL: no HTTP response
  duration_ms integer NOT NULL,
  error       text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL
);
CREATE INDEX webhook_deliveries_business ON webhook_deliveries (business_id, id DESC);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id DESC);

-- The owner's notice that an endpoint was disabled is a notification too.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
  CHECK (kind IN ('confirmation', 'update', 'cancellation', 'reminder', 'handoff', 'webhook_disabled'));
)sql";

}  // namespace omni::db::migrations
