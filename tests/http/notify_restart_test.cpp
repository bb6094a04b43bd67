// omnid killed with SIGKILL while it sends mail, then started again: every
// confirmation and reminder arrives, each once, told apart by its
// Message-ID (omni-notify-<job id>), the notification's dedupe key.
//
// The SMTP sink here holds one message in its DATA phase until the test has
// killed omnid, so the kill lands on a send in flight every time:
//   - held before the sink stores it (no "250" yet): the job was claimed and
//     not recorded; after restart it is sent again, and the mail arrives once;
//   - held after the sink stored it (what a server that accepted the mail
//     does when the client dies before reading "250"): the restarted omnid
//     cannot know, and sends it again. This is the window notify.hpp names;
//     the test asserts its bound: only that one job arrives twice, with the
//     same Message-ID, so a receiver that de-duplicates by it sees each once.
// A dead omnid's claims are held for the lease (120 s); the test ends the
// lease in the database instead of waiting it out.
#include <csignal>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "core/booking/booking.hpp"
#include "core/booking/local_time.hpp"
#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/db/pqxx.hpp"
#include "tests/support/fixed_clock.hpp"
#include "tests/support/omnid_runner.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace omni {
namespace {

using namespace std::chrono_literals;

// aiosmtpd storing each message in a Maildir, except message number
// `hold_at`: its DATA is held (after storing it, when `store_held`) until
// the file "release" appears, then refused with 451.
constexpr const char* kHoldingSink = R"py(
import asyncio, mailbox, os, sys
from aiosmtpd.smtp import SMTP

maildir, control, hold_at, store_held = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
box = mailbox.Maildir(maildir, create=True)
received = 0

class Handler:
    async def handle_DATA(self, server, session, envelope):
        global received
        received += 1
        if received != hold_at:
            box.add(envelope.original_content)
            return "250 OK"
        if store_held:
            box.add(envelope.original_content)
        open(os.path.join(control, "holding"), "w").close()
        while not os.path.exists(os.path.join(control, "release")):
            await asyncio.sleep(0.02)
        return "451 4.3.0 held by the test"

async def main():
    server = await asyncio.get_running_loop().create_server(lambda: SMTP(Handler()), "127.0.0.1", 0)
    print("port", server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
)py";

class HoldingSink {
 public:
  HoldingSink(int hold_at, bool store_held) {
    const std::string script = dir_.Write("sink.py", kHoldingSink);
    std::filesystem::create_directories(dir_.path() / "control");
    server_ = std::make_unique<test::Process>(
        "/usr/bin/python3", test::ProcessOptions{.args = {script, (dir_.path() / "maildir").string(),
                                                          (dir_.path() / "control").string(),
                                                          std::to_string(hold_at), store_held ? "1" : "0"}});
    INFO(server_->Stderr());
    REQUIRE(server_->WaitForStdout("port ", 15s));
    std::smatch match;
    const std::string out = server_->Stdout();
    REQUIRE(std::regex_search(out, match, std::regex(R"(port (\d+))")));
    port_ = std::stoi(match[1]);
  }

  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

  // True once the held message's DATA has arrived.
  bool WaitHolding(std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!std::filesystem::exists(dir_.path() / "control" / "holding")) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }
  void Release() const { std::ofstream(dir_.path() / "control" / "release") << ""; }

  // The Message-ID of every message stored, with how often it came.
  std::map<std::string, int> MessageIds() const {
    std::map<std::string, int> ids;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path() / "maildir" / "new", error)) {
      std::ifstream file(entry.path(), std::ios::binary);
      std::stringstream text;
      text << file.rdbuf();
      std::smatch match;
      const std::string message = text.str();
      if (std::regex_search(message, match, std::regex(R"(\nMessage-ID: <([^>]+)>)", std::regex::icase))) {
        ++ids[match[1]];
      } else {
        ++ids["(none)"];
      }
    }
    return ids;
  }

 private:
  test::TempDir dir_;
  std::unique_ptr<test::Process> server_;
  int port_ = 0;
};

constexpr int kBookings = 3;
constexpr int kMailsPerBooking = 3;  // the confirmation and the 24 h and 2 h reminders
constexpr int kMails = kBookings * kMailsPerBooking;

struct Salon {
  test::TestDatabase db;
  std::string business_id;
  std::set<std::string> expected_ids;  // omni-notify-<job id>@omni.example

  Salon() {
    business::Apply(db.pool(), business::ParseBusinessSpec(R"(slug: salon
name: Salon
timezone: America/New_York
contact: {email: desk@salon.example}
booking: {min_notice_min: 0}
hours: {mon: [["00:00", "24:00"]], tue: [["00:00", "24:00"]], wed: [["00:00", "24:00"]], thu: [["00:00", "24:00"]],
        fri: [["00:00", "24:00"]], sat: [["00:00", "24:00"]], sun: [["00:00", "24:00"]]}
services: [{name: Cut, duration_min: 30}]
)",
                                                           "salon.yaml"));
    business_id = business::Get(db.pool(), "salon").id;
    // Booked two days ago (by the booking's clock) for starts 30 to 120
    // minutes ahead, so that the confirmation and both reminders are due as
    // omnid starts, and still useful: each appointment is ahead.
    // Floored: the last 2 h reminder falls on this minute when it is a
    // half hour, and must already be due, not a few seconds ahead.
    const auto now = std::chrono::floor<std::chrono::minutes>(DefaultClock().Now());
    const auto slot = now + std::chrono::minutes(60 - std::chrono::duration_cast<std::chrono::minutes>(
                                                         now.time_since_epoch()).count() % 30);
    test::FixedClock booked_at(now - 48h);
    booking::BookingService service(db.pool(), booked_at);
    for (int i = 0; i < kBookings; ++i) {
      booking::CreateRequest request;
      request.service = "Cut";
      request.start = slot + std::chrono::minutes(30 * i);
      request.customer.name = "Customer " + std::to_string(i);
      request.customer.email = "c" + std::to_string(i) + "@example.com";
      REQUIRE(service.Create(business_id, request).appointment);
    }
    db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      for (const auto& row : tx.exec_params("SELECT id FROM jobs WHERE queue = 'notify.mail' AND business_id = $1::uuid",
                                            business_id)) {
        expected_ids.insert("omni-notify-" + row[0].as<std::string>() + "@omni.example");
      }
    });
    REQUIRE(expected_ids.size() == kMails);
  }

  long long Count(const std::string& sql) {
    return db::WithTransaction(db.pool(), [&](pqxx::work& tx) { return tx.exec_params1(sql, business_id)[0].as<long long>(); });
  }

  // The dead omnid's claims as if their lease had run out.
  void ExpireLeases() {
    db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      tx.exec_params("UPDATE jobs SET run_at = now() - interval '1 second' WHERE state = 'RUNNING' AND business_id = $1::uuid",
                     business_id);
    });
  }

  bool WaitAllSent(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (Count("SELECT count(*) FROM notifications WHERE business_id = $1::uuid AND status = 'SENT'") < kMails ||
           Count("SELECT count(*) FROM jobs WHERE business_id = $1::uuid AND state <> 'DONE'") > 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        UNSCOPED_INFO("jobs and notifications: " << Describe());
        return false;
      }
      std::this_thread::sleep_for(50ms);
    }
    return true;
  }

  std::string Describe() {
    return db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      std::string out;
      for (const auto& row : tx.exec_params("SELECT id, state, attempts, coalesce(last_error, ''), run_at::text FROM jobs "
                                            "WHERE business_id = $1::uuid ORDER BY id",
                                            business_id)) {
        out += "\njob " + row[0].as<std::string>() + " " + row[1].as<std::string>() + " attempts " +
               row[2].as<std::string>() + " " + row[3].as<std::string>() + " due " + row[4].as<std::string>();
      }
      for (const auto& row : tx.exec_params("SELECT job_id, status, detail FROM notifications WHERE business_id = "
                                            "$1::uuid ORDER BY job_id",
                                            business_id)) {
        out += "\nnotification " + row[0].as<std::string>() + " " + row[1].as<std::string>() + " " +
               row[2].as<std::string>();
      }
      return out;
    });
  }
};

std::string EmailSection(const HoldingSink& sink) {
  return "email:\n  smtp_url: " + sink.url() + "\n  from: \"Salon <notify@omni.example>\"\n  starttls: off\n";
}

// Runs omnid until the sink holds message number `hold_at`, kills it,
// releases the sink, and runs omnid again until every mail is handled.
std::map<std::string, int> KillMidSendAndRestart(Salon& salon, HoldingSink& sink) {
  {
    test::OmnidRunner omnid(salon.db.url(), EmailSection(sink));
    REQUIRE(sink.WaitHolding(30s));
    omnid.process().Signal(SIGKILL);
    CHECK(omnid.process().Wait(10s) == 128 + SIGKILL);
  }
  sink.Release();
  CHECK(salon.Count("SELECT count(*) FROM jobs WHERE business_id = $1::uuid AND state = 'RUNNING'") >= 1);
  CHECK(salon.Count("SELECT count(*) FROM notifications WHERE business_id = $1::uuid") < kMails);
  salon.ExpireLeases();
  test::OmnidRunner restarted(salon.db.url(), EmailSection(sink));
  REQUIRE(salon.WaitAllSent(30s));
  CHECK(salon.Count("SELECT count(*) FROM notifications WHERE business_id = $1::uuid") == kMails);
  return sink.MessageIds();
}

}  // namespace

TEST_CASE("omnid killed before the server accepted a mail: after a restart every mail arrives exactly once",
          "[notify][restart]") {
  Salon salon;
  HoldingSink sink(/*hold_at=*/5, /*store_held=*/false);
  const auto ids = KillMidSendAndRestart(salon, sink);
  std::set<std::string> arrived;
  for (const auto& [id, count] : ids) {
    CAPTURE(id);
    CHECK(count == 1);
    arrived.insert(id);
  }
  CHECK(arrived == salon.expected_ids);
}

TEST_CASE("omnid killed after the server accepted a mail, before it recorded it: only that mail comes twice, "
          "with the same Message-ID",
          "[notify][restart]") {
  Salon salon;
  HoldingSink sink(/*hold_at=*/5, /*store_held=*/true);
  const auto ids = KillMidSendAndRestart(salon, sink);
  std::set<std::string> arrived;
  int twice = 0;
  for (const auto& [id, count] : ids) {
    CAPTURE(id);
    CHECK((count == 1 || count == 2));
    if (count == 2) ++twice;
    arrived.insert(id);
  }
  CHECK(twice == 1);
  CHECK(arrived == salon.expected_ids);
}

}  // namespace omni
