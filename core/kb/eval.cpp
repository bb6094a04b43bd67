// The retrieval benchmark: ingest, query, score.
#include "core/kb/eval.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/common/error.hpp"
#include "core/db/pqxx.hpp"
#include "core/kb/detail/store.hpp"
#include "core/kb/metrics.hpp"
#include "core/kb/retriever.hpp"

namespace omni::kb {
namespace {

std::string ReadFile(const std::string& path, const char* what) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw InvalidInput(std::string("could not read the ") + what + " file \"" + path + "\"",
                       "Check the path given.");
  }
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

}  // namespace

std::string CreateScratchBusiness(db::Pool& pool) {
  const std::string slug = "kb-eval-" + detail::NewUuid().substr(0, 8);
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx
        .exec_params1("INSERT INTO businesses (slug, name) VALUES ($1, 'kb eval scratch') RETURNING id",
                      slug)[0]
        .as<std::string>();
  });
}

void DropScratchBusiness(db::Pool& pool, const std::string& business_id) {
  db::WithTransaction(pool, [&](pqxx::work& tx) {
    tx.exec_params("DELETE FROM businesses WHERE id = $1 AND slug LIKE 'kb-eval-%'", business_id);
  });
}

EvalReport Evaluate(db::Pool& pool, const std::string& business_id, const config::KbSettings& settings,
                    const EvalOptions& options, const IngestEnvironment& environment) {
  // Parse the judgements first: a typo should not cost an ingest.
  const Qrels qrels = ParseQrels(ReadFile(options.qrels_path, "qrels"), options.qrels_path);
  const auto queries = ParseQueries(ReadFile(options.queries_path, "queries"), options.queries_path);
  if (qrels.empty()) throw InvalidInput("the qrels file \"" + options.qrels_path + "\" has no judgements");

  EvalReport report;
  IngestOptions ingest;
  ingest.inputs = {options.corpus_path};
  ingest.fields = options.fields;
  report.ingest = Ingest(pool, business_id, settings, ingest, environment);
  report.documents = static_cast<std::size_t>(report.ingest.added + report.ingest.updated +
                                              report.ingest.unchanged);

  const std::string prefix =
      std::filesystem::absolute(options.corpus_path).lexically_normal().string() + "#";
  Retriever retriever(pool, settings);
  const auto load_started = std::chrono::steady_clock::now();
  report.chunks = retriever.Refresh(business_id);
  report.index_load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_started).count();

  SearchOptions search;
  search.k = options.depth;
  search.one_per_document = true;
  std::vector<double> latencies;
  double ndcg = 0, recall = 0, mrr = 0;
  std::vector<std::string> ranked;
  for (const auto& [query_id, relevant] : qrels) {
    const auto query = queries.find(query_id);
    if (query == queries.end()) {
      ++report.queries_missing;
      continue;
    }
    const auto started = std::chrono::steady_clock::now();
    const auto hits = retriever.Search(business_id, query->second, search);
    latencies.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
    ranked.clear();
    for (const auto& hit : hits) {
      const std::string& external_id = hit.chunk->external_id;
      ranked.push_back(external_id.rfind(prefix, 0) == 0 ? external_id.substr(prefix.size()) : external_id);
    }
    ndcg += NdcgAt(ranked, relevant, 10);
    recall += RecallAt(ranked, relevant, 100);
    mrr += ReciprocalRankAt(ranked, relevant, 10);
  }
  report.queries = qrels.size();
  const double count = static_cast<double>(report.queries);
  report.ndcg_at_10 = ndcg / count;
  report.recall_at_100 = recall / count;
  report.mrr_at_10 = mrr / count;
  report.latency_p50_ms = Percentile(latencies, 50);
  report.latency_p95_ms = Percentile(latencies, 95);
  double total = 0;
  for (const double latency : latencies) total += latency;
  report.latency_mean_ms = latencies.empty() ? 0 : total / static_cast<double>(latencies.size());
  return report;
}

}  // namespace omni::kb
