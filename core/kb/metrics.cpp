// nDCG, recall, reciprocal rank, percentiles, and BEIR qrels/queries parsing.
#include "core/kb/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/common/error.hpp"

namespace omni::kb {
namespace {

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    begin = end + 1;
  }
  return lines;
}

std::string IdText(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

double NdcgAt(const std::vector<std::string>& ranked, const std::set<std::string>& relevant,
              std::size_t k) {
  if (relevant.empty()) return 0;
  double dcg = 0;
  for (std::size_t i = 0; i < std::min(k, ranked.size()); ++i) {
    if (relevant.count(ranked[i]) > 0) dcg += 1 / std::log2(static_cast<double>(i) + 2);
  }
  double ideal = 0;
  for (std::size_t i = 0; i < std::min(k, relevant.size()); ++i) {
    ideal += 1 / std::log2(static_cast<double>(i) + 2);
  }
  return ideal > 0 ? dcg / ideal : 0;
}

double RecallAt(const std::vector<std::string>& ranked, const std::set<std::string>& relevant,
                std::size_t k) {
  if (relevant.empty()) return 0;
  std::size_t found = 0;
  for (std::size_t i = 0; i < std::min(k, ranked.size()); ++i) {
    if (relevant.count(ranked[i]) > 0) ++found;
  }
  return static_cast<double>(found) / static_cast<double>(relevant.size());
}

double ReciprocalRankAt(const std::vector<std::string>& ranked,
                        const std::set<std::string>& relevant, std::size_t k) {
  for (std::size_t i = 0; i < std::min(k, ranked.size()); ++i) {
    if (relevant.count(ranked[i]) > 0) return 1 / (static_cast<double>(i) + 1);
  }
  return 0;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(std::clamp(p, 0.0, 100.0) / 100 * static_cast<double>(values.size()));
  const std::size_t index = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
  return values[std::min(index, values.size() - 1)];
}

Qrels ParseQrels(std::string_view tsv, const std::string& source) {
  Qrels qrels;
  std::size_t line_number = 0;
  for (const std::string_view line : SplitLines(tsv)) {
    ++line_number;
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    std::vector<std::string> fields;
    std::size_t begin = 0;
    while (begin <= line.size()) {
      std::size_t end = line.find('\t', begin);
      if (end == std::string_view::npos) end = line.size();
      fields.emplace_back(line.substr(begin, end - begin));
      begin = end + 1;
    }
    if (fields.size() == 4) fields.erase(fields.begin() + 1);  // TREC: qid 0 docid rel
    const auto bad = [&](const std::string& what) {
      return InvalidInput(source + ":" + std::to_string(line_number) + ": " + what,
                          "Each line must be query-id, corpus-id and score, separated by tabs.");
    };
    if (fields.size() != 3) throw bad("expected 3 tab-separated fields, found " + std::to_string(fields.size()));
    double score = 0;
    try {
      std::size_t used = 0;
      score = std::stod(fields[2], &used);
      if (used != fields[2].size()) throw std::invalid_argument("trailing text");
    } catch (const std::exception&) {
      if (line_number == 1) continue;  // the header line
      throw bad("score \"" + fields[2] + "\" is not a number");
    }
    auto& relevant = qrels[fields[0]];
    if (score > 0) relevant.insert(fields[1]);
  }
  return qrels;
}

std::map<std::string, std::string> ParseQueries(std::string_view jsonl, const std::string& source) {
  std::map<std::string, std::string> queries;
  std::size_t line_number = 0;
  for (const std::string_view line : SplitLines(jsonl)) {
    ++line_number;
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    const auto where = source + ":" + std::to_string(line_number);
    const nlohmann::json row = nlohmann::json::parse(line, nullptr, false);
    if (row.is_discarded() || !row.is_object()) throw InvalidInput(where + ": not a JSON object");
    if (!row.contains("_id") || !row.contains("text") || !row["text"].is_string()) {
      throw InvalidInput(where + ": a query needs \"_id\" and a string \"text\"");
    }
    queries[IdText(row["_id"])] = row["text"].get<std::string>();
  }
  return queries;
}

}  // namespace omni::kb
