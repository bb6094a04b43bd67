// notify's MIME building and mail templates: structure and headers read back
// by an independent parser (Python's email package under /usr/bin/python3),
// RFC 2047 words for non-ASCII names and subjects, no header injection, and
// one template giving the same words in the text and HTML parts.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/booking/local_time.hpp"
#include "core/common/error.hpp"
#include "core/notify/mime.hpp"
#include "core/notify/templates.hpp"
#include "tests/support/process.hpp"

namespace omni {
namespace {

using notify::MailMessage;

MailMessage Sample() {
  MailMessage message;
  message.from = {"Café Lumière", "desk@omni.example"};
  message.to = {{"Zoë Ångström-Łukasiewicz", "zoe@example.com"}};
  message.reply_to = "front@cafe.example";
  message.subject = "Confirmed: Coupe femme at Café Lumière — à bientôt ✂ with a long tail to force several words";
  message.text = "Hello Zoë,\nYour appointment is booked.\n";
  message.html = "<!DOCTYPE html><html><body><p>Hello Zoë</p></body></html>\n";
  message.calendar = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n";
  message.calendar_method = "REQUEST";
  message.date = booking::ParseStartTime("2026-12-01T08:30:00Z", "UTC");
  message.message_id = "omni-notify-42@omni.example";
  return message;
}

// What Python's email package (the modern policy) reads from `raw`.
nlohmann::json Parse(const std::string& raw) {
  test::ProcessOptions options;
  options.args = {"-c",
                  "import sys, json, email\n"
                  "from email import policy\n"
                  "m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)\n"
                  "parts = [{'type': p.get_content_type(), 'method': p.get_param('method'),\n"
                  "          'charset': p.get_content_charset(), 'body': p.get_content()}\n"
                  "         for p in m.iter_parts()]\n"
                  "print(json.dumps({'type': m.get_content_type(), 'subject': str(m['subject']),\n"
                  "  'from': str(m['from']), 'to': str(m['to']), 'reply_to': str(m['reply-to']),\n"
                  "  'from_name': m['from'].addresses[0].display_name, 'to_name': m['to'].addresses[0].display_name,\n"
                  "  'to_addr': m['to'].addresses[0].addr_spec, 'date': str(m['date']),\n"
                  "  'message_id': str(m['message-id']), 'bcc': m['bcc'], 'defects': len(m.defects),\n"
                  "  'parts': parts}))\n"};
  options.stdin_data = raw;
  auto result = test::Run("/usr/bin/python3", options);
  INFO("python: " << result.err);
  REQUIRE(result.exit_code == 0);
  return nlohmann::json::parse(result.out);
}

std::vector<std::string> Lines(const std::string& raw) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    std::size_t end = raw.find("\r\n", pos);
    REQUIRE(end != std::string::npos);
    lines.push_back(raw.substr(pos, end - pos));
    pos = end + 2;
  }
  return lines;
}

}  // namespace

TEST_CASE("a mail is multipart/alternative: text, HTML and the invite, read back whole", "[notify]") {
  const std::string raw = notify::BuildMessage(Sample());
  for (const std::string& line : Lines(raw)) {
    INFO(line);
    CHECK(line.size() <= 78);
    CHECK(line.find('\n') == std::string::npos);
    for (char c : line) CHECK(static_cast<unsigned char>(c) < 0x80);
  }
  auto m = Parse(raw);
  CHECK(m["defects"] == 0);
  CHECK(m["type"] == "multipart/alternative");
  CHECK(m["subject"] == Sample().subject);
  CHECK(m["from_name"] == "Café Lumière");
  CHECK(m["to_name"] == "Zoë Ångström-Łukasiewicz");
  CHECK(m["to_addr"] == "zoe@example.com");
  CHECK(m["reply_to"] == "front@cafe.example");
  CHECK(m["date"] == "Tue, 01 Dec 2026 08:30:00 +0000");
  CHECK(m["message_id"] == "<omni-notify-42@omni.example>");
  REQUIRE(m["parts"].size() == 3);
  CHECK(m["parts"][0]["type"] == "text/plain");
  CHECK(m["parts"][0]["charset"] == "utf-8");
  // Text parts travel in canonical form, CRLF line ends (RFC 2046 4.1.1).
  CHECK(m["parts"][0]["body"] == "Hello Zoë,\r\nYour appointment is booked.\r\n");
  CHECK(m["parts"][1]["type"] == "text/html");
  CHECK(m["parts"][1]["body"] == "<!DOCTYPE html><html><body><p>Hello Zoë</p></body></html>\r\n");
  CHECK(m["parts"][2]["type"] == "text/calendar");
  CHECK(m["parts"][2]["method"] == "REQUEST");
  CHECK(m["parts"][2]["body"] == Sample().calendar);
}

TEST_CASE("a cancellation's invite part says method=CANCEL; no invite, two parts", "[notify]") {
  MailMessage message = Sample();
  message.calendar_method = "CANCEL";
  CHECK(Parse(notify::BuildMessage(message))["parts"][2]["method"] == "CANCEL");
  message.calendar.clear();
  CHECK(Parse(notify::BuildMessage(message))["parts"].size() == 2);
}

TEST_CASE("header text: ASCII stays, UTF-8 becomes encoded words of at most 75 characters", "[notify]") {
  CHECK(notify::EncodeHeaderText("Plain subject") == "Plain subject");
  CHECK(notify::EncodeHeaderText("Confirmed: Coupe at Café Lumière now") ==
        "Confirmed: Coupe at =?UTF-8?B?Q2Fmw6kgTHVtacOocmU=?= now");
  // Text that looks like an encoded word is encoded, so it reads back as typed.
  CHECK(notify::EncodeHeaderText("a =?x?= b").find("=?UTF-8?B?") != std::string::npos);
  const std::string encoded = notify::EncodeHeaderText(std::string(40, 'x') + "✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂✂");
  std::size_t words = 0;
  for (std::size_t pos = 0; (pos = encoded.find("=?UTF-8?B?", pos)) != std::string::npos; ++pos) {
    std::size_t end = encoded.find("?=", pos + 10);
    REQUIRE(end != std::string::npos);
    CHECK(end + 2 - pos <= 75);
    ++words;
  }
  CHECK(words >= 2);
  CHECK(notify::FormatMailbox({"Ann \"the\" Lee", "ann@example.com"}) == "\"Ann \\\"the\\\" Lee\" <ann@example.com>");
  CHECK(notify::FormatMailbox({"", "ann@example.com"}) == "<ann@example.com>");
}

TEST_CASE("a name or subject cannot add a header, and a bad address is refused", "[notify]") {
  MailMessage message = Sample();
  message.subject = "Hi\r\nBcc: victim@example.com";
  message.to = {{"Eve\r\nBcc: victim@example.com", "eve@example.com"}};
  auto m = Parse(notify::BuildMessage(message));
  CHECK(m["bcc"].is_null());
  CHECK(m["to_addr"] == "eve@example.com");
  message.to = {{"Eve", "eve@example.com>\r\nBcc: victim@example.com"}};
  CHECK_THROWS_AS(notify::BuildMessage(message), InvalidInput);
  message.to = {{"Eve", "not-an-address"}};
  CHECK_THROWS_AS(notify::BuildMessage(message), InvalidInput);
  message.to.clear();
  CHECK_THROWS_AS(notify::BuildMessage(message), InvalidInput);
  CHECK(notify::ParseMailbox("Front Desk <desk@example.com>").name == "Front Desk");
  CHECK(notify::ParseMailbox("desk@example.com").address == "desk@example.com");
  CHECK_THROWS_AS(notify::ParseMailbox("Front Desk"), InvalidInput);
}

TEST_CASE("one template per kind gives the text and the HTML part the same words, in the business's colour",
          "[notify]") {
  notify::Branding branding{"Café <Lumière>", "#aa3366", "Marie & the team", "Bring your photo ID."};
  notify::AppointmentFacts facts{"Zoë", "Coupe femme", "Tuesday 01 December 2026, 10:00 (Europe/Paris)",
                                 "1 rue de la Paix", "", 1440};
  auto confirmation = notify::RenderAppointmentMail(notify::MailKind::kConfirmation, facts, branding);
  CHECK(confirmation.subject == "Confirmed: Coupe femme at Café <Lumière>");
  for (const std::string piece : {"Hello Zoë,", "Coupe femme", "Tuesday 01 December 2026, 10:00 (Europe/Paris)",
                                  "1 rue de la Paix", "Bring your photo ID."}) {
    CHECK(confirmation.text.find(piece) != std::string::npos);
    CHECK(confirmation.html.find(notify::EscapeHtml(piece)) != std::string::npos);
  }
  CHECK(confirmation.text.find("Marie & the team") != std::string::npos);
  CHECK(confirmation.html.find("Marie &amp; the team") != std::string::npos);
  CHECK(confirmation.html.find("Café &lt;Lumière&gt;") != std::string::npos);
  CHECK(confirmation.html.find("<Lumière>") == std::string::npos);
  CHECK(confirmation.html.find("#aa3366") != std::string::npos);
  auto reminder = notify::RenderAppointmentMail(notify::MailKind::kReminder, facts, branding);
  CHECK(reminder.subject == "Reminder: Coupe femme at Café <Lumière> in 24 hours");
  CHECK(reminder.text.find("Bring your photo ID.") == std::string::npos);
  facts.cancel_reason = "stylist ill";
  auto cancellation = notify::RenderAppointmentMail(notify::MailKind::kCancellation, facts, branding);
  CHECK(cancellation.subject.rfind("Canceled: ", 0) == 0);
  CHECK(cancellation.text.find("Reason: stylist ill") != std::string::npos);
  CHECK(notify::RenderAppointmentMail(notify::MailKind::kUpdate, facts, {"Acme", "", "", ""}).html.find("#2f6fed") !=
        std::string::npos);
  CHECK_THROWS_AS(notify::RenderAppointmentMail(notify::MailKind::kHandoff, facts, branding), InvalidInput);
  CHECK(notify::DescribeLead(120) == "2 hours");
  CHECK(notify::DescribeLead(90) == "90 minutes");
  CHECK(notify::DescribeLead(2880) == "2 days");
}

TEST_CASE("a handoff alert carries the customer, the reason and the last messages", "[notify]") {
  notify::HandoffFacts facts{"Zoë (zoe@example.com)", "asked for a human", {"Customer: I need <help>", "Assistant: One moment"},
                             "", "c0ffee00-0000-4000-8000-000000000000"};
  auto alert = notify::RenderHandoffMail(facts, {"Acme", "", "", ""});
  CHECK(alert.subject == "Handoff: Zoë (zoe@example.com) needs a person at Acme");
  CHECK(alert.text.find("> Customer: I need <help>") != std::string::npos);
  CHECK(alert.html.find("Customer: I need &lt;help&gt;") != std::string::npos);
  CHECK(alert.text.find("Reason: asked for a human") != std::string::npos);
}

}  // namespace omni
