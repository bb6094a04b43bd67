// The offline responder: how omni answers with no model (no API key
// configured, or every model failed). It quotes the knowledge passage that
// clearly answers the message, with its citation, or says that a team
// member will follow up and hands the conversation off. It never books,
// and never claims to have done anything. Pure.
// Thread-safe: functions only read their arguments.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/chat/prompt.hpp"

namespace omni::chat {

// A passage "clearly matches" a message when, with Q the distinct analysed
// terms of the message (kb::Analyze: stopwords dropped, stemmed):
//   - Q is not empty,
//   - the passage (title and text) holds at least kMinCoverage of Q, and at
//     least kMinMatchedTerms of them (all of Q when Q is smaller), so one
//     shared word of two ("bring" in "Can I bring my dog?") is no match,
//   - its BM25 score is at least kMinScorePerTerm per term of Q, so a long
//     message needs proportionally more evidence than a short one.
inline constexpr double kMinCoverage = 0.5;
inline constexpr std::size_t kMinMatchedTerms = 2;
inline constexpr double kMinScorePerTerm = 0.4;

struct MatchStrength {
  std::size_t query_terms = 0;    // |Q|
  std::size_t matched_terms = 0;  // terms of Q found in the passage
  double coverage = 0;            // matched / |Q|
  double score_per_term = 0;      // passage score / |Q|
  bool clear = false;             // both thresholds met
};

// How well `passage` answers `message`, by the definition above.
MatchStrength Measure(const std::string& message, const Passage& passage);

enum class OfflineReason { kNoModel, kModelFailed };

struct OfflineReply {
  std::string text;                // what the customer reads
  std::optional<Passage> citation; // the passage quoted, cited as [1]
  bool handoff = false;            // true: the conversation goes to a human
};

// The reply to `message` from `candidates` (best first, as retrieved): the
// first clear match whose quote still matches clearly, marked [1], with
// `citation` set; else a message that says no clear answer was found and
// that a team member will follow up, with handoff = true. The quote reads
// as prose: the section (under one heading) holding the most of the
// message's terms, its wrapped lines reflowed into sentences and its table
// rows as "- name: value, value" lines; over about 600 characters, the
// earliest run of whole sentences and rows that fits and holds the most
// terms, never a fragment of a sentence.
OfflineReply OfflineAnswer(const std::string& message, const std::vector<Passage>& candidates, OfflineReason reason);

}  // namespace omni::chat
