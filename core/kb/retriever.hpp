// BM25 retrieval over a business's knowledge chunks, served from an
// in-memory index kept in exact parity with PostgreSQL.
//
// PostgreSQL holds the truth. Each business's index (terms, chunks, titles,
// sources) is loaded on first use in one consistent snapshot, together with
// the business's kb generation. Every writer bumps that generation in the
// same transaction as its change, and every Search reads it first (one
// indexed lookup): when it moved, the index is reloaded before answering.
// So any Retriever, in any process, answers from exactly the committed
// state, and never runs SQL per query term.
//
// Analysis is kb/analyzer.hpp (PostgreSQL `english` equivalent); scoring is
// kb/bm25.hpp (Lucene BM25, OR semantics) with k1 and b from KbSettings,
// statistics per business, ties broken by (external id, chunk ordinal).
// With an Embedder (kb/embeddings.hpp), search is hybrid: the BM25 ranking
// and the cosine-similarity ranking of the chunks embedded with the same
// model are fused with reciprocal-rank fusion (1 / (60 + rank), summed).
// Thread-safe: Search may be called concurrently from any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.hpp"
#include "core/kb/documents.hpp"

namespace omni::db {
class Pool;
}

namespace omni::kb {

class Embedder;

// One indexed chunk with what a citation needs. Immutable.
struct Chunk {
  std::string id;
  std::string document_id;
  std::string external_id;
  std::string title;
  std::string source;
  DocType type = DocType::kDocument;
  std::vector<std::string> tags;
  int ordinal = 0;
  std::string text;
  int char_start = 0;  // span in the document's text, in code points
  int char_end = 0;
};

struct SearchOptions {
  std::size_t k = 5;              // at most this many hits
  std::vector<DocType> types;     // empty: every type; else any of these
  std::vector<std::string> tags;  // empty: any; else documents with any of these
  bool one_per_document = false;  // only each document's best chunk
  // Hybrid search only: when the embeddings service fails, answer from BM25
  // alone and log a warning, rather than throw. A chat turn asks for this:
  // a visitor is better served by keyword matches than by no answer.
  bool keyword_fallback = false;
};

struct SearchHit {
  std::shared_ptr<const Chunk> chunk;  // shares the index snapshot's memory
  double score = 0;                    // BM25 (> 0), or the fused RRF score in hybrid mode
};

class Retriever {
 public:
  // `pool` (and `embedder`, when given: hybrid search) must outlive the
  // retriever.
  Retriever(db::Pool& pool, const config::KbSettings& settings, Embedder* embedder = nullptr);
  ~Retriever();
  Retriever(const Retriever&) = delete;
  Retriever& operator=(const Retriever&) = delete;

  // The best chunks for `query`, best first. A query that is empty or all
  // stopwords, or a business without documents, gives an empty result (not
  // an error). Throws Unavailable when the database cannot be reached, and
  // in hybrid mode what Embedder::Embed throws.
  std::vector<SearchHit> Search(const std::string& business_id, std::string_view query,
                                const SearchOptions& options);

  // Loads the business's index now if it is stale (for warm-up and
  // benchmarks); returns its number of chunks.
  std::size_t Refresh(const std::string& business_id);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Up to `max_chars` code points of `text` around the first place where a
// query term occurs (from the start when none does), cut at word
// boundaries, with "…" marking cuts and white space collapsed.
std::string Snippet(std::string_view text, std::string_view query, std::size_t max_chars = 200);

}  // namespace omni::kb
