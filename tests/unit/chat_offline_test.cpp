// The offline responder's choice of passage, and the handoff state machine
// (core/chat/offline.hpp, core/chat/conversations.hpp NextStatus).
#include <catch2/catch.hpp>

#include "core/chat/conversations.hpp"
#include "core/chat/offline.hpp"
#include "core/common/error.hpp"

namespace omni::chat {
namespace {

Passage Parking(double score) {
  return {"c1", "Location and parking", "location-and-parking.md",
          "Parking: free street parking on Court Street after 7 pm; the Atlantic Avenue garage is two blocks away. "
          "Subway: F and G trains to Bergen Street.",
          score};
}

}  // namespace

TEST_CASE("a clear match needs term coverage and enough score per query term", "[chat]") {
  // Q = {park}: covered, 1.2 per term.
  auto strength = Measure("Where can I park?", Parking(1.2));
  CHECK(strength.query_terms == 1);
  CHECK(strength.matched_terms == 1);
  CHECK(strength.clear);
  // Q = {park, garag, subway, near}: 3 of 4 covered, 2.0 / 4 = 0.5 per term.
  strength = Measure("parking garage or subway near you?", Parking(2.0));
  CHECK(strength.query_terms == 4);
  CHECK(strength.matched_terms == 3);
  CHECK(strength.clear);
  // Same words, but the retriever scored it weakly (common terms): no.
  CHECK_FALSE(Measure("parking garage or subway near you?", Parking(1.2)).clear);
  // Q = {refund, gift, card, polici}: nothing covered.
  strength = Measure("What is your refund policy for gift cards?", Parking(3.0));
  CHECK(strength.matched_terms == 0);
  CHECK_FALSE(strength.clear);
  // A greeting matches nothing; only stopwords leave no terms at all.
  CHECK_FALSE(Measure("Hello!", Parking(5.0)).clear);
  strength = Measure("Are you there?", Parking(5.0));
  CHECK(strength.query_terms == 0);
  CHECK_FALSE(strength.clear);
}

TEST_CASE("the offline responder quotes a clear match with its citation", "[chat]") {
  const auto reply = OfflineAnswer("Where can I park?", {Parking(1.5)}, OfflineReason::kNoModel);
  CHECK_FALSE(reply.handoff);
  REQUIRE(reply.citation);
  CHECK(reply.citation->chunk_id == "c1");
  CHECK_THAT(reply.text, Catch::StartsWith("Here is what our information says:"));
  CHECK_THAT(reply.text, Catch::Contains("free street parking on Court Street"));
  CHECK_THAT(reply.text, Catch::Contains("two blocks away. Subway: F and G trains to Bergen Street. [1]"));
  CHECK_THAT(reply.text, !Catch::Contains("location-and-parking.md"));
  CHECK_THAT(reply.text, !Catch::Contains("booked"));
}

TEST_CASE("without a clear match the offline responder hands off", "[chat]") {
  auto reply = OfflineAnswer("Can you book me a balayage tomorrow at 3?", {Parking(0.3)}, OfflineReason::kNoModel);
  CHECK(reply.handoff);
  CHECK_FALSE(reply.citation);
  CHECK_THAT(reply.text, Catch::Contains("a team member will follow up"));
  CHECK_THAT(reply.text, !Catch::Contains("booked"));
  reply = OfflineAnswer("anything", {}, OfflineReason::kModelFailed);
  CHECK(reply.handoff);
  CHECK_THAT(reply.text, Catch::StartsWith("Sorry, I can't give a full answer right now."));
}

TEST_CASE("a long passage is cut at a sentence", "[chat]") {
  Passage passage = Parking(9.0);
  passage.text = std::string(400, 'a') + ". " + std::string(400, 'b') + ".";
  const auto reply = OfflineAnswer("parking", {passage}, OfflineReason::kNoModel);
  CHECK_THAT(reply.text, Catch::Contains(std::string(400, 'a') + ". [1]"));
  CHECK_THAT(reply.text, !Catch::Contains("bbb"));
}

TEST_CASE("a long passage is quoted where it answers the message", "[chat]") {
  Passage prices = Parking(9.0);
  prices.title = "Services and pricing";
  prices.text = "Cuts and styling\n\n";
  for (int i = 0; i < 16; ++i) prices.text += "Color service number " + std::to_string(i) + ": 90 minutes, $120\n";
  prices.text += "\nBlowout: 45 minutes, $45. Includes a wash.\nKids' cut: 30 minutes, $25\n";
  REQUIRE(prices.text.size() > 600);
  const auto reply = OfflineAnswer("What is the price of a blowout?", {prices}, OfflineReason::kNoModel);
  REQUIRE(reply.citation);
  CHECK_THAT(reply.text, Catch::Contains("Blowout: 45 minutes, $45. Includes a wash."));
  CHECK_THAT(reply.text, !Catch::Contains("Cuts and styling"));
  // Whole sentences only, starting with the one that answers.
  CHECK_THAT(reply.text, Catch::Contains("says:\n\nBlowout: 45 minutes, $45."));

  // Paragraphs after the answer that hold none of the terms are left out.
  Passage sections = prices;
  sections.text = "Cuts and styling\n\nBlowout: 45 minutes, $45.\n\nColor\n\n" + std::string(700, 'x') + "\n";
  const auto trimmed = OfflineAnswer("What is the price of a blowout?", {sections}, OfflineReason::kNoModel);
  CHECK_THAT(trimmed.text, Catch::Contains("says:\n\nBlowout: 45 minutes, $45. [1]"));

  // A sentence wrapped over two lines is quoted whole or not at all.
  Passage wrapped = prices;
  wrapped.text = "Cancelling\n\nCancel 24 hours ahead at no charge.\n" + std::string(520, 'y') +
                 ".\nColor services need 48 hours'\nnotice, because we block the day.\n";
  const auto policy = OfflineAnswer("cancel policy for color", {wrapped}, OfflineReason::kNoModel);
  CHECK_THAT(policy.text, !Catch::Contains("48 hours' [1]"));

  // A question about the head of the passage quotes its head.
  const auto head = OfflineAnswer("cuts and styling color service", {prices}, OfflineReason::kNoModel);
  CHECK_THAT(head.text, Catch::Contains("says:\n\nColor service number 0:"));
  CHECK_THAT(head.text, !Catch::Contains("Blowout"));
}

TEST_CASE("one shared word of two is no match", "[chat]") {
  // Q = {bring, dog}: "bring" alone does not make a passage about kids an answer.
  Passage kids = Parking(3.0);
  kids.title = "Frequently asked questions";
  kids.text = "Can I bring my kids?\n\nYes. Kids' cuts are for children 12 and under.";
  const auto strength = Measure("Can I bring my dog?", kids);
  CHECK(strength.query_terms == 2);
  CHECK(strength.matched_terms == 1);
  CHECK_FALSE(strength.clear);
  const auto reply = OfflineAnswer("Can I bring my dog?", {kids}, OfflineReason::kNoModel);
  CHECK(reply.handoff);
  CHECK_THAT(reply.text, Catch::StartsWith("I couldn't find a clear answer to that in our information"));
  CHECK_THAT(reply.text, Catch::Contains("a team member will follow up"));
  CHECK_THAT(reply.text, !Catch::Contains("Kids"));
}

TEST_CASE("a quote reads as prose: reflowed sentences, the matching section, tables as lists", "[chat]") {
  Passage faq = Parking(6.0);
  faq.title = "Frequently asked questions";
  faq.text =
      "How far ahead can I book?\n\nYou can book online up to 60 days ahead, and up to two hours before an\n"
      "appointment starts.\n\nCan I bring my kids?\n\nYes. Kids' cuts are for children 12 and under and take "
      "about 30 minutes. Children who are not being\nserved are welcome in the waiting area with an adult.\n\n"
      "Do you do wedding hair?\n\nYes. For bridal parties we recommend a trial.";
  const auto kids = OfflineAnswer("Can I bring my kids?", {faq}, OfflineReason::kNoModel);
  REQUIRE_FALSE(kids.handoff);
  CHECK_THAT(kids.text, Catch::Contains(
                            "says:\n\nYes. Kids' cuts are for children 12 and under and take about 30 minutes. "
                            "Children who are not being served are welcome in the waiting area with an adult. [1]"));
  CHECK_THAT(kids.text, !Catch::Contains("60 days"));
  CHECK_THAT(kids.text, !Catch::Contains("bridal"));

  Passage parking = Parking(6.0);
  parking.text = "Metered street parking is available on Court Street (2-hour limit, free on\nSundays). "
                 "The nearest garage is two blocks away.";
  const auto sundays = OfflineAnswer("Is parking free on Sundays?", {parking}, OfflineReason::kNoModel);
  CHECK_THAT(sundays.text, Catch::Contains("free on Sundays). The nearest garage"));

  Passage prices = Parking(6.0);
  prices.title = "Services and pricing";
  prices.text = "Cuts and styling\n\nService   Time   Price\nWomen's haircut   60 minutes   $65\n"
                "Blowout   45 minutes   $45\n\nColor\n\nService   Time   Price\nBalayage   2 hours   from $220";
  const auto blowout = OfflineAnswer("What is the price of a blowout?", {prices}, OfflineReason::kNoModel);
  CHECK_THAT(blowout.text, Catch::Contains("says:\n\n- Women's haircut: 60 minutes, $65\n- Blowout: 45 minutes, $45 [1]"));
  CHECK_THAT(blowout.text, !Catch::Contains("Balayage"));
  CHECK_THAT(blowout.text, !Catch::Contains("Service   Time"));

  // A chunk that starts inside a sentence (chunks overlap) does not quote the fragment.
  Passage overlap = Parking(6.0);
  overlap.text = "with an adult.\n\nParking is free on Sundays on Court Street.";
  const auto fragment = OfflineAnswer("parking on Court Street", {overlap}, OfflineReason::kNoModel);
  CHECK_THAT(fragment.text, Catch::Contains("says:\n\nParking is free on Sundays on Court Street. [1]"));
}

TEST_CASE("handoff state machine transitions", "[chat]") {
  using S = ConversationStatus;
  using E = HandoffEvent;
  CHECK(NextStatus(S::kAiActive, E::kEscalate) == S::kEscalated);
  CHECK(NextStatus(S::kAiActive, E::kHumanReply) == S::kEscalated);
  CHECK(NextStatus(S::kReopened, E::kHumanReply) == S::kEscalated);
  CHECK(NextStatus(S::kEscalated, E::kEscalate) == S::kEscalated);
  CHECK(NextStatus(S::kEscalated, E::kResolve) == S::kResolved);
  CHECK(NextStatus(S::kResolved, E::kCustomerMessage) == S::kReopened);
  CHECK(NextStatus(S::kResolved, E::kReopen) == S::kReopened);
  CHECK(NextStatus(S::kEscalated, E::kCustomerMessage) == S::kEscalated);
  CHECK(NextStatus(S::kAiActive, E::kCustomerMessage) == S::kAiActive);
  CHECK_THROWS_AS(NextStatus(S::kEscalated, E::kReopen), Conflict);
  CHECK_THROWS_WITH(NextStatus(S::kAiActive, E::kReopen), Catch::Contains("AI_ACTIVE, not RESOLVED"));
  CHECK(AiMayAnswer(S::kAiActive));
  CHECK(AiMayAnswer(S::kReopened));
  CHECK_FALSE(AiMayAnswer(S::kEscalated));
  CHECK_FALSE(AiMayAnswer(S::kResolved));
  CHECK(ParseStatus("escalated") == S::kEscalated);
  CHECK(ParseStatus("ai-active") == S::kAiActive);
  CHECK_THROWS_AS(ParseStatus("open"), InvalidInput);
}

}  // namespace omni::chat
