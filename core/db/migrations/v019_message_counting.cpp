// Migration 19: a chat turn counts its own messages in the conversation
// UPDATE it already makes, instead of the messages trigger.
//
// The chat updates the conversation row when it locks it for the visitor's
// message (core/chat/conversations.cpp, LockForMessage) and when it stores
// the AI's reply (SaveAiMessageAtOnce). Adding the reporting columns to
// those UPDATEs, in the same transaction, spares each message a PL/pgSQL
// call and a second version of the conversation row. Such a message is
// stored with `counted` true, and the counting trigger skips it without
// entering PL/pgSQL. Every other writer (an operator's reply, tool results,
// imports, test fixtures) leaves `counted` false and is counted by the
// trigger as before (migration 12). The daily usage per model stays in a
// trigger of its own, for every writer.
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_message_counting[] = R"sql(
-- true: the writer updated the conversation's reporting columns itself.
ALTER TABLE messages ADD COLUMN counted boolean NOT NULL DEFAULT false;

CREATE OR REPLACE FUNCTION omni_record_message() RETURNS trigger LANGUAGE plpgsql AS $$
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
  RETURN NULL;
END
$$;

CREATE FUNCTION omni_record_model_usage() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO llm_usage_daily AS u (business_id, day, model, calls, prompt_tokens, completion_tokens, cost_micros)
    SELECT NEW.business_id, (NEW.created_at AT TIME ZONE b.timezone)::date, NEW.model, 1,
           coalesce(NEW.prompt_tokens, 0), coalesce(NEW.completion_tokens, 0), coalesce(NEW.cost_micros, 0)
    FROM businesses b WHERE b.id = NEW.business_id
  ON CONFLICT (business_id, day, model) DO UPDATE SET
    calls = u.calls + 1,
    prompt_tokens = u.prompt_tokens + EXCLUDED.prompt_tokens,
    completion_tokens = u.completion_tokens + EXCLUDED.completion_tokens,
    cost_micros = u.cost_micros + EXCLUDED.cost_micros;
  RETURN NULL;
END
$$;

DROP TRIGGER messages_record ON messages;
CREATE TRIGGER messages_record AFTER INSERT ON messages
  FOR EACH ROW WHEN (NOT NEW.counted) EXECUTE FUNCTION omni_record_message();
CREATE TRIGGER messages_usage AFTER INSERT ON messages
  FOR EACH ROW WHEN (NEW.model IS NOT NULL AND NEW.model <> 'offline') EXECUTE FUNCTION omni_record_model_usage();
)sql";

}  // namespace omni::db::migrations
