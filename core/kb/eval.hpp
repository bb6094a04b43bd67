// Retrieval evaluation on a BEIR-style data set: ingest the corpus, run
// every query of the qrels through the Retriever, and report trec_eval-style
// nDCG@10, R@100 and MRR@10 with query latency. Documents are ranked by
// their best chunk (one hit per document).
// Thread-safe: one call at a time per business.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "core/config/config.hpp"
#include "core/kb/extract.hpp"
#include "core/kb/ingest.hpp"

namespace omni::db {
class Pool;
}

namespace omni::kb {

struct EvalOptions {
  std::string corpus_path;   // corpus.jsonl ({"_id","title","text"}) or a CSV
  std::string queries_path;  // queries.jsonl ({"_id","text"})
  std::string qrels_path;    // TSV: query-id, corpus-id, score (header optional)
  RecordFields fields;       // of the corpus
  std::size_t depth = 100;   // documents retrieved per query
};

struct EvalReport {
  IngestReport ingest;
  std::size_t documents = 0;  // corpus documents in the business after ingest
  std::size_t chunks = 0;     // chunks in the business's index
  std::size_t queries = 0;    // queries in the qrels (the metrics' denominator)
  std::size_t queries_missing = 0;  // in the qrels but not in the queries file (scored 0)
  double ndcg_at_10 = 0;
  double recall_at_100 = 0;
  double mrr_at_10 = 0;
  double latency_p50_ms = 0;  // Retriever::Search, parity check included
  double latency_p95_ms = 0;
  double latency_mean_ms = 0;
  double index_load_seconds = 0;  // first load of the in-memory index
};

// Creates a business for evaluation runs ("kb-eval-" and random hex) and
// returns its id; DropScratchBusiness deletes it with all its documents.
std::string CreateScratchBusiness(db::Pool& pool);
void DropScratchBusiness(db::Pool& pool, const std::string& business_id);

// Ingests the corpus into `business_id` (incrementally: an unchanged corpus
// is not rewritten) and evaluates. Throws InvalidInput for unreadable or
// malformed queries or qrels files, and what Ingest throws.
EvalReport Evaluate(db::Pool& pool, const std::string& business_id, const config::KbSettings& settings,
                    const EvalOptions& options, const IngestEnvironment& environment = {});

}  // namespace omni::kb
