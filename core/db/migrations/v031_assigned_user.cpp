// Migration 31: a conversation is assigned to an operator user of its
// business (assigned_user_id), no longer to a name. Removing the user
// unassigns it. Existing names are mapped: a name or an e-mail that is
// exactly one user of the business becomes that user; any other (a CLI
// `--as` author, an API key's "key:<name>", a user since removed, a name two
// users share) stays in assigned_to as legacy text, shown as before until
// the conversation is reassigned. A conversation never holds both.
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_assigned_user[] = R"sql(
ALTER TABLE conversations ADD COLUMN assigned_user_id uuid;
ALTER TABLE conversations ADD CONSTRAINT conversations_assigned_user_fkey
  FOREIGN KEY (business_id, assigned_user_id) REFERENCES users (business_id, id) ON DELETE SET NULL (assigned_user_id);
CREATE INDEX conversations_assigned_user_idx ON conversations (business_id, assigned_user_id)
  WHERE assigned_user_id IS NOT NULL;

UPDATE conversations c SET assigned_user_id = m.user_id, assigned_to = NULL
  FROM (SELECT c2.id AS conversation_id, (array_agg(DISTINCT u.id))[1] AS user_id
          FROM conversations c2
          JOIN users u ON u.business_id = c2.business_id
                      AND (lower(u.email) = lower(c2.assigned_to) OR (u.name <> '' AND u.name = c2.assigned_to))
         WHERE c2.assigned_to IS NOT NULL
         GROUP BY c2.id
        HAVING count(DISTINCT u.id) = 1) m
 WHERE c.id = m.conversation_id;

ALTER TABLE conversations ADD CONSTRAINT conversations_one_assignee
  CHECK (assigned_user_id IS NULL OR assigned_to IS NULL);
)sql";

}  // namespace omni::db::migrations
