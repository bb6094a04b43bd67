// The booking service on a real database: rules, slot taken with
// alternatives, cancel, atomic reschedule, state transitions, listing, ICS,
// resources, bad input that changes nothing, and concurrent clients on
// separate connections racing for the same slots.
#include <atomic>
#include <latch>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "core/booking/booking.hpp"
#include "core/booking/local_time.hpp"
#include "core/common/error.hpp"
#include "core/db/pqxx.hpp"
#include "tests/support/fixed_clock.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

using booking::BookingResult;
using booking::BookingService;
using booking::CreateRequest;
using booking::Status;
using db::WithTransaction;

constexpr const char* kTz = "America/New_York";

using test::FixedClock;

TimePoint Local(const std::string& text) { return booking::ParseStartTime(text, kTz); }
std::string Utc(TimePoint t) { return booking::FormatUtc(t); }

// A salon in New York open Monday to Friday 09:00-17:00, with a short day on
// 2026-12-24 and Christmas closed; 60 minutes notice, 60 days ahead. With
// `resources` (e.g. two chairs) bookings on different ones coexist.
struct Salon {
  explicit Salon(test::TestDatabase& db, const std::string& slug = "acme",
                 const std::vector<std::string>& resources = {})
      : clock(Local("2026-11-30 07:00")), service(db.pool(), clock) {
    id = WithTransaction(db.pool(), [&](pqxx::work& tx) {
      std::string business = tx.exec_params(
          "INSERT INTO businesses (slug, name, timezone, email, address, weekly_hours, date_overrides,"
          " min_notice_min, advance_days, slot_interval_min) VALUES ($1, 'Acme Salon', $2,"
          " 'desk@acme.example', '1 Main St, Brooklyn', $3::jsonb, $4::jsonb, 60, 60, 30) RETURNING id::text",
          slug, std::string(kTz),
          std::string(R"({"monday": [["09:00","17:00"]], "tuesday": [["09:00","17:00"]],)"
                      R"( "wednesday": [["09:00","17:00"]], "thursday": [["09:00","17:00"]],)"
                      R"( "friday": [["09:00","17:00"]]})"),
          std::string(R"({"2026-12-24": [["09:00","12:00"]], "2026-12-25": []})"))[0][0]
                                .as<std::string>();
      tx.exec_params(
          "INSERT INTO services (business_id, name, duration_min, buffer_after_min, bookable, active) VALUES"
          " ($1::uuid, 'Women''s haircut', 60, 10, true, true), ($1::uuid, 'Quick trim', 30, 0, true, true),"
          " ($1::uuid, 'Keratin consultation', 30, 0, false, true), ($1::uuid, 'Perm', 90, 0, true, false)",
          business);
      for (const std::string& name : resources) {
        tx.exec_params("INSERT INTO resources (business_id, name) VALUES ($1::uuid, $2)", business, name);
      }
      return business;
    });
  }

  CreateRequest Request(const std::string& service_name, const std::string& local_start,
                        const std::string& email = "ann@example.com") const {
    CreateRequest request;
    request.service = service_name;
    request.start = Local(local_start);
    request.customer = {"Ann Lee", email, ""};
    return request;
  }

  BookingResult Book(const std::string& service_name, const std::string& local_start,
                     const std::string& email = "ann@example.com") {
    return service.Create(id, Request(service_name, local_start, email));
  }

  std::string id;
  FixedClock clock;
  BookingService service;
};

long long Count(db::Pool& pool, const std::string& sql) {
  return WithTransaction(pool, [&](pqxx::work& tx) { return tx.exec(sql)[0][0].as<long long>(); });
}

long long Appointments(db::Pool& pool) { return Count(pool, "SELECT count(*) FROM appointments"); }
long long Customers(db::Pool& pool) { return Count(pool, "SELECT count(*) FROM customers"); }
long long Overlaps(db::Pool& pool) {
  return Count(pool,
               "SELECT count(*) FROM appointments a JOIN appointments b ON a.business_id = b.business_id"
               " AND a.id < b.id AND a.blocked && b.blocked AND a.lane && b.lane"
               " WHERE a.status IN ('SCHEDULED', 'CONFIRMED') AND b.status IN ('SCHEDULED', 'CONFIRMED')");
}

std::vector<std::string> Starts(const std::vector<TimePoint>& points) {
  std::vector<std::string> out;
  for (TimePoint p : points) out.push_back(booking::FormatLocal(p, kTz));
  return out;
}

}  // namespace

TEST_CASE("slots follow the hours and skip live bookings with their buffers", "[booking]") {
  test::TestDatabase db;
  Salon salon(db);
  auto first = booking::ParseDate("2026-12-01", "date");
  auto slots = salon.service.Slots(salon.id, "quick TRIM", first, 1);
  CHECK(slots.service_name == "Quick trim");
  CHECK(slots.time_zone == kTz);
  REQUIRE(slots.starts.size() == 16);
  CHECK(Utc(slots.starts.front()) == "2026-12-01T14:00:00Z");
  CHECK(Starts(slots.starts).back() == "2026-12-01 16:30");

  REQUIRE(salon.Book("Women's haircut", "2026-12-01 10:00").outcome == BookingResult::kBooked);
  // The haircut blocks 10:00-11:10; a trim may end at 10:00 and restarts at 11:30.
  auto after = Starts(salon.service.Slots(salon.id, "Quick trim", first, 1).starts);
  CHECK(std::vector<std::string>(after.begin(), after.begin() + 3) ==
        std::vector<std::string>{"2026-12-01 09:00", "2026-12-01 09:30", "2026-12-01 11:30"});

  // Christmas Eve closes at noon, Christmas is closed, and a weekend is closed.
  auto week = salon.service.Slots(salon.id, "Women's haircut", booking::ParseDate("2026-12-24", "date"), 4);
  CHECK(Starts(week.starts) ==
        std::vector<std::string>{"2026-12-24 09:00", "2026-12-24 09:30", "2026-12-24 10:00", "2026-12-24 10:30",
                                 "2026-12-24 11:00"});
}

TEST_CASE("slots for several services at once match each one's own", "[booking]") {
  test::TestDatabase db;
  Salon salon(db);
  auto first = booking::ParseDate("2026-12-01", "date");
  REQUIRE(salon.Book("Women's haircut", "2026-12-01 10:00").outcome == BookingResult::kBooked);
  const auto lists = salon.service.SlotsForEach(salon.id, {"Quick trim", "women's HAIRCUT"}, first, 2);
  REQUIRE(lists.size() == 2);
  CHECK(lists[0].service_name == "Quick trim");
  CHECK(lists[1].service_name == "Women's haircut");
  CHECK(lists[0].starts == salon.service.Slots(salon.id, "Quick trim", first, 2).starts);
  CHECK(lists[1].starts == salon.service.Slots(salon.id, "Women's haircut", first, 2).starts);
  CHECK(lists[0].starts != lists[1].starts);
  CHECK_THROWS_AS(salon.service.SlotsForEach(salon.id, {"Quick trim", "Perm"}, first, 1), NotFound);
}

TEST_CASE("a taken slot returns up to three nearest alternatives and changes nothing", "[booking]") {
  test::TestDatabase db;
  Salon salon(db);
  auto first = salon.Book("Women's haircut", "2026-12-01 10:00");
  REQUIRE(first.outcome == BookingResult::kBooked);
  REQUIRE(first.appointment);
  CHECK(first.appointment->status == Status::kScheduled);
  CHECK(first.appointment->service_name == "Women's haircut");
  CHECK(first.appointment->customer_email == "ann@example.com");
  CHECK(Utc(first.appointment->start) == "2026-12-01T15:00:00Z");
  CHECK(Utc(first.appointment->end) == "2026-12-01T16:00:00Z");
  const long long appointments = Appointments(db.pool());
  const long long customers = Customers(db.pool());

  auto taken = salon.Book("Women's haircut", "2026-12-01 10:30", "bob@example.com");
  CHECK(taken.outcome == BookingResult::kSlotTaken);
  CHECK_FALSE(taken.appointment);
  // 10:00-11:10 is taken, so 09:00 (which would run into it with its
  // buffer) is not offered; the next starts are 11:30, 12:00, 12:30.
  CHECK(Starts(taken.alternatives) ==
        std::vector<std::string>{"2026-12-01 11:30", "2026-12-01 12:00", "2026-12-01 12:30"});
  CHECK(Appointments(db.pool()) == appointments);
  CHECK(Customers(db.pool()) == customers);
}

TEST_CASE("bookings break no rule and bad input changes nothing", "[booking]") {
  test::TestDatabase db;
  Salon salon(db);
  const long long appointments = Appointments(db.pool());
  const long long customers = Customers(db.pool());
  auto create = [&](const std::string& service, const std::string& start) {
    return salon.service.Create(salon.id, salon.Request(service, start));
  };
  CHECK_THROWS_WITH(create("Quick trim", "2026-11-27 10:00"), Catch::Contains("is in the past"));
  CHECK_THROWS_WITH(create("Quick trim", "2026-11-30 07:30"), Catch::Contains("too soon"));
  CHECK_THROWS_WITH(create("Quick trim", "2027-02-01 10:00"), Catch::Contains("too far ahead"));
  CHECK_THROWS_WITH(create("Quick trim", "2026-12-01 08:30"), Catch::Contains("outside the opening hours"));
  CHECK_THROWS_WITH(create("Women's haircut", "2026-12-01 16:30"), Catch::Contains("outside the opening hours"));
  CHECK_THROWS_WITH(create("Quick trim", "2026-12-05 10:00"), Catch::Contains("outside the opening hours"));
  CHECK_THROWS_WITH(create("Quick trim", "2026-12-25 10:00"), Catch::Contains("outside the opening hours"));
  CHECK_THROWS_AS(create("Balayage", "2026-12-01 10:00"), NotFound);
  CHECK_THROWS_AS(create("Perm", "2026-12-01 10:00"), NotFound);
  CHECK_THROWS_WITH(create("Keratin consultation", "2026-12-01 10:00"), Catch::Contains("cannot be booked online"));

  auto request = salon.Request("Quick trim", "2026-12-01 10:00");
  request.customer = {"Nobody", "", ""};
  CHECK_THROWS_WITH(salon.service.Create(salon.id, request), Catch::Contains("email or phone"));
  request.customer = {"Bad", "not-an-email", ""};
  CHECK_THROWS_AS(salon.service.Create(salon.id, request), InvalidInput);
  request.customer = {"Bad", "", "12"};
  CHECK_THROWS_AS(salon.service.Create(salon.id, request), InvalidInput);

  // Malformed dates and times never reach the service.
  CHECK_THROWS_AS(booking::ParseStartTime("2026-12-01 25:00", kTz), InvalidInput);
  CHECK_THROWS_AS(booking::ParseStartTime("12/01/2026 10:00", kTz), InvalidInput);
  CHECK_THROWS_AS(booking::ParseDate("2026-12-32", "date"), InvalidInput);
  // An end before the start.
  CHECK_THROWS_WITH(salon.service.SlotsBetween(salon.id, "Quick trim", Local("2026-12-02 00:00"),
                                               Local("2026-12-01 00:00")),
                    Catch::Contains("before the start"));
  booking::ListFilter backwards;
  backwards.from = Local("2026-12-02 00:00");
  backwards.to = Local("2026-12-01 00:00");
  CHECK_THROWS_AS(salon.service.List(salon.id, backwards), InvalidInput);
  CHECK_THROWS_AS(salon.service.Slots(salon.id, "Quick trim", booking::ParseDate("2026-12-01", "date"), 0),
                  InvalidInput);
  CHECK_THROWS_AS(salon.service.Get(salon.id, "not-a-uuid"), InvalidInput);
  CHECK_THROWS_AS(salon.service.Get(salon.id, "00000000-0000-0000-0000-000000000000"), NotFound);

  CHECK(Appointments(db.pool()) == appointments);
  CHECK(Customers(db.pool()) == customers);

  // An unknown time zone in the stored business is a configuration error.
  WithTransaction(db.pool(), [&](pqxx::work& tx) {
    tx.exec_params("UPDATE businesses SET timezone = 'Mars/Olympus_Mons' WHERE id = $1::uuid", salon.id);
  });
  CHECK_THROWS_MATCHES(salon.service.Slots(salon.id, "Quick trim", booking::ParseDate("2026-12-01", "date"), 1),
                       ConfigError, Catch::Matchers::Message("unknown time zone \"Mars/Olympus_Mons\""));
  CHECK_THROWS_AS(create("Quick trim", "2026-12-01T15:00:00Z"), ConfigError);
  CHECK(Appointments(db.pool()) == appointments);
}

TEST_CASE("cancelling frees the slot and bumps the sequence", "[booking]") {
  test::TestDatabase db;
  Salon salon(db);
  auto booked = salon.Book("Quick trim", "2026-12-01 10:00");
  REQUIRE(booked.outcome == BookingResult::kBooked);
  const std::string id = booked.appointment->id;
  CHECK(salon.Book("Quick trim", "2026-12-01 10:00", "bob@example.com").outcome == BookingResult::kSlotTaken);

  auto cancelled = salon.service.Cancel(salon.id, id, "client is ill");
  CHECK(cancelled.status == Status::kCanceled);
  CHECK(cancelled.sequence == 1);
  CHECK(cancelled.cancel_reason == "client is ill");
  // Cancelling again changes nothing.
  CHECK(salon.service.Cancel(salon.id, id, "again").sequence == 1);

  auto slots = Starts(salon.service.Slots(salon.id, "Quick trim", booking::ParseDate("2026-12-01", "date"), 1).starts);
  CHECK(std::find(slots.begin(), slots.end(), "2026-12-01 10:00") != slots.end());
  CHECK(salon.Book("Quick trim", "2026-12-01 10:00", "bob@example.com").outcome == BookingResult::kBooked);
  CHECK_THROWS_AS(salon.service.Confirm(salon.id, id), Conflict);
}

TEST_CASE("rescheduling takes the new slot and frees the old one, or changes nothing", "[booking]") {
  test::TestDatabase db;
  Salon salon(db);
  auto a = salon.Book("Women's haircut", "2026-12-01 10:00");
  auto b = salon.Book("Women's haircut", "2026-12-01 13:00", "bob@example.com");
  REQUIRE(a.outcome == BookingResult::kBooked);
  REQUIRE(b.outcome == BookingResult::kBooked);
  const std::string id = a.appointment->id;

  auto clash = salon.service.Reschedule(salon.id, id, Local("2026-12-01 13:30"));
  CHECK(clash.outcome == BookingResult::kSlotTaken);
  // a's own 10:00 range counts as free for its alternatives.
  CHECK(Starts(clash.alternatives) ==
        std::vector<std::string>{"2026-12-01 14:30", "2026-12-01 15:00", "2026-12-01 11:30"});
  auto unchanged = salon.service.Get(salon.id, id);
  CHECK(Utc(unchanged.start) == Utc(a.appointment->start));
  CHECK(unchanged.sequence == 0);

  CHECK_THROWS_WITH(salon.service.Reschedule(salon.id, id, Local("2026-12-01 16:30")),
                    Catch::Contains("outside the opening hours"));
  CHECK(salon.service.Get(salon.id, id).sequence == 0);

  // Overlapping its own old range is fine: the row moves in one statement.
  auto moved = salon.service.Reschedule(salon.id, id, Local("2026-12-01 10:30"));
  REQUIRE(moved.outcome == BookingResult::kBooked);
  CHECK(booking::FormatLocal(moved.appointment->start, kTz) == "2026-12-01 10:30");
  CHECK(moved.appointment->sequence == 1);
  auto moved_again = salon.service.Reschedule(salon.id, id, Local("2026-12-02 09:00"));
  REQUIRE(moved_again.outcome == BookingResult::kBooked);
  CHECK(moved_again.appointment->sequence == 2);
  CHECK(salon.Book("Quick trim", "2026-12-01 10:30", "cy@example.com").outcome == BookingResult::kBooked);

  salon.service.Cancel(salon.id, id, "");
  CHECK_THROWS_AS(salon.service.Reschedule(salon.id, id, Local("2026-12-03 09:00")), Conflict);
  CHECK(Overlaps(db.pool()) == 0);
}

TEST_CASE("status transitions follow the life cycle", "[booking]") {
  test::TestDatabase db;
  Salon salon(db);
  const std::string id = salon.Book("Quick trim", "2026-12-01 10:00").appointment->id;
  CHECK(salon.service.Confirm(salon.id, id).status == Status::kConfirmed);
  CHECK(salon.service.Confirm(salon.id, id).status == Status::kConfirmed);
  CHECK_THROWS_WITH(salon.service.Complete(salon.id, id), Catch::Contains("has not started yet"));
  CHECK_THROWS_AS(salon.service.MarkNoShow(salon.id, id), Conflict);
  salon.clock.Set(Local("2026-12-01 10:45"));
  auto done = salon.service.Complete(salon.id, id);
  CHECK(done.status == Status::kCompleted);
  CHECK_THROWS_AS(salon.service.Cancel(salon.id, id, ""), Conflict);
  CHECK_THROWS_AS(salon.service.MarkNoShow(salon.id, id), Conflict);

  salon.clock.Set(Local("2026-11-30 07:00"));
  const std::string other = salon.Book("Quick trim", "2026-12-01 11:00", "bob@example.com").appointment->id;
  salon.clock.Set(Local("2026-12-01 11:20"));
  CHECK(salon.service.MarkNoShow(salon.id, other).status == Status::kNoShow);
  CHECK_THROWS_AS(salon.service.Confirm(salon.id, other), Conflict);
  CHECK(booking::StatusName(booking::ParseStatus("no-show")) == std::string("NO_SHOW"));
  CHECK_THROWS_AS(booking::ParseStatus("done"), InvalidInput);
}

TEST_CASE("list filters by time, status and customer, scoped by business", "[booking]") {
  test::TestDatabase db;
  Salon salon(db);
  Salon other(db, "other");
  salon.Book("Quick trim", "2026-12-01 10:00", "ann@example.com");
  salon.Book("Quick trim", "2026-12-02 10:00", "bob@example.com");
  const std::string third = salon.Book("Quick trim", "2026-12-03 10:00", "ann@example.com").appointment->id;
  other.Book("Quick trim", "2026-12-01 10:00", "ann@example.com");
  salon.service.Cancel(salon.id, third, "");

  CHECK(salon.service.List(salon.id, {}).size() == 3);
  booking::ListFilter by_customer;
  by_customer.customer = "ANN@example.com";
  CHECK(salon.service.List(salon.id, by_customer).size() == 2);
  by_customer.customer = "ann lee";
  CHECK(salon.service.List(salon.id, by_customer).size() == 3);
  booking::ListFilter by_status;
  by_status.status = Status::kCanceled;
  auto cancelled = salon.service.List(salon.id, by_status);
  REQUIRE(cancelled.size() == 1);
  CHECK(cancelled[0].id == third);
  booking::ListFilter by_time;
  by_time.from = Local("2026-12-02 00:00");
  by_time.to = Local("2026-12-03 00:00");
  auto day = salon.service.List(salon.id, by_time);
  REQUIRE(day.size() == 1);
  CHECK(day[0].customer_email == "bob@example.com");
  CHECK_THROWS_AS(other.service.Get(other.id, third), NotFound);
  // The same email in two businesses is two customers; in one it is one.
  CHECK(Customers(db.pool()) == 3);
}

TEST_CASE("the ics of an appointment follows its life", "[booking]") {
  test::TestDatabase db;
  Salon salon(db);
  const std::string id = salon.Book("Women's haircut", "2026-12-01 10:00").appointment->id;
  std::string live = salon.service.Ics(salon.id, id);
  CHECK(live.find("METHOD:REQUEST\r\n") != std::string::npos);
  CHECK(live.find("UID:" + id + "@omni\r\n") != std::string::npos);
  CHECK(live.find("SEQUENCE:0\r\n") != std::string::npos);
  CHECK(live.find("DTSTART;TZID=America/New_York:20261201T100000\r\n") != std::string::npos);
  CHECK(live.find("TZID:America/New_York\r\n") != std::string::npos);
  CHECK(live.find("SUMMARY:Women's haircut at Acme Salon\r\n") != std::string::npos);
  salon.service.Reschedule(salon.id, id, Local("2026-12-01 11:00"));
  salon.service.Cancel(salon.id, id, "moved away");
  std::string cancelled = salon.service.Ics(salon.id, id);
  CHECK(cancelled.find("METHOD:CANCEL\r\n") != std::string::npos);
  CHECK(cancelled.find("STATUS:CANCELLED\r\n") != std::string::npos);
  CHECK(cancelled.find("SEQUENCE:2\r\n") != std::string::npos);
  CHECK(cancelled.find("UID:" + id + "@omni\r\n") != std::string::npos);
}

TEST_CASE("bookings on different resources coexist; a full slot is taken on every chair", "[booking]") {
  test::TestDatabase db;
  Salon salon(db, "acme", {"chair 1", "chair 2"});
  auto on = [&](const std::string& resource, const std::string& email) {
    auto request = salon.Request("Quick trim", "2026-12-01 10:00", email);
    request.resource = resource;
    return salon.service.Create(salon.id, request).outcome;
  };
  CHECK(on("chair 1", "a@example.com") == BookingResult::kBooked);
  CHECK(on("Chair 2", "b@example.com") == BookingResult::kBooked);
  CHECK(on("chair 1", "c@example.com") == BookingResult::kSlotTaken);
  // Alternatives for chair 1 ignore chair 2's bookings.
  auto later = salon.Request("Quick trim", "2026-12-01 10:30", "f@example.com");
  later.resource = "chair 2";
  REQUIRE(salon.service.Create(salon.id, later).outcome == BookingResult::kBooked);
  auto again = salon.Request("Quick trim", "2026-12-01 10:00", "g@example.com");
  again.resource = "chair 1";
  auto taken = salon.service.Create(salon.id, again);
  REQUIRE(taken.outcome == BookingResult::kSlotTaken);
  CHECK(Starts(taken.alternatives) ==
        std::vector<std::string>{"2026-12-01 09:30", "2026-12-01 10:30", "2026-12-01 09:00"});
  // Without a resource the booking takes the first free chair: none is.
  CHECK(on("", "d@example.com") == BookingResult::kSlotTaken);
  CHECK_THROWS_AS(on("chair 9", "e@example.com"), NotFound);
  std::set<std::string> resources;
  for (const auto& a : salon.service.List(salon.id, {})) resources.insert(a.resource_name);
  CHECK(resources == std::set<std::string>{"chair 1", "chair 2"});
  CHECK(Overlaps(db.pool()) == 0);
}

TEST_CASE("list pages by cursor through bookings that share a start, each once", "[booking]") {
  test::TestDatabase db;
  Salon salon(db, "acme", {"chair 1", "chair 2", "chair 3"});
  std::vector<std::string> booked;
  for (const char* start : {"2026-12-01 10:00", "2026-12-01 11:00"}) {
    for (int chair = 0; chair < 3; ++chair) {
      const auto result = salon.Book("Quick trim", start, "p" + std::to_string(booked.size()) + "@example.com");
      REQUIRE(result.outcome == BookingResult::kBooked);
      booked.push_back(result.appointment->id);
    }
  }
  std::vector<std::string> seen;
  booking::ListFilter filter;
  filter.limit = 2;
  for (int pages = 0; pages < 10; ++pages) {
    const auto page = salon.service.List(salon.id, filter);
    for (const auto& a : page) seen.push_back(a.id);
    if (page.size() < 2) break;
    filter.after = booking::NextCursor(page.back());
  }
  CHECK(seen.size() == booked.size());
  CHECK(std::set<std::string>(seen.begin(), seen.end()) == std::set<std::string>(booked.begin(), booked.end()));
  filter.after = "123.not-a-uuid";
  CHECK_THROWS_AS(salon.service.List(salon.id, filter), InvalidInput);
  filter.after = "-5." + booked[0];
  CHECK_THROWS_AS(salon.service.List(salon.id, filter), InvalidInput);
}

// Inserts a live booking that holds no resource, as one made before the
// business had resources: it blocks every resource.
void BookWholeBusiness(db::Pool& pool, const std::string& business_id, const std::string& local_start) {
  WithTransaction(pool, [&](pqxx::work& tx) {
    tx.exec_params(
        "INSERT INTO appointments (business_id, service_id, customer_id, starts_at, ends_at, blocked_from, blocked_to)"
        " SELECT $1::uuid, (SELECT id FROM services WHERE business_id = $1::uuid AND name = 'Quick trim'),"
        " (SELECT id FROM customers WHERE business_id = $1::uuid LIMIT 1), $2::timestamptz,"
        " $2::timestamptz + interval '30 minutes', $2::timestamptz, $2::timestamptz + interval '30 minutes'",
        business_id, Utc(Local(local_start)));
  });
}

bool Offers(Salon& salon, const std::string& local_start, const std::string& resource = "") {
  auto date = booking::ParseDate(local_start.substr(0, 10), "date");
  auto starts = Starts(salon.service.Slots(salon.id, "Quick trim", date, 1, resource).starts);
  return std::find(starts.begin(), starts.end(), local_start) != starts.end();
}

TEST_CASE("create takes the first free chair by name; a named resource books that one", "[booking]") {
  test::TestDatabase db;
  Salon salon(db, "acme", {"chair 2", "Chair 1"});
  auto book = [&](const std::string& start, const std::string& email, const std::string& resource = "") {
    auto request = salon.Request("Quick trim", start, email);
    request.resource = resource;
    return salon.service.Create(salon.id, request);
  };
  auto first = book("2026-12-01 10:00", "a@example.com");
  REQUIRE(first.outcome == BookingResult::kBooked);
  CHECK(first.appointment->resource_name == "Chair 1");
  // One chair taken: the slot is still offered, and the next booking gets
  // the other chair.
  CHECK(Offers(salon, "2026-12-01 10:00"));
  CHECK_FALSE(Offers(salon, "2026-12-01 10:00", "chair 1"));
  CHECK(Offers(salon, "2026-12-01 10:00", "Chair 2"));
  auto second = book("2026-12-01 10:00", "b@example.com");
  REQUIRE(second.outcome == BookingResult::kBooked);
  CHECK(second.appointment->resource_name == "chair 2");
  // Both taken: not offered, and a third booking gets the nearest starts
  // that some chair has free.
  CHECK_FALSE(Offers(salon, "2026-12-01 10:00"));
  auto third = book("2026-12-01 10:00", "c@example.com");
  REQUIRE(third.outcome == BookingResult::kSlotTaken);
  CHECK(Starts(third.alternatives) ==
        std::vector<std::string>{"2026-12-01 09:30", "2026-12-01 10:30", "2026-12-01 09:00"});

  // --resource books that chair even when an earlier one is free; a
  // booking without one then takes the first free chair, Chair 1.
  auto named = book("2026-12-01 11:00", "d@example.com", "CHAIR 2");
  REQUIRE(named.outcome == BookingResult::kBooked);
  CHECK(named.appointment->resource_name == "chair 2");
  CHECK(Offers(salon, "2026-12-01 11:00"));
  CHECK_FALSE(Offers(salon, "2026-12-01 11:00", "chair 2"));
  auto named_taken = book("2026-12-01 11:00", "e@example.com", "chair 2");
  REQUIRE(named_taken.outcome == BookingResult::kSlotTaken);
  // Alternatives for chair 2 alone: 10:00 and 11:00 are its own bookings.
  CHECK(Starts(named_taken.alternatives) ==
        std::vector<std::string>{"2026-12-01 10:30", "2026-12-01 11:30", "2026-12-01 12:00"});
  auto unnamed = book("2026-12-01 11:00", "e@example.com");
  REQUIRE(unnamed.outcome == BookingResult::kBooked);
  CHECK(unnamed.appointment->resource_name == "Chair 1");

  // Cancelling frees that chair only.
  salon.service.Cancel(salon.id, first.appointment->id, "");
  CHECK(Offers(salon, "2026-12-01 10:00"));
  CHECK(Offers(salon, "2026-12-01 10:00", "Chair 1"));
  CHECK_FALSE(Offers(salon, "2026-12-01 10:00", "chair 2"));

  CHECK_THROWS_AS(book("2026-12-01 12:00", "f@example.com", "chair 9"), NotFound);
  CHECK_THROWS_AS(salon.service.Slots(salon.id, "Quick trim", booking::ParseDate("2026-12-01", "date"), 1, "chair 9"),
                  NotFound);
  CHECK(Overlaps(db.pool()) == 0);
}

TEST_CASE("a booking without a resource blocks every chair", "[booking]") {
  test::TestDatabase db;
  Salon salon(db, "acme", {"chair 1", "chair 2"});
  REQUIRE(salon.Book("Quick trim", "2026-12-01 09:00").outcome == BookingResult::kBooked);
  BookWholeBusiness(db.pool(), salon.id, "2026-12-01 12:00");
  CHECK_FALSE(Offers(salon, "2026-12-01 12:00"));
  CHECK_FALSE(Offers(salon, "2026-12-01 12:00", "chair 1"));
  CHECK_FALSE(Offers(salon, "2026-12-01 12:00", "chair 2"));
  CHECK(Offers(salon, "2026-12-01 12:30"));
  CHECK(salon.Book("Quick trim", "2026-12-01 12:00", "b@example.com").outcome == BookingResult::kSlotTaken);
  // And the database refuses a whole-business booking over a chair's.
  CHECK_THROWS_AS(BookWholeBusiness(db.pool(), salon.id, "2026-12-01 09:00"), Conflict);
  CHECK(Overlaps(db.pool()) == 0);

  // Deactivated chairs no longer count: chair 2's bookings stop mattering
  // and chair 1 is the only calendar.
  auto on_two = salon.Request("Quick trim", "2026-12-01 14:00", "c@example.com");
  on_two.resource = "chair 2";
  REQUIRE(salon.service.Create(salon.id, on_two).outcome == BookingResult::kBooked);
  REQUIRE(salon.Book("Quick trim", "2026-12-01 15:00", "d@example.com").outcome == BookingResult::kBooked);
  WithTransaction(db.pool(), [&](pqxx::work& tx) {
    tx.exec_params("UPDATE resources SET active = false WHERE business_id = $1::uuid AND name = 'chair 2'", salon.id);
  });
  CHECK(Offers(salon, "2026-12-01 14:00"));
  CHECK_FALSE(Offers(salon, "2026-12-01 15:00"));
  CHECK_THROWS_AS(salon.service.Create(salon.id, on_two), NotFound);
}

TEST_CASE("rescheduling keeps the chair when it is free, else takes a free one", "[booking]") {
  test::TestDatabase db;
  Salon salon(db, "acme", {"chair 1", "chair 2"});
  const std::string id = salon.Book("Quick trim", "2026-12-01 10:00").appointment->id;
  auto other = salon.Request("Quick trim", "2026-12-01 14:00", "b@example.com");
  other.resource = "chair 1";
  REQUIRE(salon.service.Create(salon.id, other).outcome == BookingResult::kBooked);

  auto kept = salon.service.Reschedule(salon.id, id, Local("2026-12-01 11:00"));
  REQUIRE(kept.outcome == BookingResult::kBooked);
  CHECK(kept.appointment->resource_name == "chair 1");
  auto moved = salon.service.Reschedule(salon.id, id, Local("2026-12-01 14:00"));
  REQUIRE(moved.outcome == BookingResult::kBooked);
  CHECK(moved.appointment->resource_name == "chair 2");
  CHECK(moved.appointment->sequence == 2);

  auto blocker = salon.Request("Quick trim", "2026-12-01 15:00", "c@example.com");
  REQUIRE(salon.service.Create(salon.id, blocker).outcome == BookingResult::kBooked);
  blocker.customer.email = "d@example.com";
  REQUIRE(salon.service.Create(salon.id, blocker).outcome == BookingResult::kBooked);
  auto taken = salon.service.Reschedule(salon.id, id, Local("2026-12-01 15:00"));
  REQUIRE(taken.outcome == BookingResult::kSlotTaken);
  CHECK(Starts(taken.alternatives) ==
        std::vector<std::string>{"2026-12-01 14:30", "2026-12-01 15:30", "2026-12-01 14:00"});
  auto unchanged = salon.service.Get(salon.id, id);
  CHECK(unchanged.resource_name == "chair 2");
  CHECK(unchanged.sequence == 2);
  CHECK(Overlaps(db.pool()) == 0);
}

TEST_CASE("rescheduling to a named chair moves it there, or offers that chair's free starts", "[booking]") {
  test::TestDatabase db;
  Salon salon(db, "acme", {"chair 1", "chair 2"});
  const std::string id = salon.Book("Quick trim", "2026-12-01 10:00").appointment->id;
  REQUIRE(salon.service.Get(salon.id, id).resource_name == "chair 1");

  // Same time, other chair: a move between chairs.
  auto moved = salon.service.Reschedule(salon.id, id, Local("2026-12-01 10:00"), "Chair 2");
  REQUIRE(moved.outcome == BookingResult::kBooked);
  CHECK(moved.appointment->resource_name == "chair 2");
  CHECK(moved.appointment->sequence == 1);

  // Chair 1 is taken at 14:00 while chair 2 is free: the named chair decides.
  auto other = salon.Request("Quick trim", "2026-12-01 14:00", "b@example.com");
  other.resource = "chair 1";
  REQUIRE(salon.service.Create(salon.id, other).outcome == BookingResult::kBooked);
  auto taken = salon.service.Reschedule(salon.id, id, Local("2026-12-01 14:00"), "chair 1");
  REQUIRE(taken.outcome == BookingResult::kSlotTaken);
  CHECK(Starts(taken.alternatives) ==
        std::vector<std::string>{"2026-12-01 13:30", "2026-12-01 14:30", "2026-12-01 13:00"});
  const auto unchanged = salon.service.Get(salon.id, id);
  CHECK(unchanged.resource_name == "chair 2");
  CHECK(booking::FormatLocal(unchanged.start, kTz) == "2026-12-01 10:00");

  CHECK_THROWS_AS(salon.service.Reschedule(salon.id, id, Local("2026-12-01 15:00"), "chair 9"), NotFound);
  CHECK(salon.service.Get(salon.id, id).sequence == 1);
  CHECK(Overlaps(db.pool()) == 0);
}

TEST_CASE("concurrent clients on separate connections never double-book", "[booking]") {
  test::TestDatabase db;
  Salon salon(db);
  constexpr int kClients = 60;
  // Six 30-minute trims contested by ten clients each, then overlapping
  // 60-minute haircuts (with a 10-minute buffer) contested by the same.
  const std::vector<std::string> trims = {"2026-12-01 09:00", "2026-12-01 09:30", "2026-12-01 10:00",
                                          "2026-12-01 10:30", "2026-12-01 11:00", "2026-12-01 11:30"};
  const std::vector<std::string> cuts = {"2026-12-02 09:00", "2026-12-02 09:30", "2026-12-02 10:00",
                                         "2026-12-02 10:30", "2026-12-02 11:00", "2026-12-02 11:30"};
  for (const auto& contest : {std::pair{"Quick trim", trims}, std::pair{"Women's haircut", cuts}}) {
    const std::string service_name = contest.first;
    const std::vector<std::string>& starts = contest.second;
    std::latch go(kClients);
    std::mutex mutex;
    std::map<std::string, int> wins;
    std::atomic<int> taken = 0;
    std::vector<std::string> errors;
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i) {
      clients.emplace_back([&, i] {
        config::DatabaseSettings settings;
        settings.pool_size = 1;
        db::Pool pool(db.url(), settings);
        BookingService service(pool, salon.clock);
        // Half the clients share one email, so customers race too.
        std::string email = i % 2 ? "client" + std::to_string(i) + "@example.com" : "shared@example.com";
        CreateRequest request = salon.Request(service_name, starts[i % starts.size()], email);
        pool.Acquire();  // connect before the race starts
        go.arrive_and_wait();
        try {
          auto result = service.Create(salon.id, request);
          if (result.outcome == BookingResult::kBooked) {
            std::lock_guard lock(mutex);
            ++wins[booking::FormatLocal(request.start, kTz)];
          } else {
            ++taken;
          }
        } catch (const std::exception& e) {
          std::lock_guard lock(mutex);
          errors.push_back("client " + std::to_string(i) + ": " + e.what());
        }
      });
    }
    for (auto& client : clients) client.join();
    INFO(service_name);
    CHECK(errors == std::vector<std::string>{});
    int won = 0;
    for (const auto& [start, count] : wins) {
      INFO(start);
      CHECK(count == 1);
      won += count;
    }
    CHECK(won + taken == kClients);
    if (service_name == "Quick trim") CHECK(won == 6);
    CHECK(won >= 2);
    CHECK(Overlaps(db.pool()) == 0);
  }
  CHECK(Count(db.pool(), "SELECT count(*) FROM customers WHERE email = 'shared@example.com'") == 1);
}

TEST_CASE("two chairs and 50 concurrent clients: two win each slot, none overlap on a chair", "[booking]") {
  test::TestDatabase db;
  Salon salon(db, "acme", {"chair 1", "chair 2"});
  constexpr int kClients = 50;
  // Ten 30-minute trims, five clients each, then five more starts where
  // four clients in ten insert a booking without a resource (one that
  // blocks both chairs) straight into the table while the others book.
  std::vector<std::string> starts;
  for (int i = 0; i < 10; ++i) {
    starts.push_back(booking::FormatLocal(Local("2026-12-01 09:00") + std::chrono::minutes{30 * i}, kTz));
  }
  const std::vector<std::string> mixed = {"2026-12-02 09:00", "2026-12-02 09:30", "2026-12-02 10:00",
                                          "2026-12-02 10:30", "2026-12-02 11:00"};
  const std::string customer =
      salon.Book("Quick trim", "2026-12-03 09:00", "seed@example.com").appointment->customer_id;
  const std::string service_id = salon.service.Get(salon.id, salon.service.List(salon.id, {})[0].id).service_id;

  for (bool with_whole_business : {false, true}) {
    const std::vector<std::string>& contested = with_whole_business ? mixed : starts;
    std::latch go(kClients);
    std::mutex mutex;
    std::map<std::string, std::multiset<std::string>> wins;  // local start -> resources ("" for none)
    std::atomic<int> lost = 0;
    std::vector<std::string> errors;
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i) {
      clients.emplace_back([&, i] {
        config::DatabaseSettings settings;
        settings.pool_size = 1;
        db::Pool pool(db.url(), settings);
        BookingService service(pool, salon.clock);
        const std::string start = contested[i % contested.size()];
        const bool whole_business = with_whole_business && i % 10 < 4;
        CreateRequest request = salon.Request("Quick trim", start, "client" + std::to_string(i) + "@example.com");
        pool.Acquire();  // connect before the race starts
        go.arrive_and_wait();
        try {
          if (whole_business) {
            bool inserted = WithTransaction(pool, [&](pqxx::work& tx) {
              return !tx.exec_params(
                          "INSERT INTO appointments (business_id, service_id, customer_id, starts_at, ends_at,"
                          " blocked_from, blocked_to) VALUES ($1::uuid, $2::uuid, $3::uuid, $4::timestamptz,"
                          " $4::timestamptz + interval '30 minutes', $4::timestamptz,"
                          " $4::timestamptz + interval '30 minutes') ON CONFLICT DO NOTHING RETURNING id",
                          salon.id, service_id, customer, Utc(request.start))
                          .empty();
            });
            std::lock_guard lock(mutex);
            if (inserted) wins[start].insert("");
            else ++lost;
            return;
          }
          auto result = service.Create(salon.id, request);
          std::lock_guard lock(mutex);
          if (result.outcome == BookingResult::kBooked) wins[start].insert(result.appointment->resource_name);
          else ++lost;
        } catch (const std::exception& e) {
          std::lock_guard lock(mutex);
          errors.push_back("client " + std::to_string(i) + ": " + e.what());
        }
      });
    }
    for (auto& client : clients) client.join();
    INFO((with_whole_business ? "with bookings without a resource" : "chairs only"));
    CHECK(errors == std::vector<std::string>{});
    int won = 0;
    for (const std::string& start : contested) {
      INFO(start);
      const auto& holders = wins[start];
      won += static_cast<int>(holders.size());
      if (holders.count("") > 0) {
        // A booking without a resource won: nothing else holds the slot.
        CHECK(holders.size() == 1);
      } else {
        CHECK(holders == std::multiset<std::string>{"chair 1", "chair 2"});
      }
    }
    CHECK(won + lost == kClients);
    if (!with_whole_business) CHECK(won == 20);
    // Zero overlaps per resource, and no booking without a resource
    // overlapping any other live booking.
    CHECK(Count(db.pool(),
                "SELECT count(*) FROM appointments a JOIN appointments b ON a.business_id = b.business_id"
                " AND a.id < b.id AND a.blocked && b.blocked AND a.resource_id = b.resource_id"
                " WHERE a.status IN ('SCHEDULED', 'CONFIRMED') AND b.status IN ('SCHEDULED', 'CONFIRMED')") == 0);
    CHECK(Count(db.pool(),
                "SELECT count(*) FROM appointments a JOIN appointments b ON a.business_id = b.business_id"
                " AND a.id <> b.id AND a.blocked && b.blocked AND a.resource_id IS NULL"
                " WHERE a.status IN ('SCHEDULED', 'CONFIRMED') AND b.status IN ('SCHEDULED', 'CONFIRMED')") == 0);
    CHECK(Overlaps(db.pool()) == 0);
  }
}

}  // namespace omni
