// Tokenizer, PostgreSQL's english stopwords and the Snowball English stemmer.
#include "core/kb/analyzer.hpp"

#include <libstemmer.h>

#include <array>
#include <stdexcept>
#include <unordered_set>

#include "core/common/utf8.hpp"
#include "core/kb/detail/utf8.hpp"

namespace omni::kb {
namespace {

// PostgreSQL 15's tsearch_data/english.stop, in its order.
constexpr std::array<std::string_view, 127> kStopwords = {
    "i",       "me",        "my",     "myself",     "we",      "our",     "ours",    "ourselves",
    "you",     "your",      "yours",  "yourself",   "yourselves", "he",   "him",     "his",
    "himself", "she",       "her",    "hers",       "herself", "it",      "its",     "itself",
    "they",    "them",      "their",  "theirs",     "themselves", "what", "which",   "who",
    "whom",    "this",      "that",   "these",      "those",   "am",      "is",      "are",
    "was",     "were",      "be",     "been",       "being",   "have",    "has",     "had",
    "having",  "do",        "does",   "did",        "doing",   "a",       "an",      "the",
    "and",     "but",       "if",     "or",         "because", "as",      "until",   "while",
    "of",      "at",        "by",     "for",        "with",    "about",   "against", "between",
    "into",    "through",   "during", "before",     "after",   "above",   "below",   "to",
    "from",    "up",        "down",   "in",         "out",     "on",      "off",     "over",
    "under",   "again",     "further", "then",      "once",    "here",    "there",   "when",
    "where",   "why",       "how",    "all",        "any",     "both",    "each",    "few",
    "more",    "most",      "other",  "some",       "such",    "no",      "nor",     "not",
    "only",    "own",       "same",   "so",         "than",    "too",     "very",    "s",
    "t",       "can",       "will",   "just",       "don",     "should",  "now"};

const std::unordered_set<std::string_view>& StopwordSet() {
  static const std::unordered_set<std::string_view> set(kStopwords.begin(), kStopwords.end());
  return set;
}

// sb_stemmer objects are not thread-safe: one per thread.
class Stemmer {
 public:
  Stemmer() : stemmer_(sb_stemmer_new("english", "UTF_8")) {
    if (stemmer_ == nullptr) throw std::runtime_error("libstemmer has no english stemmer");
  }
  ~Stemmer() { sb_stemmer_delete(stemmer_); }
  Stemmer(const Stemmer&) = delete;
  Stemmer& operator=(const Stemmer&) = delete;

  std::string_view Stem(std::string_view word) {
    const sb_symbol* stem = sb_stemmer_stem(
        stemmer_, reinterpret_cast<const sb_symbol*>(word.data()), static_cast<int>(word.size()));
    if (stem == nullptr) throw std::bad_alloc();
    return {reinterpret_cast<const char*>(stem),
            static_cast<std::size_t>(sb_stemmer_length(stemmer_))};
  }

 private:
  sb_stemmer* stemmer_;
};

Stemmer& ThreadStemmer() {
  thread_local Stemmer stemmer;
  return stemmer;
}

// Calls on_token(lowered) for each token of `text`, reusing one buffer.
template <class OnToken>
void ForEachToken(std::string_view text, OnToken&& on_token) {
  std::string token;
  bool too_long = false;
  const auto flush = [&] {
    if (!token.empty() && !too_long) on_token(std::string_view(token));
    token.clear();
    too_long = false;
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    if (byte < 0x80) {
      ++pos;
      if ((byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9')) {
        token.push_back(static_cast<char>(byte));
      } else if (byte >= 'A' && byte <= 'Z') {
        token.push_back(static_cast<char>(byte + 0x20));
      } else {
        flush();
        continue;
      }
    } else {
      char32_t cp = 0;
      const std::size_t length = DecodeUtf8(text, pos, cp);
      if (length == 0) {
        ++pos;
        flush();
        continue;
      }
      pos += length;
      if (!detail::IsWordChar(cp)) {
        flush();
        continue;
      }
      detail::AppendUtf8(detail::ToLower(cp), token);
    }
    if (token.size() > kMaxTokenBytes) {
      too_long = true;
      token.clear();
    }
  }
  flush();
}

}  // namespace

std::vector<std::string> Tokenize(std::string_view text) {
  std::vector<std::string> tokens;
  ForEachToken(text, [&](std::string_view token) { tokens.emplace_back(token); });
  return tokens;
}

bool IsStopword(std::string_view lowered_word) { return StopwordSet().count(lowered_word) > 0; }

std::string Stem(std::string_view lowered_word) {
  return std::string(ThreadStemmer().Stem(lowered_word));
}

void AnalyzeInto(std::string_view text, std::vector<std::string>& terms) {
  terms.clear();
  const auto& stopwords = StopwordSet();
  Stemmer& stemmer = ThreadStemmer();
  ForEachToken(text, [&](std::string_view token) {
    if (stopwords.count(token) > 0) return;
    terms.emplace_back(stemmer.Stem(token));
  });
}

std::vector<std::string> Analyze(std::string_view text) {
  std::vector<std::string> terms;
  AnalyzeInto(text, terms);
  return terms;
}

}  // namespace omni::kb
