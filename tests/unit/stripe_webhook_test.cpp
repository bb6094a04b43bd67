// Stripe webhook signatures (core/billing/webhook.hpp) and the reading of a
// subscription object (core/billing/stripe_events.hpp), without I/O. The
// official stripe npm package checks the same rules end to end in
// tests/http/stripe_webhook_test.cpp.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "core/billing/stripe_events.hpp"
#include "core/billing/webhook.hpp"
#include "core/common/error.hpp"

namespace omni {
namespace {

using billing::VerifyStripeSignature;

const std::string kSecret = "whsec_test_secret";
const std::string kBody = R"({"id":"evt_1"})";
constexpr std::int64_t kT = 1'796'000'000;
const TimePoint kNow = TimePoint{std::chrono::seconds{kT + 10}};

std::string Header(std::int64_t t, const std::string& secret = kSecret, const std::string& body = kBody) {
  return "t=" + std::to_string(t) + ",v1=" + billing::StripeSignatureV1(secret, t, body);
}

std::string Code(const std::optional<std::string>& header, const std::string& body = kBody,
                 std::vector<std::string> secrets = {kSecret}) {
  const auto rejection = VerifyStripeSignature(header, body, secrets, 300, kNow);
  return rejection ? rejection->code : "ok";
}

}  // namespace

TEST_CASE("a v1 signature is HMAC-SHA256 of t.body keyed by the whole whsec_ secret", "[billing][webhook]") {
  // Computed independently with Python's hmac module.
  CHECK(billing::StripeSignatureV1(kSecret, kT, kBody) ==
        "bb377fb0453e781a53b2a3d159ae963146aa51eabbeb72a8434730221a5e7d51");
}

TEST_CASE("a signed body is accepted, within the tolerance", "[billing][webhook]") {
  CHECK(Code(Header(kT)) == "ok");
  CHECK(Code(Header(kT + 10 - 300)) == "ok");
  CHECK(Code(Header(kT + 10 - 301)) == "stale_timestamp");
}

TEST_CASE("every failure is rejected with its reason", "[billing][webhook]") {
  CHECK(Code(std::nullopt) == "missing_signature");
  CHECK(Code(std::string()) == "missing_signature");
  CHECK(Code(std::string("garbage")) == "malformed_signature");
  CHECK(Code("v1=" + billing::StripeSignatureV1(kSecret, kT, kBody)) == "malformed_signature");
  CHECK(Code("t=abc,v1=" + billing::StripeSignatureV1(kSecret, kT, kBody)) == "malformed_signature");
  CHECK(Code("t=1,t=2,v1=00") == "malformed_signature");
  CHECK(Code("t=" + std::to_string(kT)) == "no_v1_signature");
  CHECK(Code(Header(kT), R"({"id":"evt_2"})") == "signature_mismatch");
  CHECK(Code(Header(kT, "whsec_other")) == "signature_mismatch");
  CHECK(Code(Header(kT, kSecret, ""), "") == "empty_body");
  // The secret is the whole string: without its prefix it is another key.
  CHECK(Code(Header(kT, "test_secret")) == "signature_mismatch");
}

TEST_CASE("other schemes are ignored and items are never trimmed", "[billing][webhook]") {
  const std::string sig = billing::StripeSignatureV1(kSecret, kT, kBody);
  CHECK(Code("t=" + std::to_string(kT) + ",v0=" + sig) == "no_v1_signature");
  CHECK(Code("t=" + std::to_string(kT) + ", v1=" + sig) == "no_v1_signature");
  CHECK(Code("t=" + std::to_string(kT) + ",v0=abc,v1=" + sig + ",v2=x") == "ok");
  CHECK(Code("t=" + std::to_string(kT) + ",v1=" + std::string(64, '0') + ",v1=" + sig) == "ok");
  CHECK(Code("t=" + std::to_string(kT) + ",v1=" + sig.substr(0, 63)) == "signature_mismatch");
}

TEST_CASE("any of several secrets verifies, for rotation", "[billing][webhook]") {
  CHECK(Code(Header(kT, "whsec_new"), kBody, {"whsec_old", "whsec_new"}) == "ok");
  CHECK(Code(Header(kT, "whsec_old"), kBody, {"whsec_old", "whsec_new"}) == "ok");
  CHECK(Code(Header(kT, "whsec_gone"), kBody, {"whsec_old", "whsec_new"}) == "signature_mismatch");
}

TEST_CASE("a rejection never quotes a secret or a signature", "[billing][webhook]") {
  const auto rejection = VerifyStripeSignature(Header(kT, "whsec_other"), kBody, {kSecret}, 300, kNow);
  REQUIRE(rejection);
  CHECK(rejection->message.find("whsec") == std::string::npos);
  CHECK(rejection->message.find(billing::StripeSignatureV1("whsec_other", kT, kBody)) == std::string::npos);
}

TEST_CASE("a subscription's plan comes from its price and its period from its items", "[billing][webhook]") {
  const std::map<billing::PlanTier, std::string> prices = {{billing::PlanTier::kStarter, "price_starter"},
                                                           {billing::PlanTier::kProfessional, "price_pro"}};
  const auto subscription = nlohmann::json::parse(R"({
    "id": "sub_1", "object": "subscription", "customer": "cus_1", "status": "past_due",
    "cancel_at_period_end": true, "trial_end": null, "metadata": {"business_id": "6F9619FF-8B86-D011-B42D-00C04FC964FF"},
    "items": {"object": "list", "data": [
      {"id": "si_m", "price": {"id": "price_metered"}, "current_period_start": 1700000000, "current_period_end": 1700000500},
      {"id": "si_p", "price": {"id": "price_pro"}, "current_period_start": 1796000000, "current_period_end": 1798592000}
    ]}})");
  const auto snapshot = billing::ParseSubscription(subscription, prices);
  CHECK(snapshot.subscription_id == "sub_1");
  CHECK(snapshot.customer_id == "cus_1");
  CHECK(snapshot.business_id == "6f9619ff-8b86-d011-b42d-00c04fc964ff");
  CHECK(snapshot.plan == billing::PlanTier::kProfessional);
  CHECK(snapshot.unknown_price_id.empty());
  CHECK(snapshot.status == "PAST_DUE");
  CHECK(snapshot.cancel_at_period_end);
  CHECK_FALSE(snapshot.trial_end);
  CHECK(snapshot.period_start == TimePoint{std::chrono::seconds{1796000000}});
  CHECK(snapshot.period_end == TimePoint{std::chrono::seconds{1798592000}});

  // Older API versions keep the period on the subscription itself.
  const auto old = nlohmann::json::parse(R"({
    "id": "sub_2", "customer": {"id": "cus_2"}, "status": "active", "current_period_start": 10,
    "current_period_end": 20, "trial_end": 15, "items": {"data": [{"price": {"id": "price_unknown"}}]}})");
  const auto old_snapshot = billing::ParseSubscription(old, prices);
  CHECK(old_snapshot.customer_id == "cus_2");
  CHECK_FALSE(old_snapshot.plan);
  CHECK(old_snapshot.unknown_price_id == "price_unknown");
  CHECK(old_snapshot.period_start == TimePoint{std::chrono::seconds{10}});
  CHECK(old_snapshot.trial_end == TimePoint{std::chrono::seconds{15}});

  CHECK_THROWS_AS(billing::ParseSubscription(nlohmann::json::parse(R"({"id": "sub_3", "customer": "cus"})"), prices),
                  InvalidInput);
  CHECK_THROWS_AS(billing::ParseSubscription(
                      nlohmann::json::parse(R"({"id": "sub_3", "customer": "cus", "status": "weird"})"), prices),
                  InvalidInput);
}

}  // namespace omni
