// Migration 25: private notes on a conversation, written by the business's
// team for each other. They live apart from messages so that nothing that
// reads a transcript for a visitor or for the model can ever include one.
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_conversation_notes[] = R"sql(
CREATE TABLE conversation_notes (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  business_id     uuid NOT NULL,
  conversation_id uuid NOT NULL,
  author          text NOT NULL,
  body            text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 4000),
  created_at      timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (business_id, conversation_id) REFERENCES conversations (business_id, id) ON DELETE CASCADE
);
CREATE INDEX conversation_notes_conversation_idx ON conversation_notes (business_id, conversation_id, created_at);
)sql";

}  // namespace omni::db::migrations
