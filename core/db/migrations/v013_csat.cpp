// Migration 13: customer satisfaction. After a conversation is resolved, or
// when the visitor closes it, the widget asks for a rating from 1 to 5 and
// an optional comment; one rating per conversation, which the visitor may
// change. closed_at is when the visitor closed the conversation;
// csat_score repeats the rating on the conversation, written with it, so
// that analytics read one table.
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_csat[] = R"sql(
ALTER TABLE conversations
  ADD COLUMN closed_at  timestamptz,
  ADD COLUMN csat_score smallint CHECK (csat_score BETWEEN 1 AND 5);

CREATE TABLE csat_ratings (
  business_id     uuid NOT NULL,
  conversation_id uuid NOT NULL PRIMARY KEY,
  score           smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment         text NOT NULL DEFAULT '' CHECK (length(comment) <= 2000),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (business_id, conversation_id) REFERENCES conversations (business_id, id) ON DELETE CASCADE
);
CREATE INDEX csat_ratings_business_idx ON csat_ratings (business_id, created_at);
CREATE TRIGGER csat_ratings_touch BEFORE UPDATE ON csat_ratings
  FOR EACH ROW EXECUTE FUNCTION omni_touch_updated_at();
)sql";

}  // namespace omni::db::migrations
