// Migration 2: what the knowledge base's in-memory BM25 index is rebuilt
// from, and the counter that keeps every process's copy in parity.
// Never edit this text once applied: add a new migration instead.
namespace omni::db::migrations {

extern const char kMigration_kb_index[] = R"sql(
-- The analysed chunk (title and text): "term:tf term:tf ...", and the number
-- of indexed terms. Rebuilding an index from these needs no re-tokenising.
ALTER TABLE kb_chunks ADD COLUMN terms text NOT NULL DEFAULT '';
ALTER TABLE kb_chunks ADD COLUMN term_count integer NOT NULL DEFAULT 0 CHECK (term_count >= 0);

-- Bumped in the same transaction as every change to a business's documents
-- or chunks: a cached index whose generation differs is stale.
CREATE TABLE kb_generations (
  business_id uuid PRIMARY KEY REFERENCES businesses (id) ON DELETE CASCADE,
  generation  bigint NOT NULL DEFAULT 0 CHECK (generation >= 0)
);
)sql";

}  // namespace omni::db::migrations
