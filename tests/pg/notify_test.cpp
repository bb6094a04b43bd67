// Notifications on a real database with a test clock: the jobs a booking,
// a reschedule, a cancellation and a handoff enqueue in their transaction,
// reminders at each lead time exactly once (also with two notifiers, and
// after a notifier died mid-job), none for canceled, moved or too-late
// appointments, what is recorded without e-mail configured, and real SMTP
// to a local aiosmtpd sink whose messages Python's email and icalendar
// packages read back.
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/billing/plans.hpp"
#include "core/booking/booking.hpp"
#include "core/booking/local_time.hpp"
#include "core/chat/conversations.hpp"
#include "core/common/error.hpp"
#include "core/config/config.hpp"
#include "core/db/pqxx.hpp"
#include "core/jobs/jobs.hpp"
#include "core/notify/notify.hpp"
#include "core/notify/smtp.hpp"
#include "core/operators/users.hpp"
#include "tests/support/fixed_clock.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/smtp_sink.hpp"
#include "tests/support/temp_dir.hpp"

namespace omni {
namespace {

using db::WithTransaction;
using test::FixedClock;

constexpr const char* kTz = "America/New_York";

TimePoint Local(const std::string& text) { return booking::ParseStartTime(text, kTz); }

// Remembers every message handed to it, as a server that accepted it would.
class RecordingSender final : public notify::MailSender {
 public:
  void Send(const std::string&, const std::vector<std::string>& recipients, const std::string& message) override {
    std::lock_guard lock(mutex_);
    sent_.push_back({recipients.at(0), message});
  }
  std::vector<std::pair<std::string, std::string>> Sent() const {
    std::lock_guard lock(mutex_);
    return sent_;
  }
  // The subjects sent so far (ASCII subjects pass unencoded).
  std::vector<std::string> Subjects() const {
    std::vector<std::string> subjects;
    for (const auto& [to, message] : Sent()) {
      auto at = message.find("\r\nSubject: ") + 11;
      std::string subject;
      // Unfolds: a line break followed by a space continues the field.
      for (auto end = message.find("\r\n", at);; end = message.find("\r\n", at)) {
        subject += message.substr(at, end - at);
        if (message[end + 2] != ' ') break;
        at = end + 2;
      }
      subjects.push_back(subject);
    }
    return subjects;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> sent_;
};

// A salon in New York open every day 09:00-17:00, 60 minutes notice, with
// the default reminders (24 h and 2 h) unless the test changes them.
struct Salon {
  explicit Salon(test::TestDatabase& db, const std::string& slug = "acme")
      : pool(db.pool()), clock(Local("2026-11-30 07:00")), service(db.pool(), clock) {
    id = WithTransaction(db.pool(), [&](pqxx::work& tx) {
      const std::string day = R"([["09:00","17:00"]])";
      std::string business =
          tx.exec_params(
                "INSERT INTO businesses (slug, name, timezone, email, address, weekly_hours, min_notice_min,"
                " advance_days, slot_interval_min, notifications) VALUES ($1, 'Café Lumière', $2,"
                " 'desk@acme.example', '1 Main St, Brooklyn', $3::jsonb, 60, 60, 30,"
                " '{\"notify\": \"team@acme.example\", \"reply_to\": \"front@acme.example\"}') RETURNING id::text",
                slug, std::string(kTz),
                "{\"monday\": " + day + ", \"tuesday\": " + day + ", \"wednesday\": " + day + ", \"thursday\": " +
                    day + ", \"friday\": " + day + ", \"saturday\": " + day + ", \"sunday\": " + day + "}")[0][0]
              .as<std::string>();
      tx.exec_params("INSERT INTO services (business_id, name, duration_min, bookable, active) VALUES"
                     " ($1::uuid, 'Coupe femme', 60, true, true)",
                     business);
      return business;
    });
  }

  std::string Book(const std::string& local_start, const std::string& name = "Ann Lee",
                   const std::string& email = "ann@example.com") {
    booking::CreateRequest request;
    request.service = "Coupe femme";
    request.start = Local(local_start);
    request.customer = {name, email, ""};
    auto result = service.Create(id, request);
    REQUIRE(result.outcome == booking::BookingResult::kBooked);
    return result.appointment->id;
  }

  notify::Notifier Notifier(notify::MailSender* sender) {
    return notify::Notifier(pool, clock, {"Omni <notify@omni.example>", 16, 60000}, sender);
  }

  db::Pool& pool;
  std::string id;
  FixedClock clock;
  booking::BookingService service;
};

// Runs the notifier until it finds nothing due.
void Drain(notify::Notifier& notifier) {
  for (int i = 0; i < 20 && notifier.RunOnce() > 0; ++i) {
  }
}

long long Count(db::Pool& pool, const std::string& sql) {
  return WithTransaction(pool, [&](pqxx::work& tx) { return tx.exec(sql)[0][0].as<long long>(); });
}

std::vector<std::string> StartsWith(const std::vector<std::string>& items, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    if (item.rfind(prefix, 0) == 0) out.push_back(item);
  }
  return out;
}

}  // namespace

TEST_CASE("a booking three days ahead: confirmation at once, each reminder once at its time", "[notify]") {
  test::TestDatabase db;
  Salon salon(db);
  RecordingSender sender;
  auto notifier = salon.Notifier(&sender);
  salon.Book("2026-12-03 10:00");
  Drain(notifier);
  REQUIRE(sender.Subjects() == std::vector<std::string>{"Confirmed: Coupe femme at =?UTF-8?B?Q2Fmw6kgTHVtacOocmU=?="});
  salon.clock.Set(Local("2026-12-02 09:59"));
  Drain(notifier);
  CHECK(sender.Sent().size() == 1);
  salon.clock.Set(Local("2026-12-02 10:00"));
  Drain(notifier);
  Drain(notifier);
  salon.clock.Set(Local("2026-12-03 08:00"));
  Drain(notifier);
  salon.clock.Set(Local("2026-12-03 09:59"));
  Drain(notifier);
  const auto reminders = StartsWith(sender.Subjects(), "Reminder: ");
  REQUIRE(reminders.size() == 2);
  CHECK(reminders[0].find(" in 24 hours") != std::string::npos);
  CHECK(reminders[1].find(" in 2 hours") != std::string::npos);
  CHECK(sender.Sent().size() == 3);
  CHECK(Count(salon.pool, "SELECT count(*) FROM notifications WHERE status = 'SENT'") == 3);
  CHECK(Count(salon.pool, "SELECT count(*) FROM jobs WHERE state <> 'DONE'") == 0);
}

TEST_CASE("a booking one hour ahead gets its confirmation and no reminder", "[notify]") {
  test::TestDatabase db;
  Salon salon(db);
  RecordingSender sender;
  auto notifier = salon.Notifier(&sender);
  salon.clock.Set(Local("2026-12-01 08:00"));
  salon.Book("2026-12-01 09:00");
  CHECK(Count(salon.pool, "SELECT count(*) FROM jobs WHERE payload->>'kind' = 'reminder'") == 0);
  for (const char* at : {"2026-12-01 08:00", "2026-12-01 08:30", "2026-12-01 08:59"}) {
    salon.clock.Set(Local(at));
    Drain(notifier);
  }
  CHECK(sender.Subjects().size() == 1);
  CHECK(StartsWith(sender.Subjects(), "Confirmed: ").size() == 1);
}

TEST_CASE("a booking five hours ahead gets the 2 h reminder only", "[notify]") {
  test::TestDatabase db;
  Salon salon(db);
  RecordingSender sender;
  auto notifier = salon.Notifier(&sender);
  salon.clock.Set(Local("2026-12-01 09:00"));
  salon.Book("2026-12-01 14:00");
  salon.clock.Set(Local("2026-12-01 12:00"));
  Drain(notifier);
  const auto reminders = StartsWith(sender.Subjects(), "Reminder: ");
  REQUIRE(reminders.size() == 1);
  CHECK(reminders[0].find(" in 2 hours") != std::string::npos);
}

TEST_CASE("a canceled appointment gets its cancellation and no reminder", "[notify]") {
  test::TestDatabase db;
  Salon salon(db);
  RecordingSender sender;
  auto notifier = salon.Notifier(&sender);
  const std::string id = salon.Book("2026-12-03 10:00");
  Drain(notifier);
  salon.clock.Set(Local("2026-12-01 12:00"));
  salon.service.Cancel(salon.id, id, "ill");
  for (const char* at : {"2026-12-01 12:00", "2026-12-02 10:00", "2026-12-03 08:00", "2026-12-03 09:30"}) {
    salon.clock.Set(Local(at));
    Drain(notifier);
  }
  CHECK(StartsWith(sender.Subjects(), "Reminder: ").empty());
  CHECK(StartsWith(sender.Subjects(), "Canceled: ").size() == 1);
  CHECK(sender.Sent().size() == 2);
  CHECK(Count(salon.pool, "SELECT count(*) FROM notifications WHERE kind = 'reminder' AND status = 'SKIPPED'") == 2);
}

TEST_CASE("a moved appointment: the old reminders are skipped, the new ones sent", "[notify]") {
  test::TestDatabase db;
  Salon salon(db);
  RecordingSender sender;
  auto notifier = salon.Notifier(&sender);
  const std::string id = salon.Book("2026-12-03 10:00");
  Drain(notifier);
  salon.service.Reschedule(salon.id, id, Local("2026-12-05 15:00"));
  for (const char* at : {"2026-11-30 07:00", "2026-12-02 10:00", "2026-12-03 08:00", "2026-12-04 15:00",
                         "2026-12-05 13:00"}) {
    salon.clock.Set(Local(at));
    Drain(notifier);
  }
  CHECK(StartsWith(sender.Subjects(), "Moved: ").size() == 1);
  const auto reminders = StartsWith(sender.Subjects(), "Reminder: ");
  CHECK(reminders.size() == 2);
  CHECK(sender.Sent().size() == 4);
}

TEST_CASE("two notifiers at once send each notification once", "[notify]") {
  test::TestDatabase db;
  Salon salon(db);
  RecordingSender sender;
  std::vector<std::string> ids;
  for (int day = 3; day <= 7; ++day) {
    for (const char* time : {"10:00", "12:00", "14:00"}) {
      ids.push_back(salon.Book("2026-12-0" + std::to_string(day) + " " + time, "C" + std::to_string(ids.size()),
                               "c" + std::to_string(ids.size()) + "@example.com"));
    }
  }
  auto run_both = [&] {
    auto first = salon.Notifier(&sender);
    auto second = salon.Notifier(&sender);
    std::thread a([&] { Drain(first); });
    std::thread b([&] { Drain(second); });
    a.join();
    b.join();
  };
  // Hour by hour through the week, both notifiers racing at every step.
  for (TimePoint at = salon.clock.Now(); at <= Local("2026-12-07 15:00"); at += std::chrono::hours{1}) {
    salon.clock.Set(at);
    run_both();
  }
  const auto sent = sender.Sent();
  std::set<std::string> message_ids;
  for (const auto& [to, message] : sent) {
    auto at = message.find("Message-ID: ");
    message_ids.insert(message.substr(at, message.find("\r\n", at) - at));
  }
  CHECK(message_ids.size() == sent.size());
  CHECK(StartsWith(sender.Subjects(), "Confirmed: ").size() == ids.size());
  CHECK(StartsWith(sender.Subjects(), "Reminder: ").size() == 2 * ids.size());
  CHECK(sent.size() == 3 * ids.size());
  CHECK(Count(salon.pool, "SELECT count(*) FROM notifications WHERE status = 'SENT'") == 3 * ids.size());
}

TEST_CASE("a notifier that died mid-job: its job is sent once after the lease; a missed reminder goes while useful",
          "[notify]") {
  test::TestDatabase db;
  Salon salon(db);
  RecordingSender sender;
  salon.Book("2026-12-03 10:00");
  // A notifier claims the confirmation and dies before sending.
  auto orphaned = jobs::Claim(salon.pool, notify::kMailQueue, 16, std::chrono::minutes{2}, salon.clock.Now());
  REQUIRE(orphaned.size() == 1);
  auto restarted = salon.Notifier(&sender);
  Drain(restarted);
  CHECK(sender.Sent().empty());
  salon.clock.Set(salon.clock.Now() + std::chrono::minutes{3});
  Drain(restarted);
  CHECK(sender.Subjects().size() == 1);
  // omnid was down from before the 24 h reminder until 3 hours before the
  // appointment: the 24 h reminder still goes, once.
  salon.clock.Set(Local("2026-12-03 07:00"));
  Drain(restarted);
  Drain(restarted);
  CHECK(StartsWith(sender.Subjects(), "Reminder: ").size() == 1);
  // Down again past the start: the 2 h reminder is no use any more.
  salon.clock.Set(Local("2026-12-03 10:05"));
  Drain(restarted);
  CHECK(StartsWith(sender.Subjects(), "Reminder: ").size() == 1);
  CHECK(Count(salon.pool,
              "SELECT count(*) FROM notifications WHERE status = 'SKIPPED' AND detail = 'the appointment has begun'") ==
        1);
  CHECK(Count(salon.pool, "SELECT count(*) FROM notifications") == 3);
}

TEST_CASE("a send that fails is retried later and recorded once", "[notify]") {
  test::TestDatabase db;
  Salon salon(db);
  struct Flaky final : notify::MailSender {
    int calls = 0;
    RecordingSender inner;
    void Send(const std::string& from, const std::vector<std::string>& to, const std::string& message) override {
      if (++calls == 1) throw Unavailable("could not send mail through 127.0.0.1:1: connection refused");
      inner.Send(from, to, message);
    }
  } flaky;
  auto notifier = salon.Notifier(&flaky);
  salon.Book("2026-12-03 10:00");
  Drain(notifier);
  CHECK(flaky.inner.Sent().empty());
  CHECK(Count(salon.pool, "SELECT count(*) FROM jobs WHERE last_error LIKE '%connection refused%'") == 1);
  salon.clock.Set(salon.clock.Now() + std::chrono::seconds{31});
  Drain(notifier);
  CHECK(flaky.inner.Sent().size() == 1);
  CHECK(Count(salon.pool, "SELECT count(*) FROM notifications") == 1);
}

TEST_CASE("without e-mail nothing is sent or fails, and the list shows what would have gone", "[notify]") {
  test::TestDatabase db;
  Salon salon(db);
  Salon other(db, "other");
  auto notifier = salon.Notifier(nullptr);
  const std::string id = salon.Book("2026-12-03 10:00");
  Drain(notifier);
  auto list = notify::ListNotifications(salon.pool, salon.id);
  REQUIRE(list.size() == 3);
  CHECK(list[0].kind == "confirmation");
  CHECK(list[0].status == "NOT_SENT");
  CHECK(list[0].recipient == "ann@example.com");
  CHECK(list[0].subject == "Confirmed: Coupe femme at Café Lumière");
  CHECK(list[0].appointment_id == id);
  CHECK(list[0].detail.find("not configured") != std::string::npos);
  CHECK(list[1].kind == "reminder");
  CHECK(list[1].status == "PENDING");
  CHECK(list[2].status == "PENDING");
  CHECK(notify::ListNotifications(other.pool, other.id).empty());
  CHECK_THROWS_AS(notify::ListNotifications(salon.pool, "nope"), InvalidInput);
}

TEST_CASE("a handoff alerts the business's notify address with the customer, reason and last messages",
          "[notify]") {
  test::TestDatabase db;
  Salon salon(db);
  Salon other(db, "other");
  RecordingSender sender;
  auto notifier = salon.Notifier(&sender);
  const std::string conversation = WithTransaction(salon.pool, [&](pqxx::work& tx) {
    const std::string customer = tx.exec_params(
        "INSERT INTO customers (business_id, name, email) VALUES ($1::uuid, 'Zoë Adams', 'zoe@example.com')"
        " RETURNING id::text", salon.id)[0][0].as<std::string>();
    const std::string id = tx.exec_params(
        "INSERT INTO conversations (business_id, customer_id) VALUES ($1::uuid, $2::uuid) RETURNING id::text",
        salon.id, customer)[0][0].as<std::string>();
    tx.exec_params("INSERT INTO messages (business_id, conversation_id, role, content) VALUES"
                   " ($1::uuid, $2::uuid, 'USER', 'My colour went green'), ($1::uuid, $2::uuid, 'ASSISTANT',"
                   " 'I am sorry to hear that')", salon.id, id);
    return id;
  });
  CHECK_THROWS_AS(chat::Escalate(other.pool, other.id, conversation, "x"), NotFound);
  chat::Escalate(salon.pool, salon.id, conversation, "the customer asked for a person");
  chat::Escalate(salon.pool, salon.id, conversation, "again");
  Drain(notifier);
  REQUIRE(sender.Sent().size() == 1);
  CHECK(sender.Sent()[0].first == "team@acme.example");
  const std::string message = sender.Sent()[0].second;
  CHECK(message.find("Subject: Handoff: =?UTF-8?B?") != std::string::npos);
  auto list = notify::ListNotifications(salon.pool, salon.id);
  REQUIRE(list.size() == 1);
  CHECK(list[0].kind == "handoff");
  CHECK(list[0].conversation_id == conversation);
  CHECK(list[0].subject == "Handoff: Zoë Adams (zoe@example.com) needs a person at Café Lumière");
  CHECK(notify::ListNotifications(other.pool, other.id).empty());
}

TEST_CASE("a handoff alert shows a home phone in the business's national format, a foreign one international",
          "[notify]") {
  test::TestDatabase db;
  Salon salon(db);
  RecordingSender sender;
  auto notifier = salon.Notifier(&sender);
  const auto escalate = [&](const std::string& name, const std::string& phone) {
    const std::string conversation = WithTransaction(salon.pool, [&](pqxx::work& tx) {
      tx.exec_params("UPDATE businesses SET phone_region = 'US' WHERE id = $1::uuid", salon.id);
      const std::string customer = tx.exec_params(
          "INSERT INTO customers (business_id, name, phone) VALUES ($1::uuid, $2, $3) RETURNING id::text",
          salon.id, name, phone)[0][0].as<std::string>();
      return tx.exec_params(
          "INSERT INTO conversations (business_id, customer_id) VALUES ($1::uuid, $2::uuid) RETURNING id::text",
          salon.id, customer)[0][0].as<std::string>();
    });
    chat::Escalate(salon.pool, salon.id, conversation, "the customer asked for a person");
    Drain(notifier);
    for (const auto& notification : notify::ListNotifications(salon.pool, salon.id)) {
      if (notification.conversation_id == conversation) return notification.subject;
    }
    return std::string("no handoff alert");
  };
  CHECK(escalate("Ann Lee", "+12125550123") == "Handoff: Ann Lee ((212) 555-0123) needs a person at Café Lumière");
  CHECK(escalate("Tom Hart", "+442079460018") ==
        "Handoff: Tom Hart (+44 20 7946 0018) needs a person at Café Lumière");
  CHECK(sender.Sent().size() == 2);
}

namespace {

// What Python's email and icalendar packages read from one raw message.
nlohmann::json ReadMail(const std::string& raw) {
  test::ProcessOptions options;
  options.args = {
      "-c",
      "import sys, json, email, icalendar, datetime\n"
      "from email import policy\n"
      "m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)\n"
      "out = {'type': m.get_content_type(), 'subject': str(m['subject']), 'to': str(m['to']),\n"
      "  'from_name': m['from'].addresses[0].display_name, 'from_addr': m['from'].addresses[0].addr_spec,\n"
      "  'reply_to': str(m['reply-to']), 'parts': [p.get_content_type() for p in m.iter_parts()]}\n"
      "cal = [p for p in m.iter_parts() if p.get_content_type() == 'text/calendar']\n"
      "if cal:\n"
      "  out['part_method'] = cal[0].get_param('method')\n"
      "  c = icalendar.Calendar.from_ical(cal[0].get_content())\n"
      "  ev = list(c.walk('VEVENT'))[0]\n"
      "  utc = datetime.timezone.utc\n"
      "  out.update({'method': str(c['METHOD']), 'uid': str(ev['UID']), 'sequence': int(ev['SEQUENCE']),\n"
      "    'tzid': str(ev['DTSTART'].params.get('TZID')), 'zones': [str(z['TZID']) for z in c.walk('VTIMEZONE')],\n"
      "    'start': ev.decoded('DTSTART').astimezone(utc).isoformat(),\n"
      "    'end': ev.decoded('DTEND').astimezone(utc).isoformat(), 'attendee_cn': str(ev['ATTENDEE'].params['CN'])})\n"
      "plain = [p for p in m.walk() if p.get_content_type() == 'text/plain']\n"
      "if plain:\n"
      "  out['text'] = plain[0].get_content()\n"
      "print(json.dumps(out))\n"};
  options.stdin_data = raw;
  auto result = test::Run("/usr/bin/python3", options);
  INFO("python: " << result.err);
  REQUIRE(result.exit_code == 0);
  return nlohmann::json::parse(result.out);
}

}  // namespace

TEST_CASE("over SMTP to a local sink: confirmation, update and cancellation with their invites", "[notify][smtp]") {
  test::TestDatabase db;
  Salon salon(db);
  test::SmtpSink sink;
  config::EmailSettings email;
  email.smtp_url = sink.url();
  email.from = "Omni <notify@omni.example>";
  email.starttls = "off";
  auto smtp = notify::MakeSmtpSender(email);
  auto notifier = salon.Notifier(smtp.get());
  const std::string id = salon.Book("2026-12-03 10:00", "Zoë Ångström", "zoe@example.com");
  Drain(notifier);
  REQUIRE(sink.WaitForMessages(1, 10000));
  auto confirmation = ReadMail(sink.Messages()[0]);
  CHECK(confirmation["type"] == "multipart/alternative");
  CHECK(confirmation["parts"] == nlohmann::json::array({"text/plain", "text/html", "text/calendar"}));
  CHECK(confirmation["subject"] == "Confirmed: Coupe femme at Café Lumière");
  CHECK(confirmation["from_name"] == "Café Lumière");
  CHECK(confirmation["from_addr"] == "notify@omni.example");
  CHECK(confirmation["reply_to"] == "front@acme.example");
  CHECK(confirmation["to"] == "zoe@example.com");
  CHECK(confirmation["part_method"] == "REQUEST");
  CHECK(confirmation["method"] == "REQUEST");
  CHECK(confirmation["uid"] == id + "@omni");
  CHECK(confirmation["sequence"] == 0);
  CHECK(confirmation["tzid"] == kTz);
  CHECK(confirmation["zones"] == nlohmann::json::array({kTz}));
  CHECK(confirmation["start"] == "2026-12-03T15:00:00+00:00");
  CHECK(confirmation["end"] == "2026-12-03T16:00:00+00:00");
  CHECK(confirmation["attendee_cn"] == "Zoë Ångström");
  // The invite is the one `omni book ics` gives, apart from its DTSTAMP.
  const std::string ics = salon.service.Ics(salon.id, id);
  CHECK(ics.find("UID:" + id + "@omni\r\n") != std::string::npos);

  salon.service.Reschedule(salon.id, id, Local("2026-12-04 11:00"));
  Drain(notifier);
  REQUIRE(sink.WaitForMessages(2, 10000));
  auto update = ReadMail(sink.Messages()[1]);
  CHECK(update["subject"] == "Moved: Coupe femme at Café Lumière");
  CHECK(update["method"] == "REQUEST");
  CHECK(update["uid"] == id + "@omni");
  CHECK(update["sequence"] == 1);
  CHECK(update["start"] == "2026-12-04T16:00:00+00:00");
  salon.service.Cancel(salon.id, id, "ill");
  Drain(notifier);
  REQUIRE(sink.WaitForMessages(3, 10000));
  auto cancellation = ReadMail(sink.Messages()[2]);
  CHECK(cancellation["uid"] == id + "@omni");
  CHECK(cancellation["method"] == "CANCEL");
  CHECK(cancellation["part_method"] == "CANCEL");
  CHECK(cancellation["sequence"] == 2);
}

TEST_CASE("an SMTP server that is not there: the send fails as unavailable and is retried", "[notify][smtp]") {
  config::EmailSettings email;
  email.smtp_url = "smtp://127.0.0.1:1";
  email.from = "notify@omni.example";
  email.starttls = "off";
  email.timeout_ms = 2000;
  auto smtp = notify::MakeSmtpSender(email);
  CHECK_THROWS_AS(smtp->Send("notify@omni.example", {"a@example.com"}, "Subject: x\r\n\r\nx\r\n"), Unavailable);
  email.starttls = "required";
  test::SmtpSink sink;
  email.smtp_url = sink.url();
  auto strict = notify::MakeSmtpSender(email);
  try {
    strict->Send("notify@omni.example", {"a@example.com"}, "Subject: x\r\n\r\nx\r\n");
    FAIL("a server without STARTTLS was accepted");
  } catch (const UpstreamError& e) {
    CHECK(std::string(e.what()).find("does not offer STARTTLS") != std::string::npos);
  }
  CHECK(sink.Messages().empty());
}

TEST_CASE("STARTTLS: the certificate is checked against email.ca_file before the message goes", "[notify][smtp]") {
  test::TempDir pki;
  const std::string dir = pki.path().string();
  const std::string script =
      "cd '" + dir + "' && "
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem "
      "-days 2 -subj '/CN=omni test CA' && "
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout leaf.key -out leaf.csr "
      "-subj '/CN=127.0.0.1' && "
      "printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n' > leaf.ext && "
      "openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 2 "
      "-extfile leaf.ext && "
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout other.key "
      "-out other.pem -days 2 -subj '/CN=another CA'";
  REQUIRE(std::system(("(" + script + ") >/dev/null 2>&1").c_str()) == 0);
  test::SmtpSink sink(dir + "/leaf.pem", dir + "/leaf.key");
  config::EmailSettings email;
  email.smtp_url = sink.url();
  email.from = "notify@omni.example";
  email.starttls = "required";
  email.timeout_ms = 5000;
  const std::string message = "From: <notify@omni.example>\r\nTo: <a@example.com>\r\nSubject: tls\r\n\r\nhello\r\n";
  email.ca_file = dir + "/other.pem";
  CHECK_THROWS_AS(notify::MakeSmtpSender(email)->Send("notify@omni.example", {"a@example.com"}, message),
                  UpstreamError);
  CHECK(sink.Messages().empty());
  email.ca_file = dir + "/ca.pem";
  notify::MakeSmtpSender(email)->Send("notify@omni.example", {"a@example.com"}, message);
  REQUIRE(sink.WaitForMessages(1, 10000));
  CHECK(sink.Messages()[0].find("Subject: tls") != std::string::npos);
}

TEST_CASE("a handoff alert also goes to the operators who opted in, and links to the conversation in the console",
          "[notify]") {
  test::TestDatabase db;
  Salon salon(db);
  Salon other(db, "other");
  const auto add = [](Salon& business, const std::string& email, const std::string& password) {
    operators::NewUser user{.email = email, .name = "", .role = operators::Role::kAgent};
    if (!password.empty()) user.password = password;
    return operators::AddUser(business.pool, business.id, user, billing::BillingSettings{}, business.clock.Now()).user;
  };
  const auto maria = add(salon, "maria@acme.example", "a long enough password");
  add(salon, "sam@acme.example", "a long enough password");                    // not opted in
  const auto invited = add(salon, "lee@acme.example", "");                        // no password yet
  const auto rival = add(other, "rival@other.example", "a long enough password");
  CHECK(operators::SetHandoffAlerts(salon.pool, salon.id, "MARIA@acme.example", true).handoff_alerts);
  operators::SetHandoffAlerts(salon.pool, salon.id, invited.id, true);
  operators::SetHandoffAlerts(other.pool, other.id, rival.id, true);
  CHECK_THROWS_AS(operators::SetHandoffAlerts(salon.pool, salon.id, rival.id, true), NotFound);
  CHECK(operators::GetUser(salon.pool, salon.id, maria.id).handoff_alerts);

  const std::string conversation = WithTransaction(salon.pool, [&](pqxx::work& tx) {
    return tx.exec_params("INSERT INTO conversations (business_id) VALUES ($1::uuid) RETURNING id::text", salon.id)[0][0]
        .as<std::string>();
  });
  RecordingSender sender;
  notify::Notifier notifier(salon.pool, salon.clock,
                            {"Omni <notify@omni.example>", 16, 60000, "https://chat.acme.example/console"}, &sender);
  chat::Escalate(salon.pool, salon.id, conversation, "the customer asked for a person");
  Drain(notifier);
  REQUIRE(sender.Sent().size() == 1);
  const std::string message = sender.Sent()[0].second;
  const auto mail = ReadMail(message);
  CHECK(mail["to"] == "team@acme.example, maria@acme.example");
  CHECK(mail["text"].get<std::string>().find("https://chat.acme.example/console#/c/" + conversation) !=
        std::string::npos);
  const auto list = notify::ListNotifications(salon.pool, salon.id);
  REQUIRE(list.size() == 1);
  CHECK(list[0].recipient == "team@acme.example, maria@acme.example");

  // Opted out again, Maria gets the next one no more.
  CHECK_FALSE(operators::SetHandoffAlerts(salon.pool, salon.id, maria.id, false).handoff_alerts);
  chat::Escalate(salon.pool, salon.id, conversation, "again, after a reopen");
  WithTransaction(salon.pool, [&](pqxx::work& tx) {
    tx.exec_params("UPDATE conversations SET status = 'AI_ACTIVE' WHERE business_id = $1::uuid AND id = $2::uuid",
                   salon.id, conversation);
  });
  chat::Escalate(salon.pool, salon.id, conversation, "a second handoff");
  Drain(notifier);
  REQUIRE(sender.Sent().size() == 2);
  CHECK(ReadMail(sender.Sent()[1].second)["to"] == "team@acme.example");
}

}  // namespace omni
