// Retrieval quality metrics, as trec_eval computes them with binary
// relevance, and the BEIR file formats they are computed from.
// Thread-safe: pure functions.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace omni::kb {

// Relevant document ids per query id.
using Qrels = std::map<std::string, std::set<std::string>>;

// nDCG@k with binary gain and log2 discount: DCG = sum over relevant ranks
// r (1-based, r <= k) of 1 / log2(r + 1), divided by the DCG of an ideal
// ranking of min(k, |relevant|) relevant documents. 0 when `relevant` is
// empty or nothing relevant is retrieved.
double NdcgAt(const std::vector<std::string>& ranked, const std::set<std::string>& relevant,
              std::size_t k);

// The share of `relevant` found in the first k of `ranked`; 0 when empty.
double RecallAt(const std::vector<std::string>& ranked, const std::set<std::string>& relevant,
                std::size_t k);

// 1 / rank of the first relevant document within the first k; 0 if none.
double ReciprocalRankAt(const std::vector<std::string>& ranked,
                        const std::set<std::string>& relevant, std::size_t k);

// The nearest-rank percentile (p in [0, 100]) of `values`: the smallest
// value with at least p% of values at or below it. 0 for no values.
double Percentile(std::vector<double> values, double p);

// Parses a BEIR qrels TSV (query-id, corpus-id, score; a header line that
// does not parse as a score is skipped). Rows with score <= 0 are not
// relevant but still register the query. Throws InvalidInput naming
// `source` and the line for a malformed row.
Qrels ParseQrels(std::string_view tsv, const std::string& source);

// Parses a BEIR queries JSONL ({"_id", "text"} per line; other fields are
// ignored). Throws InvalidInput naming `source` and the line.
std::map<std::string, std::string> ParseQueries(std::string_view jsonl, const std::string& source);

}  // namespace omni::kb
