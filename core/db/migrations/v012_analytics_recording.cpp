// Migration 12: what analytics reads, recorded as each step happens.
//
// A conversation carries its reporting columns, written in the transaction
// that stores the step, never worked out later from message text:
// - the messages trigger below counts each message when it is stored (the
//   visitor's first message, the first reply whether AI or human, the first
//   team member's reply, messages in and out, tokens and cost), so every
//   writer (a chat turn, an operator's reply, a future channel) is counted
//   the same way and a chat turn pays no extra round trip;
// - the handoff's time and reason code, and who resolved it, are set by the
//   status change itself (core/chat/conversations.cpp, SetStatus).
// llm_usage_daily sums tokens and cost per model and local day of the
// business, also from the trigger. appointment_events records each booking,
// move and cancellation with the conversation that made it, written by the
// booking service in the transaction of the change, which also counts the
// conversation's bookings_made.
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_analytics_recording[] = R"sql(
ALTER TABLE conversations
  ADD COLUMN first_message_at     timestamptz,
  ADD COLUMN first_response_at    timestamptz,
  ADD COLUMN first_human_reply_at timestamptz,
  ADD COLUMN messages_in          integer NOT NULL DEFAULT 0 CHECK (messages_in >= 0),
  ADD COLUMN messages_out         integer NOT NULL DEFAULT 0 CHECK (messages_out >= 0),
  ADD COLUMN human_messages       integer NOT NULL DEFAULT 0 CHECK (human_messages >= 0),
  -- The first handoff only: later escalations move escalated_at, not these.
  ADD COLUMN handoff_at           timestamptz,
  ADD COLUMN handoff_reason       text CHECK (handoff_reason IN
                                    ('HUMAN_REQUESTED', 'MODEL_FAILURE', 'PLAN_LIMIT', 'TOOL_OR_POLICY', 'OPERATOR')),
  ADD COLUMN resolved_by          text CHECK (resolved_by IN ('AI', 'HUMAN')),
  -- Appointments booked through this conversation (appointment_events).
  ADD COLUMN bookings_made        integer NOT NULL DEFAULT 0 CHECK (bookings_made >= 0),
  ADD COLUMN prompt_tokens        bigint NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
  ADD COLUMN completion_tokens    bigint NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
  ADD COLUMN cost_micros          bigint NOT NULL DEFAULT 0 CHECK (cost_micros >= 0),
  ADD CONSTRAINT conversations_handoff_reason_with_time CHECK ((handoff_at IS NULL) = (handoff_reason IS NULL));

-- Analytics select a business's conversations by start time.
CREATE INDEX conversations_business_created_idx ON conversations (business_id, created_at);

CREATE TABLE llm_usage_daily (
  business_id       uuid NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
  day               date NOT NULL,  -- the business's local date of the model call
  model             text NOT NULL,
  calls             bigint NOT NULL DEFAULT 0 CHECK (calls >= 0),
  prompt_tokens     bigint NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
  completion_tokens bigint NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
  cost_micros       bigint NOT NULL DEFAULT 0 CHECK (cost_micros >= 0),
  PRIMARY KEY (business_id, day, model)
);

CREATE TABLE appointment_events (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  business_id     uuid NOT NULL,
  appointment_id  uuid NOT NULL,
  -- The chat that made the change; NULL for an operator's.
  conversation_id uuid,
  action          text NOT NULL CHECK (action IN ('BOOKED', 'RESCHEDULED', 'CANCELED')),
  at              timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (business_id, appointment_id) REFERENCES appointments (business_id, id) ON DELETE CASCADE,
  FOREIGN KEY (business_id, conversation_id) REFERENCES conversations (business_id, id)
    ON DELETE SET NULL (conversation_id)
);
CREATE INDEX appointment_events_conversation_idx ON appointment_events (conversation_id, action)
  WHERE conversation_id IS NOT NULL;
CREATE INDEX appointment_events_business_at_idx ON appointment_events (business_id, at);

-- A reply is what the visitor reads: an AI message with text, or a team
-- member's. Tool results, silent tool-calling steps and replies dropped
-- because a human took over are not; their tokens still cost.
CREATE FUNCTION omni_record_message() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  is_in    boolean := NEW.role = 'USER';
  is_human boolean := NEW.role = 'HUMAN';
  is_out   boolean := NOT NEW.dropped AND (NEW.role = 'HUMAN' OR (NEW.role = 'ASSISTANT' AND NEW.content <> ''));
BEGIN
  IF is_in OR is_out OR coalesce(NEW.prompt_tokens, 0) + coalesce(NEW.completion_tokens, 0) + coalesce(NEW.cost_micros, 0) > 0 THEN
    UPDATE conversations SET
      messages_in          = messages_in + is_in::int,
      messages_out         = messages_out + is_out::int,
      human_messages       = human_messages + is_human::int,
      first_message_at     = CASE WHEN is_in THEN coalesce(first_message_at, NEW.created_at) ELSE first_message_at END,
      first_response_at    = CASE WHEN is_out AND first_message_at IS NOT NULL
                               THEN coalesce(first_response_at, NEW.created_at) ELSE first_response_at END,
      first_human_reply_at = CASE WHEN is_human THEN coalesce(first_human_reply_at, NEW.created_at)
                               ELSE first_human_reply_at END,
      prompt_tokens        = prompt_tokens + coalesce(NEW.prompt_tokens, 0),
      completion_tokens    = completion_tokens + coalesce(NEW.completion_tokens, 0),
      cost_micros          = cost_micros + coalesce(NEW.cost_micros, 0)
    WHERE business_id = NEW.business_id AND id = NEW.conversation_id;
  END IF;
  IF NEW.model IS NOT NULL AND NEW.model <> 'offline' THEN
    INSERT INTO llm_usage_daily AS u (business_id, day, model, calls, prompt_tokens, completion_tokens, cost_micros)
      SELECT NEW.business_id, (NEW.created_at AT TIME ZONE b.timezone)::date, NEW.model, 1,
             coalesce(NEW.prompt_tokens, 0), coalesce(NEW.completion_tokens, 0), coalesce(NEW.cost_micros, 0)
      FROM businesses b WHERE b.id = NEW.business_id
    ON CONFLICT (business_id, day, model) DO UPDATE SET
      calls = u.calls + 1,
      prompt_tokens = u.prompt_tokens + EXCLUDED.prompt_tokens,
      completion_tokens = u.completion_tokens + EXCLUDED.completion_tokens,
      cost_micros = u.cost_micros + EXCLUDED.cost_micros;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER messages_record AFTER INSERT ON messages
  FOR EACH ROW EXECUTE FUNCTION omni_record_message();
)sql";

}  // namespace omni::db::migrations
