// The customer book on a real database: visit counts and last contact kept
// by chat and booking in their own transactions, and a customer's profile
// (conversations with their last message, appointments upcoming and past).
#include <string>

#include <catch2/catch.hpp>

#include "core/booking/booking.hpp"
#include "core/booking/local_time.hpp"
#include "core/chat/conversations.hpp"
#include "core/common/error.hpp"
#include "core/customers/customers.hpp"
#include "core/customers/profile.hpp"
#include "core/db/pqxx.hpp"
#include "tests/support/fixed_clock.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

TimePoint At(const std::string& iso) { return booking::ParseInstantOrDate(iso, "UTC"); }

// A business open every day 09:00-17:00 UTC with one 60-minute service.
std::string NewBusiness(db::Pool& pool, const std::string& slug) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    std::string weekly = "{";
    for (const char* day : {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}) {
      weekly += std::string(weekly.size() > 1 ? "," : "") + "\"" + day + "\":[[\"09:00\",\"17:00\"]]";
    }
    weekly += "}";
    const std::string id = tx.exec_params(
                                 "INSERT INTO businesses (slug, name, timezone, weekly_hours, min_notice_min) "
                                 "VALUES ($1, $1, 'UTC', $2::jsonb, 0) RETURNING id::text",
                                 slug, weekly)[0][0]
                               .as<std::string>();
    tx.exec_params("INSERT INTO services (business_id, name, duration_min) VALUES ($1::uuid, 'Cut', 60)", id);
    return id;
  });
}

customers::Customer Reload(db::Pool& pool, const std::string& biz, const std::string& id) {
  return customers::Get(pool, biz, id);
}

}  // namespace

TEST_CASE("visit count and last contact follow conversations, team replies and bookings", "[customers][contacts]") {
  test::TestDatabase db;
  auto& pool = db.pool();
  const std::string biz = NewBusiness(pool, "acme");
  const auto ann = customers::FindOrCreate(pool, biz, {"Ann", "ann@example.com", ""}).customer;
  CHECK(ann.visit_count == 0);
  CHECK_FALSE(ann.last_contact_at.has_value());

  chat::OpenRequest open;
  open.customer_id = ann.id;
  const auto conversation = chat::Open(pool, biz, open);
  chat::AddUserMessage(pool, biz, conversation.id, "hello", At("2026-05-01T10:00:00Z"));
  auto now = Reload(pool, biz, ann.id);
  CHECK(now.visit_count == 1);
  CHECK(*now.last_contact_at == At("2026-05-01T10:00:00Z"));

  chat::AddUserMessage(pool, biz, conversation.id, "still there?", At("2026-05-01T10:05:00Z"));
  now = Reload(pool, biz, ann.id);
  CHECK(now.visit_count == 1);  // the same conversation is the same visit
  CHECK(*now.last_contact_at == At("2026-05-01T10:05:00Z"));

  chat::HumanReply(pool, biz, conversation.id, "yes, Kim here", "kim", At("2026-05-01T10:20:00Z"));
  now = Reload(pool, biz, ann.id);
  CHECK(now.visit_count == 1);
  CHECK(*now.last_contact_at == At("2026-05-01T10:20:00Z"));

  // A late message stamped earlier never moves the last contact back.
  chat::AddUserMessage(pool, biz, conversation.id, "thanks", At("2026-05-01T10:10:00Z"));
  CHECK(*Reload(pool, biz, ann.id).last_contact_at == At("2026-05-01T10:20:00Z"));

  chat::Resolve(pool, biz, conversation.id);
  chat::AddUserMessage(pool, biz, conversation.id, "one more thing", At("2026-05-02T09:00:00Z"));
  now = Reload(pool, biz, ann.id);
  CHECK(now.visit_count == 2);  // a reopened conversation is a new visit
  CHECK(*now.last_contact_at == At("2026-05-02T09:00:00Z"));

  test::FixedClock clock(At("2026-05-03T08:00:00Z"));
  booking::BookingService service(pool, clock);
  booking::CreateRequest request;
  request.service = "Cut";
  request.start = At("2026-05-04T10:00:00Z");
  request.customer = {"Ann", "ANN@example.com", ""};
  REQUIRE(service.Create(biz, request).outcome == booking::BookingResult::kBooked);
  now = Reload(pool, biz, ann.id);
  CHECK(now.visit_count == 3);
  CHECK(*now.last_contact_at == At("2026-05-03T08:00:00Z"));

  // A conversation with no customer counts for nobody, and another
  // business's customer is never touched.
  const std::string beta = NewBusiness(pool, "beta");
  const auto other = customers::FindOrCreate(pool, beta, {"Ann B", "ann@example.com", ""}).customer;
  const auto anonymous = chat::Open(pool, biz, {});
  chat::AddUserMessage(pool, biz, anonymous.id, "hi", At("2026-05-05T09:00:00Z"));
  CHECK(Reload(pool, beta, other.id).visit_count == 0);
  CHECK(Reload(pool, biz, ann.id).visit_count == 3);
}

TEST_CASE("a customer's profile lists conversations with their last message and appointments upcoming and past",
          "[customers][profile]") {
  test::TestDatabase db;
  auto& pool = db.pool();
  const std::string biz = NewBusiness(pool, "acme");
  const std::string beta = NewBusiness(pool, "beta");
  const auto ann = customers::FindOrCreate(pool, biz, {"Ann", "ann@example.com", ""}).customer;
  const auto bob = customers::FindOrCreate(pool, biz, {"Bob", "bob@example.com", ""}).customer;
  chat::OpenRequest open;
  open.customer_id = ann.id;
  const auto first = chat::Open(pool, biz, open);
  chat::AddUserMessage(pool, biz, first.id, "can I book?", At("2026-05-01T10:00:00Z"));
  chat::HumanReply(pool, biz, first.id, std::string(300, 'x'), "kim", At("2026-05-01T10:01:00Z"));
  chat::Resolve(pool, biz, first.id);
  open.customer_id = bob.id;
  chat::AddUserMessage(pool, biz, chat::Open(pool, biz, open).id, "bob's", At("2026-05-01T11:00:00Z"));

  const TimePoint now = At("2026-05-10T12:00:00Z");
  db::WithTransaction(pool, [&](pqxx::work& tx) {
    const std::string insert =
        "INSERT INTO appointments (business_id, service_id, customer_id, starts_at, ends_at, blocked_from, "
        "blocked_to, status) SELECT $1::uuid, s.id, $2::uuid, $3::timestamptz, $3::timestamptz + interval '1 hour', "
        "$3::timestamptz, $3::timestamptz + interval '1 hour', $4 FROM services s WHERE s.business_id = $1::uuid";
    tx.exec_params(insert, biz, ann.id, "2026-05-20T10:00:00Z", "SCHEDULED");
    tx.exec_params(insert, biz, ann.id, "2026-05-12T10:00:00Z", "CONFIRMED");
    tx.exec_params(insert, biz, ann.id, "2026-05-15T10:00:00Z", "CANCELED");
    tx.exec_params(insert, biz, ann.id, "2026-05-01T10:00:00Z", "COMPLETED");
    tx.exec_params(insert, biz, bob.id, "2026-05-13T10:00:00Z", "SCHEDULED");
  });

  const auto profile = customers::GetProfile(pool, biz, "ann@example.com", now);
  CHECK(profile.customer.id == ann.id);
  REQUIRE(profile.conversations.size() == 1);
  CHECK(profile.conversations[0].id == first.id);
  CHECK(profile.conversations[0].status == "RESOLVED");
  CHECK(profile.conversations[0].message_count == 2);
  CHECK(profile.conversations[0].last_message_role == "HUMAN");
  CHECK(profile.conversations[0].last_message_text == std::string(customers::kSummaryTextChars, 'x'));
  REQUIRE(profile.upcoming.size() == 2);
  CHECK(profile.upcoming[0].starts_at == At("2026-05-12T10:00:00Z"));
  CHECK(profile.upcoming[1].starts_at == At("2026-05-20T10:00:00Z"));
  CHECK(profile.upcoming[0].service_name == "Cut");
  REQUIRE(profile.past.size() == 2);
  CHECK(profile.past[0].status == "CANCELED");
  CHECK(profile.past[1].status == "COMPLETED");
  CHECK_THROWS_AS(customers::GetProfile(pool, beta, ann.id, now), NotFound);
  CHECK_THROWS_AS(customers::GetProfile(pool, beta, "ann@example.com", now), NotFound);
}

}  // namespace omni
