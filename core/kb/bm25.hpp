// An in-memory BM25 inverted index over the chunks of one business.
//
// Scoring is Lucene's BM25 (BM25Similarity since Lucene 8):
//   score(q, c) = sum over distinct query terms t of
//                 qtf(t) * idf(t) * tf / (tf + k1 * (1 - b + b * len(c) / avglen))
//   idf(t)      = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))   (never negative)
// with N the number of chunks, df the chunks holding t, len the chunk's
// number of indexed terms and avglen their mean. Lengths are exact (Lucene
// quantises them into one byte; that only perturbs near-ties). Query terms
// are ORed. Ties break on the lower chunk position, so the caller adds
// chunks in a stable order and ranking is deterministic.
// Thread-safe: a built index is immutable and may be searched concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace omni::kb {

struct Bm25Params {
  double k1 = 0.9;
  double b = 0.4;
};

struct Bm25Hit {
  std::uint32_t chunk = 0;  // position given by the order of Add calls
  double score = 0;
};

class Bm25Index {
 public:
  class Builder {
   public:
    // Adds the next chunk (position = number of chunks added before),
    // belonging to `document` (a dense number from 0: it sizes an array
    // in one_per_document searches), with its term frequencies (each term
    // once; the views need only live during the call) and its length (the
    // number of indexed terms, the sum of tfs).
    void Add(std::uint32_t document, const std::vector<std::pair<std::string_view, std::uint32_t>>& tfs,
             std::uint32_t length);
    // Adds a chunk from its analysed terms, in any order, repeats counted.
    void AddTerms(std::uint32_t document, const std::vector<std::string>& terms);
    Bm25Index Build(const Bm25Params& params) &&;

   private:
    struct Hash {
      using is_transparent = void;
      std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>()(text); }
    };
    std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> term_ids_;
    std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> postings_;  // by term id
    std::vector<std::uint32_t> documents_;
    std::vector<std::uint32_t> lengths_;
  };

  Bm25Index() = default;

  // The best `k` chunks for the analysed query `terms` (repeats raise a
  // term's weight), best first. `allowed`, when not null, has one flag per
  // chunk and excludes the chunks flagged 0. With `one_per_document`, only
  // each document's best chunk competes. Chunks matching no term are never
  // returned; no terms, or none indexed, gives an empty result.
  std::vector<Bm25Hit> Search(const std::vector<std::string>& terms, std::size_t k,
                              const std::vector<char>* allowed = nullptr,
                              bool one_per_document = false) const;

  std::size_t chunk_count() const { return documents_.size(); }
  std::size_t term_count() const { return terms_.size(); }
  double average_length() const { return average_length_; }
  // The idf of an analysed term; 0 when it is not indexed.
  double Idf(std::string_view term) const;
  std::uint32_t document_of(std::uint32_t chunk) const { return documents_[chunk]; }

 private:
  struct Term {
    std::uint32_t begin = 0;  // into posting_chunks_ / posting_tfs_
    std::uint32_t end = 0;
    double idf = 0;
  };
  std::unordered_map<std::string, Term> terms_;
  std::vector<std::uint32_t> posting_chunks_;
  std::vector<std::uint32_t> posting_tfs_;
  std::vector<std::uint32_t> documents_;
  std::vector<double> length_norms_;  // k1 * (1 - b + b * len / avglen)
  double average_length_ = 0;
  std::size_t document_count_ = 0;  // largest document number + 1
};

}  // namespace omni::kb
