// The system prompt and the history the model reads (core/chat/prompt.hpp).
#include <catch2/catch.hpp>

#include "core/chat/prompt.hpp"
#include "core/common/text.hpp"

namespace omni::chat {
namespace {

using std::chrono::sys_days;

business::BusinessSpec Salon() {
  business::BusinessSpec spec;
  spec.slug = "acme";
  spec.name = "Acme Hair";
  spec.industry = business::Industry::kSalon;
  spec.timezone = "America/New_York";
  spec.contact.phone = "+1 555 0100";
  spec.contact.address = "1 Main St";
  for (int day = 1; day <= 5; ++day) spec.weekly[day] = {{9 * 60, 17 * 60}};  // Tuesday to Saturday
  spec.overrides["2026-11-26"] = {};                                         // Thanksgiving
  spec.overrides["2026-12-24"] = {{9 * 60, 13 * 60}};
  spec.ai.personality = "warm and brief";
  spec.ai.instructions = "Mention the patch test for color.\n";
  business::ServiceSpec cut;
  cut.name = "Women's haircut";
  cut.duration_min = 60;
  cut.price_cents = 6500;
  cut.description = "Cut and finish.";
  business::ServiceSpec keratin;
  keratin.name = "Keratin";
  keratin.duration_min = 180;
  keratin.price_cents = 30000;
  keratin.bookable = false;
  business::ServiceSpec old;
  old.name = "Perm";
  old.active = false;
  spec.services = {cut, keratin, old};
  return spec;
}

// Wednesday 2026-11-25 14:30 UTC is 09:30 EST.
TimePoint Now() { return sys_days{std::chrono::year{2026} / 11 / 25} + std::chrono::hours{14} + std::chrono::minutes{30}; }

}  // namespace

TEST_CASE("the system prompt carries the business, local time, hours and services", "[chat]") {
  const auto spec = Salon();
  PromptInput input;
  input.business = &spec;
  input.now = Now();
  const std::string prompt = BuildSystemPrompt(input);

  CHECK_THAT(prompt, Catch::Contains("front-desk assistant of Acme Hair (SALON)"));
  CHECK_THAT(prompt, Catch::Contains("Now: Wednesday 2026-11-25 09:30 EST"));
  CHECK_THAT(prompt, Catch::Contains("- Wednesday 2026-11-25: 09:00-17:00 (today)"));
  CHECK_THAT(prompt, Catch::Contains("- Thursday 2026-11-26: closed (special hours) (tomorrow)"));
  CHECK_THAT(prompt, Catch::Contains("- Monday 2026-11-30: closed\n"));
  CHECK_THAT(prompt, Catch::Contains("Regular week: Monday closed; Tuesday 09:00-17:00"));
  CHECK_THAT(prompt, Catch::Contains("Later special hours: 2026-12-24 09:00-13:00"));
  CHECK_THAT(prompt, Catch::Contains("- Women's haircut: 60 min, 65.00. Cut and finish.\n"));
  CHECK_THAT(prompt, Catch::Contains("- Keratin: 180 min, 300.00, not bookable online\n"));
  CHECK_THAT(prompt, !Catch::Contains("Perm"));
  CHECK_THAT(prompt, Catch::Contains("## Personality\nwarm and brief\n"));
  CHECK_THAT(prompt, Catch::Contains("## Instructions from the business\nMention the patch test for color.\n"));
  CHECK_THAT(prompt, Catch::Contains("Not identified yet"));
  CHECK_THAT(prompt, Catch::Contains("confirm the service, the date and the time"));
  CHECK_THAT(prompt, Catch::Contains("Never invent facts"));
  CHECK_THAT(prompt, Catch::Contains("escalate_to_human"));
  CHECK_THAT(prompt, Catch::Contains("language the customer writes in"));
  CHECK_THAT(prompt, Catch::Contains("No passage of the knowledge base matched"));
  // Deterministic: the same inputs give the same bytes.
  CHECK(BuildSystemPrompt(input) == prompt);
}

TEST_CASE("the system prompt numbers knowledge passages and describes the customer", "[chat]") {
  const auto spec = Salon();
  PromptInput input;
  input.business = &spec;
  input.now = Now();
  input.knowledge = {{"c1", "Parking", "location.md", "Free street parking on Main St.", 2.5},
                     {"c2", "", "https://acme.example/faq", "We accept cards.", 1.0}};
  CustomerContext customer;
  customer.name = "Jane Doe";
  customer.email = "jane@example.com";
  customer.visit_count = 3;
  customer.last_contact_at = Now() - std::chrono::hours{24 * 10};
  customer.tags = {"vip"};
  customer.upcoming_appointments = {"2026-12-01 10:00 Women's haircut (appointment_id abc)"};
  input.customer = customer;
  const std::string prompt = BuildSystemPrompt(input);
  CHECK_THAT(prompt, Catch::Contains("[1] Parking (location.md)\nFree street parking on Main St.\n"));
  CHECK_THAT(prompt, Catch::Contains("[2] Untitled (https://acme.example/faq)\nWe accept cards.\n"));
  CHECK_THAT(prompt, Catch::Contains("cite it with its number in brackets, like [1]"));
  CHECK_THAT(prompt, Catch::Contains("Name: Jane Doe\nEmail: jane@example.com\nPrevious contacts: 3\n"));
  CHECK_THAT(prompt, Catch::Contains("Last contact: 2026-11-15\n"));
  CHECK_THAT(prompt, Catch::Contains("Tags: vip\n"));
  CHECK_THAT(prompt, Catch::Contains("- 2026-12-01 10:00 Women's haircut (appointment_id abc)\n"));
}

TEST_CASE("local time follows daylight saving time", "[chat]") {
  const TimePoint summer = sys_days{std::chrono::year{2026} / 7 / 4} + std::chrono::hours{16};
  CHECK(FormatLocalNow(summer, "America/New_York") == "Saturday 2026-07-04 12:00 EDT");
  CHECK(FormatLocalNow(summer, "Europe/Paris") == "Saturday 2026-07-04 18:00 CEST");
  CHECK_THROWS_AS(FormatLocalNow(summer, "Mars/Base"), ConfigError);
}

TEST_CASE("history keeps roles right and never starts inside a tool exchange", "[chat]") {
  using Role = HistoryMessage::Role;
  std::vector<HistoryMessage> stored = {
      {Role::kUser, "hi", {}, {}, {}},
      {Role::kAssistant, "", {{"call_1", "list_services", "{}"}}, {}, {}},
      {Role::kTool, "{\"services\":[]}", {}, "call_1", {}},
      {Role::kAssistant, "We offer cuts.", {}, {}, {}},
      {Role::kHuman, "I'll take it from here.", {}, {}, "Maria"},
      {Role::kUser, "thanks", {}, {}, {}},
  };
  SECTION("a team member's message is marked as not the assistant's") {
    const auto messages = HistoryForModel(stored, 100);
    REQUIRE(messages.size() == 6);
    CHECK(messages[1].tool_calls.size() == 1);
    CHECK(messages[2].role == llm::Role::kTool);
    CHECK(messages[2].tool_call_id == "call_1");
    CHECK(messages[4].role == llm::Role::kAssistant);
    CHECK(messages[4].content == "[Team member Maria, not the assistant]: I'll take it from here.");
    CHECK(messages[5].role == llm::Role::kUser);
  }
  SECTION("a cut after the tool call drops the orphaned tool result") {
    const auto messages = HistoryForModel(stored, 4);
    REQUIRE(messages.size() == 3);
    CHECK(messages[0].content == "We offer cuts.");
  }
  SECTION("an assistant message whose results are missing loses its tool calls") {
    std::vector<HistoryMessage> broken = {{Role::kUser, "book", {}, {}, {}},
                                          {Role::kAssistant, "Let me check.", {{"c9", "check_availability", "{}"}}, {}, {}},
                                          {Role::kUser, "hello?", {}, {}, {}}};
    const auto messages = HistoryForModel(broken, 10);
    REQUIRE(messages.size() == 3);
    CHECK(messages[1].content == "Let me check.");
    CHECK(messages[1].tool_calls.empty());
  }
}

TEST_CASE("token estimates are characters over four", "[chat]") {
  std::vector<llm::Message> messages = {{llm::Role::kUser, std::string(396, 'x'), {}, {}}};
  CHECK(EstimateTokens(messages, {}) == 100);
  CHECK(omni::FormatCents(6500) == "65.00");
  CHECK(omni::FormatCents(5) == "0.05");
}

}  // namespace omni::chat
