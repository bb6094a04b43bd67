// The offline responder. See offline.hpp.
#include "core/chat/offline.hpp"

#include <cctype>
#include <set>

#include "core/kb/analyzer.hpp"

namespace omni::chat {
namespace {

constexpr std::size_t kMaxExcerptChars = 600;

// Cuts `text` to about `max` bytes at the last sentence end, else the last
// space, never inside a UTF-8 sequence.
std::string Excerpt(const std::string& text, std::size_t max) {
  std::string trimmed = text;
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) trimmed.pop_back();
  if (trimmed.size() <= max) return trimmed;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(trimmed[cut]) & 0xC0) == 0x80) --cut;
  const std::string head = trimmed.substr(0, cut);
  const auto sentence = head.find_last_of(".!?\n");
  if (sentence != std::string::npos && sentence > max / 2) return head.substr(0, sentence + 1);
  const auto space = head.find_last_of(' ');
  return (space != std::string::npos && space > max / 2 ? head.substr(0, space) : head) + "…";
}

std::string Citation(const Passage& passage) {
  std::string line = "[1] " + (passage.title.empty() ? std::string("Knowledge base") : passage.title);
  if (!passage.source.empty()) line += " (" + passage.source + ")";
  return line;
}

}  // namespace

MatchStrength Measure(const std::string& message, const Passage& passage) {
  MatchStrength strength;
  const auto query = kb::Analyze(message);
  const std::set<std::string> distinct(query.begin(), query.end());
  strength.query_terms = distinct.size();
  if (distinct.empty()) return strength;
  const auto passage_terms = kb::Analyze(passage.title + "\n" + passage.text);
  const std::set<std::string> present(passage_terms.begin(), passage_terms.end());
  for (const auto& term : distinct) strength.matched_terms += present.count(term);
  strength.coverage = static_cast<double>(strength.matched_terms) / static_cast<double>(distinct.size());
  strength.score_per_term = passage.score / static_cast<double>(distinct.size());
  strength.clear = strength.coverage >= kMinCoverage && strength.score_per_term >= kMinScorePerTerm;
  return strength;
}

OfflineReply OfflineAnswer(const std::string& message, const std::vector<Passage>& candidates, OfflineReason reason) {
  OfflineReply reply;
  const std::string opening = reason == OfflineReason::kModelFailed
                                  ? "Sorry, I can't give a full answer right now. "
                                  : "";
  for (const auto& passage : candidates) {
    if (!Measure(message, passage).clear) continue;
    reply.citation = passage;
    reply.text = opening + "Here is what our information says:\n\n" + Excerpt(passage.text, kMaxExcerptChars) +
                 " [1]\n\n" + Citation(passage) +
                 "\n\nIf you need more, or want to book or change an appointment, a team member can help.";
    return reply;
  }
  reply.handoff = true;
  reply.text = opening +
               "Thanks for your message. I can't answer this one myself, so I've passed it to the team: a team "
               "member will follow up here as soon as possible.";
  return reply;
}

}  // namespace omni::chat
