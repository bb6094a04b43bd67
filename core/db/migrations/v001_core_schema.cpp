// Migration 1: the whole domain schema.
//
// Conventions: every tenant table carries business_id, and references to
// another tenant row are composite foreign keys (business_id, x_id), so a
// row can never point into another business. Enumerations are upper-case
// text with CHECK constraints. Money is integer cents, LLM cost integer
// micro-dollars, times timestamptz, durations integer minutes (_min).
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_core_schema[] = R"sql(
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Keeps updated_at current on every UPDATE.
CREATE FUNCTION omni_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

CREATE TABLE businesses (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug                   text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  name                   text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  industry               text NOT NULL DEFAULT 'OTHER' CHECK (industry IN
                           ('MEDSPA', 'SALON', 'DENTAL', 'FITNESS', 'HEALTHCARE', 'HOME_SERVICES', 'OTHER')),
  timezone               text NOT NULL DEFAULT 'UTC' CHECK (timezone <> ''),
  email                  text,
  phone                  text,
  website                text,
  address                text,
  -- {"monday": [["09:00","17:00"]], ...}; "24:00" is the next local midnight.
  weekly_hours           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(weekly_hours) = 'object'),
  -- {"2026-12-24": [["09:00","13:00"]], "2026-12-25": []}; [] closes the day.
  date_overrides         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(date_overrides) = 'object'),
  ai_personality         text NOT NULL DEFAULT '',
  greeting               text NOT NULL DEFAULT '',
  ai_instructions        text NOT NULL DEFAULT '',
  ai_enabled             boolean NOT NULL DEFAULT true,
  -- Booking rules.
  buffer_before_min      integer NOT NULL DEFAULT 0 CHECK (buffer_before_min BETWEEN 0 AND 1440),
  buffer_after_min       integer NOT NULL DEFAULT 0 CHECK (buffer_after_min BETWEEN 0 AND 1440),
  min_notice_min         integer NOT NULL DEFAULT 60 CHECK (min_notice_min >= 0),
  advance_days           integer NOT NULL DEFAULT 60 CHECK (advance_days BETWEEN 1 AND 3660),
  slot_interval_min      integer NOT NULL DEFAULT 30 CHECK (slot_interval_min BETWEEN 1 AND 1440),
  -- Billing.
  plan_tier              text NOT NULL DEFAULT 'FREE' CHECK (plan_tier IN
                           ('FREE', 'STARTER', 'PROFESSIONAL', 'ENTERPRISE')),
  -- Stripe's subscription status, upper-cased; NONE before any subscription.
  subscription_status    text NOT NULL DEFAULT 'NONE' CHECK (subscription_status IN
                           ('NONE', 'TRIALING', 'ACTIVE', 'PAST_DUE', 'CANCELED', 'UNPAID',
                            'INCOMPLETE', 'INCOMPLETE_EXPIRED', 'PAUSED')),
  trial_ends_at          timestamptz,
  stripe_customer_id     text UNIQUE,
  stripe_subscription_id text UNIQUE,
  -- Webchat: colours, title, position, pre-chat fields.
  widget                 jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(widget) = 'object'),
  -- HMAC key for identity verification (identity_hash); 64 random hex digits.
  widget_secret          text NOT NULL DEFAULT
                           replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
  allowed_origins        text[] NOT NULL DEFAULT '{}',
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER businesses_touch BEFORE UPDATE ON businesses
  FOR EACH ROW EXECUTE FUNCTION omni_touch_updated_at();

-- Operators of a business (the dashboard and CLI users).
CREATE TABLE users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  business_id   uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
  email         text NOT NULL CHECK (position('@' IN email) > 1),
  name          text NOT NULL DEFAULT '',
  role          text NOT NULL DEFAULT 'AGENT' CHECK (role IN ('OWNER', 'ADMIN', 'AGENT')),
  password_hash text,
  last_login_at timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (business_id, id)
);
CREATE UNIQUE INDEX users_business_email_key ON users (business_id, lower(email));
CREATE TRIGGER users_touch BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION omni_touch_updated_at();

-- API keys: only a hash is stored; `prefix` is the visible start of the key.
CREATE TABLE api_keys (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  business_id  uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
  name         text NOT NULL,
  key_hash     text NOT NULL UNIQUE,
  prefix       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_keys_business_idx ON api_keys (business_id);

CREATE TABLE customers (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  business_id      uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
  name             text NOT NULL DEFAULT '',
  email            text CHECK (email IS NULL OR position('@' IN email) > 1),
  phone            text,
  -- Digits only, so "+1 (555) 010-2030" and "1-555-010-2030" are one phone.
  phone_normalized text GENERATED ALWAYS AS (nullif(regexp_replace(phone, '[^0-9]', '', 'g'), '')) STORED,
  -- The business site's own user id, verified by identity_hash in webchat.
  external_id      text,
  tags             text[] NOT NULL DEFAULT '{}',
  notes            text NOT NULL DEFAULT '',
  metadata         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  visit_count      integer NOT NULL DEFAULT 0 CHECK (visit_count >= 0),
  last_contact_at  timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (business_id, id)
);
CREATE UNIQUE INDEX customers_business_email_key ON customers (business_id, lower(email))
  WHERE email IS NOT NULL;
CREATE UNIQUE INDEX customers_business_phone_key ON customers (business_id, phone_normalized)
  WHERE phone_normalized IS NOT NULL;
CREATE UNIQUE INDEX customers_business_external_id_key ON customers (business_id, external_id)
  WHERE external_id IS NOT NULL;
CREATE INDEX customers_business_last_contact_idx ON customers (business_id, last_contact_at DESC NULLS LAST);
CREATE INDEX customers_name_trgm_idx ON customers USING gin (name gin_trgm_ops);
CREATE TRIGGER customers_touch BEFORE UPDATE ON customers
  FOR EACH ROW EXECUTE FUNCTION omni_touch_updated_at();

CREATE TABLE conversations (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  business_id       uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
  customer_id       uuid,
  channel           text NOT NULL DEFAULT 'WEBCHAT' CHECK (channel IN
                      ('WEBCHAT', 'CLI', 'API', 'SMS', 'EMAIL', 'PHONE')),
  -- AI_ACTIVE -> ESCALATED (a human owns it) -> RESOLVED -> REOPENED.
  status            text NOT NULL DEFAULT 'AI_ACTIVE' CHECK (status IN
                      ('AI_ACTIVE', 'ESCALATED', 'RESOLVED', 'REOPENED')),
  intent            text,
  summary           text,
  assigned_to       text,
  escalated_at      timestamptz,
  escalation_reason text,
  resolved_at       timestamptz,
  visitor_id        text,
  last_message_at   timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (business_id, id),
  FOREIGN KEY (business_id, customer_id) REFERENCES customers (business_id, id) ON DELETE SET NULL (customer_id)
);
CREATE INDEX conversations_business_recent_idx ON conversations (business_id, last_message_at DESC NULLS LAST);
CREATE INDEX conversations_business_status_idx ON conversations (business_id, status);
CREATE INDEX conversations_customer_idx ON conversations (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX conversations_visitor_idx ON conversations (business_id, visitor_id) WHERE visitor_id IS NOT NULL;
CREATE TRIGGER conversations_touch BEFORE UPDATE ON conversations
  FOR EACH ROW EXECUTE FUNCTION omni_touch_updated_at();

CREATE TABLE messages (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Orders messages within a conversation, even inside one transaction.
  seq               bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  business_id       uuid NOT NULL,
  conversation_id   uuid NOT NULL,
  -- HUMAN is a staff member's reply, never shown to the model as ASSISTANT.
  role              text NOT NULL CHECK (role IN ('USER', 'ASSISTANT', 'SYSTEM', 'HUMAN', 'TOOL')),
  content           text NOT NULL DEFAULT '',
  tool_calls        jsonb CHECK (tool_calls IS NULL OR jsonb_typeof(tool_calls) = 'array'),
  tool_call_id      text,
  tool_name         text,
  tool_result       jsonb,
  prompt_tokens     integer CHECK (prompt_tokens >= 0),
  completion_tokens integer CHECK (completion_tokens >= 0),
  cost_micros       bigint CHECK (cost_micros >= 0),  -- US dollars * 1e6
  latency_ms        integer CHECK (latency_ms >= 0),
  model             text,
  -- An AI reply discarded because a human took over meanwhile.
  dropped           boolean NOT NULL DEFAULT false,
  metadata          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at        timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (business_id, conversation_id) REFERENCES conversations (business_id, id) ON DELETE CASCADE
);
CREATE INDEX messages_conversation_seq_idx ON messages (conversation_id, seq);
CREATE INDEX messages_business_created_idx ON messages (business_id, created_at);

CREATE TABLE services (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  business_id       uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
  name              text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  description       text NOT NULL DEFAULT '',
  duration_min      integer NOT NULL CHECK (duration_min > 0 AND duration_min <= 1440),
  price_cents       bigint NOT NULL DEFAULT 0 CHECK (price_cents >= 0),
  buffer_before_min integer NOT NULL DEFAULT 0 CHECK (buffer_before_min BETWEEN 0 AND 1440),
  buffer_after_min  integer NOT NULL DEFAULT 0 CHECK (buffer_after_min BETWEEN 0 AND 1440),
  bookable          boolean NOT NULL DEFAULT true,
  active            boolean NOT NULL DEFAULT true,
  sort_order        integer NOT NULL DEFAULT 0,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (business_id, name),
  UNIQUE (business_id, id)
);
CREATE TRIGGER services_touch BEFORE UPDATE ON services
  FOR EACH ROW EXECUTE FUNCTION omni_touch_updated_at();

-- Optional providers or resources (a chair, a dentist). Bookings on
-- different resources may overlap; see appointments.lane.
CREATE TABLE resources (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  business_id uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
  name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  active      boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (business_id, name),
  UNIQUE (business_id, id)
);

CREATE TABLE appointments (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  business_id     uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
  service_id      uuid NOT NULL,
  customer_id     uuid NOT NULL,
  resource_id     uuid,
  conversation_id uuid,
  starts_at       timestamptz NOT NULL,
  ends_at         timestamptz NOT NULL,
  -- [starts_at - buffer_before, ends_at + buffer_after), fixed at booking
  -- time so later changes to a service's buffers do not move old bookings.
  blocked_from    timestamptz NOT NULL,
  blocked_to      timestamptz NOT NULL,
  blocked         tstzrange GENERATED ALWAYS AS (tstzrange(blocked_from, blocked_to, '[)')) STORED,
  -- Which bookings compete: a booking on a resource occupies that
  -- resource's single point, one without a resource the whole line, so it
  -- blocks the whole business (every resource, and other resource-less
  -- bookings). The point comes from the resource id's 64-bit hash, halved
  -- so the closed range cannot overflow.
  lane            int8range GENERATED ALWAYS AS (
                    CASE WHEN resource_id IS NULL THEN int8range(NULL, NULL)
                         ELSE int8range(uuid_hash_extended(resource_id, 0) / 2,
                                        uuid_hash_extended(resource_id, 0) / 2, '[]') END) STORED,
  status          text NOT NULL DEFAULT 'SCHEDULED' CHECK (status IN
                    ('SCHEDULED', 'CONFIRMED', 'COMPLETED', 'CANCELED', 'NO_SHOW')),
  -- ICS SEQUENCE: grows on every reschedule and cancellation.
  sequence        integer NOT NULL DEFAULT 0 CHECK (sequence >= 0),
  notes           text NOT NULL DEFAULT '',
  cancel_reason   text,
  canceled_at     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at),
  CHECK (blocked_from <= starts_at AND blocked_to >= ends_at),
  UNIQUE (business_id, id),
  FOREIGN KEY (business_id, service_id) REFERENCES services (business_id, id),
  FOREIGN KEY (business_id, customer_id) REFERENCES customers (business_id, id),
  FOREIGN KEY (business_id, resource_id) REFERENCES resources (business_id, id),
  FOREIGN KEY (business_id, conversation_id) REFERENCES conversations (business_id, id)
    ON DELETE SET NULL (conversation_id),
  -- Live bookings never overlap (SQLSTATE 23P01 on violation).
  CONSTRAINT appointments_no_overlap EXCLUDE USING gist
    (business_id WITH =, lane WITH &&, blocked WITH &&)
    WHERE (status IN ('SCHEDULED', 'CONFIRMED'))
);
CREATE INDEX appointments_business_starts_idx ON appointments (business_id, starts_at);
CREATE INDEX appointments_customer_idx ON appointments (customer_id);
CREATE TRIGGER appointments_touch BEFORE UPDATE ON appointments
  FOR EACH ROW EXECUTE FUNCTION omni_touch_updated_at();

CREATE TABLE kb_documents (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  business_id  uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
  -- Stable identity within the source set: a path, a URL or a record id.
  external_id  text NOT NULL,
  source       text NOT NULL DEFAULT '',
  title        text NOT NULL DEFAULT '',
  doc_type     text NOT NULL DEFAULT 'DOCUMENT' CHECK (doc_type IN
                 ('FAQ', 'SERVICE', 'POLICY', 'WEBSITE', 'DOCUMENT')),
  tags         text[] NOT NULL DEFAULT '{}',
  content_hash text NOT NULL,
  byte_size    bigint NOT NULL DEFAULT 0 CHECK (byte_size >= 0),
  chunk_count  integer NOT NULL DEFAULT 0 CHECK (chunk_count >= 0),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (business_id, external_id),
  UNIQUE (business_id, id)
);
CREATE INDEX kb_documents_tags_idx ON kb_documents USING gin (tags);
CREATE TRIGGER kb_documents_touch BEFORE UPDATE ON kb_documents
  FOR EACH ROW EXECUTE FUNCTION omni_touch_updated_at();

CREATE TABLE kb_chunks (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  business_id     uuid NOT NULL,
  document_id     uuid NOT NULL,
  ordinal         integer NOT NULL CHECK (ordinal >= 0),
  title           text NOT NULL DEFAULT '',
  text            text NOT NULL,
  -- The chunk's span in the document text, in characters, half-open.
  char_start      integer NOT NULL CHECK (char_start >= 0),
  char_end        integer NOT NULL,
  embedding       real[],
  embedding_model text,
  CHECK (char_end >= char_start),
  UNIQUE (document_id, ordinal),
  FOREIGN KEY (business_id, document_id) REFERENCES kb_documents (business_id, id) ON DELETE CASCADE
);
CREATE INDEX kb_chunks_business_idx ON kb_chunks (business_id);

-- Embeddings by content, shared by every business: the same text under the
-- same model always has the same vector, so re-ingesting never re-embeds.
CREATE TABLE embedding_cache (
  model      text NOT NULL,
  text_hash  text NOT NULL,
  dimensions integer NOT NULL CHECK (dimensions > 0),
  vector     real[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, text_hash)
);

-- Usage totals per business, billing period and metric ("interactions",
-- "conversations", ...). reported_quantity is what Stripe has been told.
CREATE TABLE usage_periods (
  business_id       uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
  period_start      date NOT NULL,
  metric            text NOT NULL CHECK (metric ~ '^[a-z][a-z0-9_]*$'),
  quantity          bigint NOT NULL DEFAULT 0 CHECK (quantity >= 0),
  reported_quantity bigint NOT NULL DEFAULT 0 CHECK (reported_quantity >= 0),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (business_id, period_start, metric)
);

-- Individual metered events; idempotency_key makes a retried meter a no-op.
CREATE TABLE usage_events (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  business_id     uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
  metric          text NOT NULL CHECK (metric ~ '^[a-z][a-z0-9_]*$'),
  quantity        bigint NOT NULL DEFAULT 1 CHECK (quantity > 0),
  occurred_at     timestamptz NOT NULL DEFAULT now(),
  idempotency_key text,
  conversation_id uuid,
  UNIQUE (business_id, idempotency_key)
);
CREATE INDEX usage_events_business_time_idx ON usage_events (business_id, metric, occurred_at);

-- Stripe webhook events, kept by event id so a redelivery is a no-op.
CREATE TABLE stripe_events (
  id           text PRIMARY KEY,
  type         text NOT NULL,
  business_id  uuid REFERENCES businesses (id) ON DELETE SET NULL,
  payload      jsonb NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz,
  error        text
);
CREATE INDEX stripe_events_business_idx ON stripe_events (business_id, received_at);
)sql";

}  // namespace omni::db::migrations
