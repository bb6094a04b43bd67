// The offline booking dialogue end to end on a real database: the demo
// salon with no model configured, on Tuesday 2026-11-24 09:00 in New York.
// Booking, the nearest free starts, rescheduling and cancelling through the
// tools' rules, refusals for someone else's and another business's
// appointments, resuming from the stored state, and a configured model
// leading as before.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/booking/booking.hpp"
#include "core/booking/local_time.hpp"
#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/chat/business_cache.hpp"
#include "core/chat/conversations.hpp"
#include "core/chat/engine.hpp"
#include "core/common/error.hpp"
#include "core/common/executor.hpp"
#include "core/db/pqxx.hpp"
#include "core/http/client.hpp"
#include "core/kb/ingest.hpp"
#include "core/kb/retriever.hpp"
#include "core/llm/llm.hpp"
#include "tests/support/fake_openai.hpp"
#include "tests/support/fixed_clock.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

using nlohmann::json;
constexpr const char* kTz = "America/New_York";

struct Desk {
  explicit Desk(bool offline = true) {
    spec = business::LoadBusinessFile(OMNI_SOURCE_DIR "/config/demo-salon.yaml");
    business::Apply(db.pool(), spec);
    business_id = business::Get(db.pool(), "demo-salon").id;
    kb::IngestOptions ingest;
    ingest.inputs = {OMNI_SOURCE_DIR "/config/demo-kb"};
    kb::Ingest(db.pool(), business_id, config::KbSettings{}, ingest);
    llm_settings.api_key = offline ? "" : "test-key";
    if (!offline) llm_settings.base_url = fake.base_url();
    llm_settings.models = {"model-a"};
    llm_settings.max_retries = 0;
    llm = llm::MakeOpenAiClient(llm_settings, *http, 1);
    engine = MakeEngine();
  }

  std::unique_ptr<chat::Engine> MakeEngine() {
    chat::EngineSettings settings;
    settings.llm = llm_settings;
    return std::make_unique<chat::Engine>(db.pool(), businesses, retriever, llm.get(), executor, clock, settings);
  }

  // A public chat's visitor writing in `conversation_id` ("" starts one).
  chat::TurnResult Say(const std::string& text, const std::string& conversation_id = "",
                       const std::string& verified_customer_id = "") {
    chat::TurnRequest request;
    request.business_slug = "demo-salon";
    request.text = text;
    request.conversation_id = conversation_id;
    request.caller = chat::Caller::kVisitor;
    request.channel = chat::Channel::kWebchat;
    request.verified_customer_id = verified_customer_id;
    if (!verified_customer_id.empty()) request.visitor = chat::Visitor{"visitor-1", verified_customer_id, true};
    return engine->Turn(request);
  }

  booking::Appointment BookDirectly(const std::string& service, const std::string& local_start,
                                    booking::CustomerInfo customer) {
    booking::CreateRequest create;
    create.service = service;
    create.start = booking::ParseStartTime(local_start, kTz);
    create.customer = std::move(customer);
    auto result = service_api.Create(business_id, create);
    REQUIRE(result.appointment);
    return *result.appointment;
  }

  long long Appointments() {
    return db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      return tx.exec_params1("SELECT count(*) FROM appointments WHERE business_id = $1", business_id)[0].as<long long>();
    });
  }

  test::TestDatabase db;
  business::BusinessSpec spec;
  test::FixedClock clock{booking::ParseStartTime("2026-11-24 09:00", kTz)};
  test::FakeOpenAi fake;
  config::LlmSettings llm_settings;
  std::unique_ptr<http::HttpClient> http = http::MakeHttpClient(http::ClientSettings{});
  std::unique_ptr<llm::LlmClient> llm;
  chat::BusinessCache businesses{db.pool()};
  kb::Retriever retriever{db.pool(), config::KbSettings{}};
  ThreadPoolExecutor executor{2};
  std::unique_ptr<chat::Engine> engine;
  booking::BookingService service_api{db.pool(), clock};
  std::string business_id;
};

// Books a women's haircut tomorrow at 10 as Maria, in a new conversation.
chat::TurnResult BookMaria(Desk& desk) {
  const auto first = desk.Say("I'd like to book a women's haircut tomorrow at 10");
  desk.Say("Maria Lopez", first.conversation_id);
  desk.Say("maria@example.com", first.conversation_id);
  return desk.Say("yes", first.conversation_id);
}

}  // namespace

TEST_CASE("offline, a visitor books through a dialogue that asks one thing at a time", "[chat][offline-booking]") {
  Desk desk;
  const auto first = desk.Say("I'd like to book a women's haircut tomorrow at 10");
  CHECK(first.offline);
  CHECK_FALSE(first.handoff);
  CHECK(first.status == chat::ConversationStatus::kAiActive);
  CHECK(first.reply == "May I have your name?");
  const auto id = first.conversation_id;

  const auto name = desk.Say("Maria Lopez", id);
  CHECK(name.reply == "Thanks, Maria Lopez. And an email address or phone number where we can reach you?");
  const auto contact = desk.Say("maria@example.com", id);
  CHECK(contact.reply ==
        "To confirm: Women's haircut on Wednesday, November 25 at 10:00 AM, for Maria Lopez (maria@example.com). "
        "Shall I book it?");
  CHECK(desk.Appointments() == 0);

  const auto done = desk.Say("yes please", id);
  CHECK_THAT(done.reply, Catch::StartsWith("You're booked: Women's haircut on Wednesday, November 25 at 10:00 AM"));
  CHECK_FALSE(done.handoff);
  REQUIRE(done.tool_calls.size() == 1);
  CHECK(done.tool_calls[0].name == "book_appointment");
  CHECK(done.tool_calls[0].ok);
  const auto appointment =
      desk.service_api.Get(desk.business_id, json::parse(done.tool_calls[0].result_json)["appointment_id"]);
  CHECK(appointment.conversation_id == id);
  CHECK(appointment.start == booking::ParseStartTime("2026-11-25 10:00", kTz));
  CHECK(appointment.service_name == "Women's haircut");
  // The visitor's contact is a claim, as with the model's tools.
  const auto customer = customers::Get(desk.db.pool(), desk.business_id, appointment.customer_id);
  CHECK(customer.email.empty());
  CHECK(customer.claimed_email == "maria@example.com");
  CHECK(chat::Get(desk.db.pool(), desk.business_id, id).customer_id == appointment.customer_id);
  CHECK(desk.fake.request_count() == 0);
}

TEST_CASE("offline, a taken time gets the nearest free starts, and a correction changes the booking",
          "[chat][offline-booking]") {
  Desk desk;
  desk.BookDirectly("Women's haircut", "2026-11-25 10:00", {"Eve", "eve@example.com", ""});
  const auto taken = desk.Say("Can I book a blowout tomorrow at 10? I'm Ann Lee, ann@example.com");
  CHECK(taken.reply ==
        "Sorry, Wednesday, November 25 at 10:00 AM isn't free. The nearest free times are on Wednesday, November 25 "
        "at 9:00 AM, 11:30 AM or 12:00 PM. Would one of those work?");
  const auto id = taken.conversation_id;
  const auto picked = desk.Say("the second one", id);
  CHECK_THAT(picked.reply, Catch::StartsWith("To confirm: Blowout on Wednesday, November 25 at 11:30 AM, for Ann Lee"));
  const auto corrected = desk.Say("no, make it 12", id);
  CHECK_THAT(corrected.reply, Catch::StartsWith("To confirm: Blowout on Wednesday, November 25 at 12:00 PM"));
  const auto day = desk.Say("actually Saturday instead", id);
  CHECK_THAT(day.reply, Catch::StartsWith("To confirm: Blowout on Saturday, November 28 at 12:00 PM"));
  const auto done = desk.Say("ok", id);
  REQUIRE(done.tool_calls.size() == 1);
  CHECK(desk.service_api.Get(desk.business_id, json::parse(done.tool_calls[0].result_json)["appointment_id"]).start ==
        booking::ParseStartTime("2026-11-28 12:00", kTz));

  // Without a time: the day's free starts, spread over it; "morning" keeps to it.
  const auto open = desk.Say("any time for a men's haircut on Saturday morning?");
  CHECK(open.reply ==
        "I can offer Men's haircut on Saturday, November 28 at 8:00 AM, 8:30 AM, 9:00 AM, 9:30 AM, 10:00 AM or "
        "10:30 AM. Which time suits you?");
  const auto whole_day = desk.Say("any time for a men's haircut on Tuesday, December 1?");
  CHECK(whole_day.reply ==
        "I can offer Men's haircut on Tuesday, December 1 at 9:00 AM, 10:30 AM, 12:30 PM, 2:30 PM, 4:30 PM or "
        "6:30 PM. Which time suits you?");
  // A closed day offers the next free starts.
  const auto closed = desk.Say("book a kids cut on Sunday");
  CHECK(closed.reply ==
        "Sorry, nothing is free for Kids' cut on Sunday, November 29. The nearest free times are on Tuesday, "
        "December 1 at 9:00 AM, 9:30 AM or 10:00 AM. Would one of those work?");
  // Which service, when the words fit several; one not bookable online goes to the team.
  const auto which = desk.Say("I want a haircut on Friday at 3");
  CHECK(which.reply == "Which would you like: Women's haircut or Men's haircut?");
  CHECK_THAT(desk.Say("men's", which.conversation_id).reply, Catch::StartsWith("May I have your name?"));
  // An alias from the business file names its service.
  CHECK_THAT(desk.Say("can I get a blow dry tomorrow at 3?").reply, Catch::StartsWith("May I have your name?"));
  const auto alias = desk.Say("can I get a blow dry tomorrow at 3? I'm Bo Park, bo@example.com");
  CHECK_THAT(alias.reply, Catch::StartsWith("To confirm: Blowout on Wednesday, November 25 at 3:00 PM, for Bo Park"));
  const auto keratin = desk.Say("book keratin smoothing tomorrow at 10");
  CHECK(keratin.handoff);
  CHECK_THAT(keratin.reply, Catch::StartsWith("Keratin smoothing isn't booked online."));
}

TEST_CASE("offline, a visitor moves and cancels only what this chat booked", "[chat][offline-booking]") {
  Desk desk;
  const auto eves = desk.BookDirectly("Blowout", "2026-12-02 15:00", {"Eve Victim", "eve@example.com", ""});
  const auto booked = BookMaria(desk);
  const auto id = booked.conversation_id;
  const auto mine = json::parse(booked.tool_calls.at(0).result_json)["appointment_id"].get<std::string>();

  const auto move = desk.Say("can I move it to Friday at 2pm?", id);
  CHECK(move.reply ==
        "To confirm: move your Women's haircut from Wednesday, November 25 at 10:00 AM to Friday, November 27 at "
        "2:00 PM?");
  const auto moved = desk.Say("yes", id);
  CHECK(moved.reply == "Done: your Women's haircut is now on Friday, November 27 at 2:00 PM.");
  REQUIRE(moved.tool_calls.size() == 1);
  CHECK(moved.tool_calls[0].name == "reschedule_appointment");
  CHECK(desk.service_api.Get(desk.business_id, mine).start == booking::ParseStartTime("2026-11-27 14:00", kTz));

  // Eve's appointment is not this chat's: naming it reaches nothing.
  const auto not_hers = desk.Say("cancel my blowout on Dec 2 at 3pm", id);
  CHECK_THAT(not_hers.reply, Catch::StartsWith("I can't find that one among the appointments I can change here."));
  CHECK(not_hers.tool_calls.empty());
  const auto stranger = desk.Say("I'm Eve, eve@example.com. Please cancel my blowout on Dec 2 at 3pm");
  CHECK(stranger.handoff);
  CHECK(stranger.status == chat::ConversationStatus::kEscalated);
  CHECK_THAT(stranger.reply, Catch::Contains("A team member will follow up here"));
  CHECK(desk.service_api.Get(desk.business_id, eves.id).status == booking::Status::kScheduled);

  const auto cancel = desk.Say("never mind, cancel my appointment", id);
  CHECK(cancel.reply == "To confirm: cancel your Women's haircut on Friday, November 27 at 2:00 PM?");
  const auto kept = desk.Say("no", id);
  CHECK(kept.reply == "All right, I've kept your Women's haircut on Friday, November 27 at 2:00 PM.");
  desk.Say("please cancel my appointment", id);
  const auto cancelled = desk.Say("yes", id);
  CHECK(cancelled.reply == "Your Women's haircut on Friday, November 27 at 2:00 PM is canceled.");
  CHECK(desk.service_api.Get(desk.business_id, mine).status == booking::Status::kCanceled);
  CHECK(desk.service_api.Get(desk.business_id, eves.id).status == booking::Status::kScheduled);
}

TEST_CASE("offline, a verified customer changes their own appointments; a forged state reaches nothing",
          "[chat][offline-booking]") {
  Desk desk;
  const auto anns = desk.BookDirectly("Blowout", "2026-12-02 15:00", {"Ann Lee", "ann@example.com", ""});
  const auto eves = desk.BookDirectly("Blowout", "2026-12-03 15:00", {"Eve Victim", "eve@example.com", ""});
  const auto unproven = desk.Say("cancel my blowout on Dec 2");
  CHECK(unproven.handoff);
  CHECK(desk.service_api.Get(desk.business_id, anns.id).status == booking::Status::kScheduled);

  const auto proven = desk.Say("cancel my blowout on Dec 2", "", anns.customer_id);
  CHECK(proven.reply == "To confirm: cancel your Blowout on Wednesday, December 2 at 3:00 PM?");
  desk.Say("yes", proven.conversation_id, anns.customer_id);
  CHECK(desk.service_api.Get(desk.business_id, anns.id).status == booking::Status::kCanceled);

  // Another business, with its own booking made in its own chat.
  auto other = desk.spec;
  other.slug = "other-salon";
  business::Apply(desk.db.pool(), other);
  const auto other_id = business::Get(desk.db.pool(), "other-salon").id;
  chat::TurnRequest there;
  there.business_slug = "other-salon";
  there.caller = chat::Caller::kVisitor;
  there.text = "book a blowout tomorrow at 11, I'm Zed, zed@example.com";
  const auto other_chat = desk.engine->Turn(there).conversation_id;
  there.conversation_id = other_chat;
  there.text = "yes";
  const auto other_booked = desk.engine->Turn(there);
  REQUIRE(other_booked.tool_calls.size() == 1);
  const auto other_appointment = json::parse(other_booked.tool_calls[0].result_json)["appointment_id"].get<std::string>();

  // A stored state naming Eve's or the other business's appointment (as if
  // tampered with) is checked again against what this chat may change.
  for (const auto& target : {eves.id, other_appointment}) {
    const auto chat_id = desk.Say("Where can I park?").conversation_id;
    chat::NewAiMessage forged;
    forged.content = "To confirm: cancel?";
    forged.model = "offline";
    forged.metadata_json = json{{"offline", true},
                                {"booking_dialogue",
                                 {{"intent", "cancel"}, {"awaiting", 6}, {"appointment_id", target}}}}
                               .dump();
    chat::SaveAiMessage(desk.db.pool(), desk.business_id, chat_id, forged);
    const auto refused = desk.Say("yes", chat_id);
    CHECK(refused.tool_calls.empty());
    CHECK(refused.handoff);
  }
  CHECK(desk.service_api.Get(desk.business_id, eves.id).status == booking::Status::kScheduled);
  CHECK(desk.service_api.Get(other_id, other_appointment).status == booking::Status::kScheduled);
  // And the other business's conversation is not found from this one.
  CHECK_THROWS_AS(desk.Say("yes", other_chat), NotFound);
}

TEST_CASE("offline, the dialogue resumes from the conversation after a restart, and answers questions on the way",
          "[chat][offline-booking]") {
  Desk desk;
  const auto first = desk.Say("Can I book a blowout on Saturday at 9?");
  CHECK(first.reply == "May I have your name?");
  // A new engine (omnid restarted, or another instance): the state is in the conversation.
  desk.engine = desk.MakeEngine();
  const auto question = desk.Say("Where can I park?", first.conversation_id);
  CHECK_THAT(question.reply, Catch::Contains("[1]"));
  REQUIRE(question.citations.size() == 1);
  CHECK_THAT(question.reply, Catch::EndsWith("\n\nMay I have your name?"));
  CHECK_FALSE(question.handoff);
  const auto unclear = desk.Say("hmm?", first.conversation_id);
  CHECK(unclear.reply == "Sorry, I didn't catch that. May I have your name?");
  desk.Say("Jo Park", first.conversation_id);
  const auto confirm = desk.Say("+1 718 555 0199", first.conversation_id);
  CHECK(confirm.reply ==
        "To confirm: Blowout on Saturday, November 28 at 9:00 AM, for Jo Park ((718) 555-0199). Shall I book it?");
  const auto stopped = desk.Say("never mind", first.conversation_id);
  CHECK_THAT(stopped.reply, Catch::StartsWith("No problem, I've stopped there."));
  CHECK(desk.Appointments() == 0);
  // Not about booking: the offline answer as before.
  const auto plain = desk.Say("Where can I park?", first.conversation_id);
  CHECK_THAT(plain.reply, Catch::Contains("[1]"));
  CHECK_FALSE(plain.handoff);
}

TEST_CASE("offline, a phone is confirmed as the business reads it, booked in E.164, and asked again when invalid",
          "[chat][offline-booking][phone]") {
  Desk desk;
  const auto first = desk.Say("Can I book a blowout on Saturday at 9? I'm Jo Park");
  const std::string id = first.conversation_id;
  const auto bad = desk.Say("my number is 555 010 2030", id);
  CHECK(bad.reply ==
        "Sorry, 555 010 2030 doesn't look like a phone number I can use. Could you write it as you'd dial it, with "
        "the area code, or give me an email address instead?");
  const auto national = desk.Say("718.555.0199", id);
  CHECK(national.reply ==
        "To confirm: Blowout on Saturday, November 28 at 9:00 AM, for Jo Park ((718) 555-0199). Shall I book it?");
  const auto abroad = desk.Say("sorry, it's +44 20 7946 0018", id);
  CHECK(abroad.reply ==
        "To confirm: Blowout on Saturday, November 28 at 9:00 AM, for Jo Park (+44 20 7946 0018). Shall I book it?");
  const auto done = desk.Say("yes", id);
  REQUIRE(done.tool_calls.size() == 1);
  CHECK(json::parse(done.tool_calls[0].arguments_json)["customer_phone"] == "+442079460018");
  CHECK(desk.Appointments() == 1);
  // A visitor's phone is a claim, stored in E.164 and found in any format.
  booking::ListFilter filter;
  filter.customer = "0044 20 7946 0018";
  const auto booked = desk.service_api.List(desk.business_id, filter);
  REQUIRE(booked.size() == 1);
  CHECK(booked[0].customer_phone == "+442079460018");
}

TEST_CASE("replaying an offline booking runs the dialogue dry", "[chat][offline-booking]") {
  Desk desk;
  const auto booked = BookMaria(desk);
  REQUIRE(desk.Appointments() == 1);
  // Today's answers: with the slot free again, the replay reaches the booking.
  desk.service_api.Cancel(desk.business_id, json::parse(booked.tool_calls.at(0).result_json)["appointment_id"], "");
  const auto steps = desk.engine->Replay("demo-salon", booked.conversation_id);
  REQUIRE(steps.size() == 4);
  // The conversation's customer is known now: the replay skips the name.
  CHECK(steps[0].now.reply == "Thanks, Maria Lopez. And an email address or phone number where we can reach you?");
  CHECK_THAT(steps[2].now.reply, Catch::StartsWith("To confirm: Women's haircut on Wednesday, November 25 at 10:00 AM"));
  CHECK(steps[3].now.reply ==
        "I would book Women's haircut on Wednesday, November 25 at 10:00 AM now (replay: nothing was booked).");
  CHECK(desk.Appointments() == 1);
}

TEST_CASE("with a model configured, a booking request goes to the model as before", "[chat][offline-booking]") {
  Desk desk(/*offline=*/false);
  desk.fake.Enqueue(test::TextReply({"Sure, which time?"}));
  const auto result = desk.Say("I'd like to book a women's haircut tomorrow at 10");
  CHECK_FALSE(result.offline);
  CHECK(result.reply == "Sure, which time?");
  CHECK(desk.fake.request_count() == 1);
  CHECK(desk.Appointments() == 0);
}

}  // namespace omni
