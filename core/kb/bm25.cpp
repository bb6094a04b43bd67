// Lucene BM25 over an in-memory inverted index, with top-k selection.
#include "core/kb/bm25.hpp"

#include <algorithm>
#include <cmath>

namespace omni::kb {

void Bm25Index::Builder::Add(std::uint32_t document,
                             const std::vector<std::pair<std::string_view, std::uint32_t>>& tfs,
                             std::uint32_t length) {
  const auto chunk = static_cast<std::uint32_t>(documents_.size());
  documents_.push_back(document);
  lengths_.push_back(length);
  for (const auto& [term, tf] : tfs) {
    if (tf == 0) continue;
    auto found = term_ids_.find(term);
    if (found == term_ids_.end()) {
      found = term_ids_.emplace(std::string(term), static_cast<std::uint32_t>(postings_.size())).first;
      postings_.emplace_back();
    }
    postings_[found->second].emplace_back(chunk, tf);
  }
}

void Bm25Index::Builder::AddTerms(std::uint32_t document, const std::vector<std::string>& terms) {
  std::unordered_map<std::string_view, std::uint32_t> counts;
  for (const auto& term : terms) ++counts[term];
  Add(document, {counts.begin(), counts.end()}, static_cast<std::uint32_t>(terms.size()));
}

Bm25Index Bm25Index::Builder::Build(const Bm25Params& params) && {
  Bm25Index index;
  const double n = static_cast<double>(documents_.size());
  double total_length = 0;
  for (const auto length : lengths_) total_length += length;
  index.average_length_ = documents_.empty() ? 0 : total_length / n;
  index.length_norms_.reserve(lengths_.size());
  for (const auto length : lengths_) {
    const double relative = index.average_length_ > 0 ? length / index.average_length_ : 0;
    index.length_norms_.push_back(params.k1 * (1 - params.b + params.b * relative));
  }
  std::size_t posting_count = 0;
  for (const auto& postings : postings_) posting_count += postings.size();
  index.posting_chunks_.reserve(posting_count);
  index.posting_tfs_.reserve(posting_count);
  index.terms_.reserve(term_ids_.size());
  for (const auto& [term, term_id] : term_ids_) {
    const auto& postings = postings_[term_id];
    // Chunks are added in position order, so each list is already sorted.
    Term entry;
    entry.begin = static_cast<std::uint32_t>(index.posting_chunks_.size());
    for (const auto& [chunk, tf] : postings) {
      index.posting_chunks_.push_back(chunk);
      index.posting_tfs_.push_back(tf);
    }
    entry.end = static_cast<std::uint32_t>(index.posting_chunks_.size());
    const double df = static_cast<double>(postings.size());
    entry.idf = std::log(1 + (n - df + 0.5) / (df + 0.5));
    index.terms_.emplace(term, entry);
  }
  for (const auto document : documents_) {
    index.document_count_ = std::max<std::size_t>(index.document_count_, document + std::size_t{1});
  }
  index.documents_ = std::move(documents_);
  return index;
}

double Bm25Index::Idf(std::string_view term) const {
  const auto found = terms_.find(std::string(term));
  return found == terms_.end() ? 0 : found->second.idf;
}

std::vector<Bm25Hit> Bm25Index::Search(const std::vector<std::string>& terms, std::size_t k,
                                       const std::vector<char>* allowed,
                                       bool one_per_document) const {
  std::vector<Bm25Hit> hits;
  if (k == 0 || terms.empty() || documents_.empty()) return hits;

  // Distinct indexed terms with their query frequency.
  std::vector<std::pair<const Term*, double>> query;
  for (const auto& term : terms) {
    const auto found = terms_.find(term);
    if (found == terms_.end()) continue;
    const Term* entry = &found->second;
    auto same = std::find_if(query.begin(), query.end(),
                             [&](const auto& item) { return item.first == entry; });
    if (same == query.end()) {
      query.emplace_back(entry, 1.0);
    } else {
      same->second += 1;
    }
  }
  if (query.empty()) return hits;

  // Scratch accumulators, reused across calls on the same thread.
  thread_local std::vector<double> scores;
  thread_local std::vector<std::uint32_t> touched;
  if (scores.size() < documents_.size()) scores.resize(documents_.size(), 0.0);
  touched.clear();
  for (const auto& [entry, query_tf] : query) {
    const double weight = query_tf * entry->idf;
    for (std::uint32_t p = entry->begin; p < entry->end; ++p) {
      const std::uint32_t chunk = posting_chunks_[p];
      const double tf = posting_tfs_[p];
      if (scores[chunk] == 0) touched.push_back(chunk);
      scores[chunk] += weight * tf / (tf + length_norms_[chunk]);
    }
  }

  std::vector<Bm25Hit> candidates;
  candidates.reserve(touched.size());
  for (const std::uint32_t chunk : touched) {
    const double score = scores[chunk];
    scores[chunk] = 0;
    // A matching term always adds a positive amount, except for a term in
    // every chunk of a huge index (idf rounds to 0): such chunks are skipped.
    if (score <= 0) continue;
    if (allowed != nullptr && (*allowed)[chunk] == 0) continue;
    candidates.push_back({chunk, score});
  }
  const auto better = [](const Bm25Hit& a, const Bm25Hit& b) {
    return a.score != b.score ? a.score > b.score : a.chunk < b.chunk;
  };
  if (one_per_document) {
    // Keep each document's best chunk, in first-seen order.
    thread_local std::vector<std::int64_t> slot_of_document;
    if (slot_of_document.size() < document_count_) slot_of_document.resize(document_count_, -1);
    std::size_t kept = 0;
    for (const Bm25Hit& hit : candidates) {
      std::int64_t& slot = slot_of_document[documents_[hit.chunk]];
      if (slot < 0) {
        slot = static_cast<std::int64_t>(kept);
        candidates[kept++] = hit;
      } else if (better(hit, candidates[static_cast<std::size_t>(slot)])) {
        candidates[static_cast<std::size_t>(slot)] = hit;
      }
    }
    candidates.resize(kept);
    for (const Bm25Hit& hit : candidates) slot_of_document[documents_[hit.chunk]] = -1;
  }
  const std::size_t top = std::min(k, candidates.size());
  const auto top_end = candidates.begin() + static_cast<std::ptrdiff_t>(top);
  if (top < candidates.size()) std::nth_element(candidates.begin(), top_end, candidates.end(), better);
  std::sort(candidates.begin(), top_end, better);
  candidates.resize(top);
  return candidates;
}

}  // namespace omni::kb
