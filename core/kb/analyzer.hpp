// Text analysis for the knowledge base: the C++ equivalent of PostgreSQL's
// `english` text-search configuration, used both to index and to search.
//
// A token is a maximal run of letters and digits in UTF-8 text (apostrophes,
// hyphens and other punctuation split words, as PostgreSQL's parser does for
// "don't" or "il-6"). Tokens are lower-cased (ASCII, Latin-1, Latin
// Extended-A, Greek and Cyrillic), PostgreSQL's english.stop words are
// dropped, and the rest are stemmed with Snowball's English (Porter2)
// stemmer, the one behind PostgreSQL's english_stem and Xapian's "english".
// Invalid UTF-8 bytes act as separators. Tokens longer than kMaxTokenBytes
// are dropped (they are encodings or junk, never words).
// Thread-safe: every function may be called from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace omni::kb {

inline constexpr std::size_t kMaxTokenBytes = 64;

// Splits `text` into lower-cased tokens, in order, stopwords included.
std::vector<std::string> Tokenize(std::string_view text);

// True when `lowered_word` is one of PostgreSQL's 127 english.stop words.
bool IsStopword(std::string_view lowered_word);

// The Snowball English stem of one lower-cased word.
std::string Stem(std::string_view lowered_word);

// Tokenize, drop stopwords, stem: the terms under which text is indexed and
// searched. Appends to `terms` (cleared first), in text order.
void AnalyzeInto(std::string_view text, std::vector<std::string>& terms);

// AnalyzeInto, returning a fresh vector.
std::vector<std::string> Analyze(std::string_view text);

}  // namespace omni::kb
