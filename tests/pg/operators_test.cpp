// The operators core on a real database: users and the plan's operator
// limit, the last owner, set-password tokens, API keys (hash only, prefix,
// revocation, another business's ids), login throttling per account and
// per address, sessions that expire and end at logout, and the role table.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/billing/plans.hpp"
#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/common/error.hpp"
#include "core/db/pqxx.hpp"
#include "core/operators/keys.hpp"
#include "core/operators/roles.hpp"
#include "core/operators/secrets.hpp"
#include "core/operators/sessions.hpp"
#include "core/operators/users.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

using namespace std::chrono_literals;
using operators::Role;
using test::TestDatabase;

const TimePoint kNow = std::chrono::sys_days{std::chrono::year{2026} / 5 / 4} + 9h;

std::string NewBusiness(db::Pool& pool, const std::string& slug, const std::string& plan = "STARTER") {
  auto spec = business::ParseBusinessSpec("slug: " + slug + "\nname: N\ntimezone: UTC\nplan: " + plan + "\n", "t.yaml");
  return business::Apply(pool, spec).business_id;
}

// The plans' default limits, without a trial: a business has its own plan.
const billing::BillingSettings& Plans() {
  static const billing::BillingSettings plans = [] {
    billing::BillingSettings settings;
    settings.trial_days = 0;
    return settings;
  }();
  return plans;
}

operators::AddedUser Add(db::Pool& pool, const std::string& business_id, const std::string& email, Role role,
                         std::optional<std::string> password = "correct horse battery") {
  return operators::AddUser(pool, business_id, {.email = email, .name = "", .role = role, .password = password},
                            Plans(), kNow);
}

config::ConsoleSettings Settings() {
  config::ConsoleSettings settings;
  settings.session_ttl_s = 3600;
  settings.login_max_failures = 3;
  settings.login_max_failures_per_ip = 10;
  settings.login_window_s = 600;
  return settings;
}

operators::LoginResult LoginAs(db::Pool& pool, const std::string& slug, const std::string& email,
                               const std::string& password, TimePoint now, const std::string& ip = "10.0.0.1") {
  return operators::Login(pool, {slug, email, password, ip}, Settings(), now);
}

std::string Scalar(db::Pool& pool, const std::string& sql) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) { return tx.exec(sql)[0][0].as<std::string>(); });
}

}  // namespace

TEST_CASE("the role table: owner everything, admin all but billing and team, agent the front desk", "[operators]") {
  using operators::Allows;
  using operators::Permission;
  CHECK(operators::PermissionsOf(Role::kOwner).size() == 11);
  CHECK(Allows(Role::kAdmin, Permission::kKnowledgeWrite));
  CHECK(Allows(Role::kAdmin, Permission::kAnalyticsRead));
  CHECK_FALSE(Allows(Role::kAdmin, Permission::kBilling));
  CHECK_FALSE(Allows(Role::kAdmin, Permission::kTeam));
  for (auto p : {Permission::kConversationsRead, Permission::kConversationsWrite, Permission::kCustomersRead,
                 Permission::kCustomersWrite, Permission::kAppointmentsRead, Permission::kAppointmentsWrite,
                 Permission::kKnowledgeRead}) {
    CHECK(Allows(Role::kAgent, p));
  }
  for (auto p : {Permission::kKnowledgeWrite, Permission::kAnalyticsRead, Permission::kBilling, Permission::kTeam}) {
    CHECK_FALSE(Allows(Role::kAgent, p));
  }
  CHECK(operators::ParseRole("admin") == Role::kAdmin);
  CHECK_THROWS_AS(operators::ParseRole("root"), InvalidInput);
}

TEST_CASE("passwords are Argon2id hashes through libsodium and verify only the right password", "[operators]") {
  const std::string hash = operators::HashPassword("correct horse battery");
  CHECK(hash.rfind("$argon2id$", 0) == 0);
  CHECK(hash.find("correct") == std::string::npos);
  CHECK(operators::VerifyPassword("correct horse battery", hash));
  CHECK_FALSE(operators::VerifyPassword("correct horse batterY", hash));
  CHECK_FALSE(operators::VerifyPassword("x", ""));
  CHECK(operators::HashPassword("correct horse battery") != hash);  // salted
  CHECK_THROWS_AS(operators::CheckPasswordRules("short"), InvalidInput);
  CHECK_THROWS_AS(operators::CheckPasswordRules("            "), InvalidInput);
  CHECK(operators::ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(operators::ConstantTimeEquals("abc", "abd"));
  CHECK_FALSE(operators::ConstantTimeEquals("abc", "abcd"));
  CHECK(operators::CsrfTokenFor("oms_a") == operators::CsrfTokenFor("oms_a"));
  CHECK(operators::CsrfTokenFor("oms_a") != operators::CsrfTokenFor("oms_b"));
}

TEST_CASE("adding users stops at the plan's operator limit, and removing one frees a seat", "[operators]") {
  TestDatabase db;
  const auto free_biz = NewBusiness(db.pool(), "free-one", "FREE");  // 1 operator
  Add(db.pool(), free_biz, "owner@example.com", Role::kOwner);
  CHECK_THROWS_AS(Add(db.pool(), free_biz, "agent@example.com", Role::kAgent), LimitReached);
  const auto starter = NewBusiness(db.pool(), "starter-one");  // 3 operators
  Add(db.pool(), starter, "a@example.com", Role::kOwner);
  Add(db.pool(), starter, "b@example.com", Role::kAdmin);
  Add(db.pool(), starter, "c@example.com", Role::kAgent);
  try {
    Add(db.pool(), starter, "d@example.com", Role::kAgent);
    FAIL("a fourth operator was added on STARTER");
  } catch (const LimitReached& e) {
    CHECK(std::string(e.what()) == "plan STARTER allows 3 operators, and this would make 4");
  }
  operators::RemoveUser(db.pool(), starter, "c@example.com");
  CHECK(Add(db.pool(), starter, "d@example.com", Role::kAgent).user.email == "d@example.com");
  // The other business's count is its own.
  CHECK(operators::ListUsers(db.pool(), free_biz).size() == 1);
}

TEST_CASE("concurrent adds never exceed the operator limit", "[operators]") {
  TestDatabase db;
  const auto biz = NewBusiness(db.pool(), "race");
  std::vector<std::thread> threads;
  std::atomic<int> added{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      try {
        Add(db.pool(), biz, "u" + std::to_string(i) + "@example.com", Role::kAgent, std::nullopt);
        ++added;
      } catch (const LimitReached&) {
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(added == 3);
  CHECK(operators::ListUsers(db.pool(), biz).size() == 3);
}

TEST_CASE("a user's email is unique per business, case-insensitive, and checked", "[operators]") {
  TestDatabase db;
  const auto biz = NewBusiness(db.pool(), "acme");
  const auto other = NewBusiness(db.pool(), "other");
  Add(db.pool(), biz, "Ann@Example.com", Role::kOwner);
  CHECK_THROWS_AS(Add(db.pool(), biz, "ann@example.COM", Role::kAgent), Conflict);
  CHECK(Add(db.pool(), other, "ann@example.com", Role::kOwner).user.business_id == other);
  CHECK_THROWS_AS(Add(db.pool(), biz, "not-an-email", Role::kAgent), InvalidInput);
  CHECK_THROWS_AS(Add(db.pool(), biz, "bo@example.com", Role::kAgent, "short"), InvalidInput);
}

TEST_CASE("the last owner can be neither removed nor demoted", "[operators]") {
  TestDatabase db;
  const auto biz = NewBusiness(db.pool(), "acme");
  const auto owner = Add(db.pool(), biz, "owner@example.com", Role::kOwner).user;
  Add(db.pool(), biz, "admin@example.com", Role::kAdmin);
  CHECK_THROWS_AS(operators::RemoveUser(db.pool(), biz, owner.id), Conflict);
  CHECK_THROWS_AS(operators::SetRole(db.pool(), biz, "owner@example.com", Role::kAgent), Conflict);
  CHECK(operators::SetRole(db.pool(), biz, "admin@example.com", Role::kOwner).role == Role::kOwner);
  CHECK(operators::SetRole(db.pool(), biz, "owner@example.com", Role::kAgent).role == Role::kAgent);
  const auto users = operators::ListUsers(db.pool(), biz);
  REQUIRE(users.size() == 2);
  CHECK(users[0].email == "admin@example.com");  // owners first
}

TEST_CASE("another business's user ids and emails are not found", "[operators]") {
  TestDatabase db;
  const auto biz = NewBusiness(db.pool(), "acme");
  const auto other = NewBusiness(db.pool(), "other");
  const auto theirs = Add(db.pool(), other, "them@example.com", Role::kOwner).user;
  Add(db.pool(), other, "them2@example.com", Role::kOwner);
  Add(db.pool(), biz, "me@example.com", Role::kOwner);
  for (const std::string& key : {theirs.id, std::string("them@example.com")}) {
    CHECK_THROWS_AS(operators::GetUser(db.pool(), biz, key), NotFound);
    CHECK_THROWS_AS(operators::RemoveUser(db.pool(), biz, key), NotFound);
    CHECK_THROWS_AS(operators::SetRole(db.pool(), biz, key, Role::kAgent), NotFound);
    CHECK_THROWS_AS(operators::SetPassword(db.pool(), biz, key, "another long password"), NotFound);
    CHECK_THROWS_AS(operators::IssueSetPasswordToken(db.pool(), biz, key, kNow), NotFound);
  }
  CHECK(operators::GetUser(db.pool(), other, theirs.id).role == Role::kOwner);
}

TEST_CASE("a set-password token works once, within 24 hours, and is stored hashed", "[operators]") {
  TestDatabase db;
  const auto biz = NewBusiness(db.pool(), "acme");
  const auto added = Add(db.pool(), biz, "new@example.com", Role::kAgent, std::nullopt);
  REQUIRE(added.set_password);
  CHECK_FALSE(added.user.has_password);
  const std::string token = added.set_password->token;
  CHECK(token.rfind("omp_", 0) == 0);
  CHECK(added.set_password->expires_at == kNow + 24h);
  CHECK(Scalar(db.pool(), "SELECT count(*) FROM password_tokens WHERE token_hash = '" + operators::SecretHash(token) +
                              "'") == "1");
  CHECK(Scalar(db.pool(), "SELECT count(*) FROM password_tokens WHERE token_hash LIKE 'omp_%'") == "0");
  // A user without a password cannot sign in yet.
  CHECK(LoginAs(db.pool(), "acme", "new@example.com", "", kNow).outcome == operators::LoginResult::Outcome::kRejected);
  CHECK_THROWS_AS(operators::SetPasswordWithToken(db.pool(), token, "short", kNow), InvalidInput);
  // Expired after 24 hours.
  CHECK_THROWS_AS(operators::SetPasswordWithToken(db.pool(), token, "a long new password", kNow + 24h + 1s),
                  InvalidInput);
  CHECK(operators::SetPasswordWithToken(db.pool(), token, "a long new password", kNow + 23h).has_password);
  CHECK_THROWS_AS(operators::SetPasswordWithToken(db.pool(), token, "another long password", kNow + 23h),
                  InvalidInput);
  CHECK(LoginAs(db.pool(), "acme", "new@example.com", "a long new password", kNow + 23h).outcome ==
        operators::LoginResult::Outcome::kSignedIn);
  CHECK_THROWS_AS(operators::SetPasswordWithToken(db.pool(), "omp_forged", "a long new password", kNow),
                  InvalidInput);
}

TEST_CASE("a new set-password token voids the earlier one, and setting a password ends sessions", "[operators]") {
  TestDatabase db;
  const auto biz = NewBusiness(db.pool(), "acme");
  Add(db.pool(), biz, "ann@example.com", Role::kOwner);
  const auto login = LoginAs(db.pool(), "acme", "ann@example.com", "correct horse battery", kNow);
  REQUIRE(login.session);
  const auto first = operators::IssueSetPasswordToken(db.pool(), biz, "ann@example.com", kNow);
  const auto second = operators::IssueSetPasswordToken(db.pool(), biz, "ann@example.com", kNow);
  CHECK_THROWS_AS(operators::SetPasswordWithToken(db.pool(), first.token, "a long new password", kNow), InvalidInput);
  CHECK(operators::AuthenticateSession(db.pool(), login.session->token, kNow));
  operators::SetPasswordWithToken(db.pool(), second.token, "a long new password", kNow);
  CHECK_FALSE(operators::AuthenticateSession(db.pool(), login.session->token, kNow));
  CHECK(operators::SetPasswordLink("https://desk.example.com/", second.token) ==
        "https://desk.example.com/console/set-password#token=" + second.token);
}

TEST_CASE("login signs in with the right password and never says which part was wrong", "[operators]") {
  TestDatabase db;
  const auto biz = NewBusiness(db.pool(), "acme");
  NewBusiness(db.pool(), "other");
  Add(db.pool(), biz, "ann@example.com", Role::kAdmin);
  const auto ok = LoginAs(db.pool(), " ACME ", "Ann@Example.com", "correct horse battery", kNow);
  REQUIRE(ok.outcome == operators::LoginResult::Outcome::kSignedIn);
  REQUIRE(ok.session);
  CHECK(ok.session->token.rfind("oms_", 0) == 0);
  CHECK(ok.session->csrf_token == operators::CsrfTokenFor(ok.session->token));
  CHECK(ok.principal->role == Role::kAdmin);
  CHECK(ok.principal->business_id == biz);
  // Stored only as a hash.
  CHECK(Scalar(db.pool(), "SELECT count(*) FROM operator_sessions WHERE token_hash = '" +
                              operators::SecretHash(ok.session->token) + "'") == "1");
  CHECK(operators::GetUser(db.pool(), biz, "ann@example.com").last_login_at == kNow);
  using Outcome = operators::LoginResult::Outcome;
  CHECK(LoginAs(db.pool(), "acme", "ann@example.com", "wrong password!", kNow).outcome == Outcome::kRejected);
  CHECK(LoginAs(db.pool(), "acme", "nobody@example.com", "correct horse battery", kNow).outcome == Outcome::kRejected);
  CHECK(LoginAs(db.pool(), "other", "ann@example.com", "correct horse battery", kNow).outcome == Outcome::kRejected);
  CHECK(LoginAs(db.pool(), "nope", "ann@example.com", "correct horse battery", kNow).outcome == Outcome::kRejected);
}

TEST_CASE("an unknown account costs a password verification like a known one", "[operators]") {
  TestDatabase db;
  const auto biz = NewBusiness(db.pool(), "acme");
  Add(db.pool(), biz, "ann@example.com", Role::kAdmin);
  operators::VerifyAgainstDummy("warm up the dummy hash");
  const auto time = [&](const std::string& email, int i) {
    const auto start = std::chrono::steady_clock::now();
    LoginAs(db.pool(), "acme", email, "wrong password!", kNow, "10.0.1." + std::to_string(i));
    return std::chrono::steady_clock::now() - start;
  };
  std::chrono::nanoseconds known{0}, unknown{0};
  for (int i = 0; i < 2; ++i) {
    known += time("ann@example.com", i);
    unknown += time("nobody" + std::to_string(i) + "@example.com", i + 10);
  }
  // Both run Argon2id (tens of milliseconds); a skipped hash would be ~1 ms.
  CHECK(unknown > known / 2);
  CHECK(unknown < known * 2);
}

TEST_CASE("failed logins are throttled per account, existing or not, until the window passes", "[operators]") {
  TestDatabase db;
  const auto biz = NewBusiness(db.pool(), "acme");
  Add(db.pool(), biz, "ann@example.com", Role::kAdmin);
  using Outcome = operators::LoginResult::Outcome;
  for (const char* email : {"ann@example.com", "ghost@example.com"}) {
    INFO(email);
    for (int i = 0; i < 3; ++i) {
      CHECK(LoginAs(db.pool(), "acme", email, "wrong password!", kNow + std::chrono::seconds(i), "10.0.0." +
                    std::to_string(i)).outcome == Outcome::kRejected);
    }
    // Even the right password is refused while throttled, from any address.
    const auto throttled = LoginAs(db.pool(), "acme", email, "correct horse battery", kNow + 10s, "10.9.9.9");
    CHECK(throttled.outcome == Outcome::kThrottled);
    CHECK(throttled.retry_after_s == 590);  // the first failure leaves the 600 s window at kNow + 600 s
  }
  CHECK(LoginAs(db.pool(), "acme", "ann@example.com", "correct horse battery", kNow + 601s).outcome ==
        Outcome::kSignedIn);
  // A success starts the account's count afresh.
  for (int i = 0; i < 2; ++i) LoginAs(db.pool(), "acme", "ann@example.com", "wrong password!", kNow + 602s);
  CHECK(LoginAs(db.pool(), "acme", "ann@example.com", "correct horse battery", kNow + 603s).outcome ==
        Outcome::kSignedIn);
}

TEST_CASE("failed logins are throttled per client address across accounts", "[operators]") {
  TestDatabase db;
  const auto biz = NewBusiness(db.pool(), "acme");
  Add(db.pool(), biz, "ann@example.com", Role::kAdmin);
  using Outcome = operators::LoginResult::Outcome;
  for (int i = 0; i < 10; ++i) {
    LoginAs(db.pool(), "acme", "guess" + std::to_string(i) + "@example.com", "wrong password!", kNow, "10.6.6.6");
  }
  CHECK(LoginAs(db.pool(), "acme", "ann@example.com", "correct horse battery", kNow + 1s, "10.6.6.6").outcome ==
        Outcome::kThrottled);
  CHECK(LoginAs(db.pool(), "acme", "ann@example.com", "correct horse battery", kNow + 1s, "10.7.7.7").outcome ==
        Outcome::kSignedIn);
}

TEST_CASE("parallel guesses cannot slip past the account limit", "[operators]") {
  TestDatabase db;
  const auto biz = NewBusiness(db.pool(), "acme");
  Add(db.pool(), biz, "ann@example.com", Role::kAdmin);
  std::atomic<int> rejected{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      const auto r = LoginAs(db.pool(), "acme", "ann@example.com", "wrong password!", kNow, "10.1.1." + std::to_string(i));
      if (r.outcome == operators::LoginResult::Outcome::kRejected) ++rejected;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(rejected == 3);  // the password was checked only 3 times; the others were throttled
}

TEST_CASE("sessions expire, end at logout and follow the user's role", "[operators]") {
  TestDatabase db;
  const auto biz = NewBusiness(db.pool(), "acme");
  Add(db.pool(), biz, "owner@example.com", Role::kOwner);
  Add(db.pool(), biz, "ann@example.com", Role::kAdmin);
  const auto login = LoginAs(db.pool(), "acme", "ann@example.com", "correct horse battery", kNow);
  REQUIRE(login.session);
  const std::string token = login.session->token;
  CHECK(login.session->expires_at == kNow + 1h);
  CHECK(operators::AuthenticateSession(db.pool(), token, kNow + 59min)->role == Role::kAdmin);
  CHECK_FALSE(operators::AuthenticateSession(db.pool(), token, kNow + 1h));
  CHECK_FALSE(operators::AuthenticateSession(db.pool(), "oms_forged", kNow));
  CHECK_FALSE(operators::AuthenticateSession(db.pool(), "", kNow));

  const auto second = LoginAs(db.pool(), "acme", "ann@example.com", "correct horse battery", kNow);
  operators::SetRole(db.pool(), biz, "ann@example.com", Role::kAgent);
  CHECK(operators::AuthenticateSession(db.pool(), second.session->token, kNow)->role == Role::kAgent);
  CHECK(operators::Logout(db.pool(), second.session->token, kNow));
  CHECK_FALSE(operators::AuthenticateSession(db.pool(), second.session->token, kNow));
  CHECK_FALSE(operators::Logout(db.pool(), second.session->token, kNow));

  const auto third = LoginAs(db.pool(), "acme", "ann@example.com", "correct horse battery", kNow);
  operators::RemoveUser(db.pool(), biz, "ann@example.com");
  CHECK_FALSE(operators::AuthenticateSession(db.pool(), third.session->token, kNow));
}

TEST_CASE("an API key is shown once, stored as a hash, found by its prefix and revocable", "[operators]") {
  TestDatabase db;
  const auto biz = NewBusiness(db.pool(), "acme");
  const auto other = NewBusiness(db.pool(), "other");
  const auto created = operators::CreateKey(db.pool(), biz, "zapier", Role::kAdmin, kNow);
  CHECK(created.secret.rfind("omk_", 0) == 0);
  CHECK(created.key.prefix.size() == 16);
  CHECK(created.secret.rfind(created.key.prefix + "_", 0) == 0);
  CHECK(Scalar(db.pool(), "SELECT key_hash FROM api_keys WHERE id = '" + created.key.id + "'") ==
        operators::SecretHash(created.secret));
  CHECK(Scalar(db.pool(), "SELECT count(*) FROM api_keys WHERE key_hash LIKE '%" + created.secret + "%'") == "0");

  const auto principal = operators::AuthenticateKey(db.pool(), created.secret, kNow + 5min);
  REQUIRE(principal);
  CHECK(principal->business_id == biz);
  CHECK(principal->role == Role::kAdmin);
  CHECK(principal->display_name == "key:zapier");
  auto listed = operators::ListKeys(db.pool(), biz);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].last_used_at == kNow + 5min);
  CHECK(listed[0].name == "zapier");

  std::string tampered = created.secret;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(operators::AuthenticateKey(db.pool(), tampered, kNow));
  CHECK_FALSE(operators::AuthenticateKey(db.pool(), created.key.prefix, kNow));
  CHECK_FALSE(operators::AuthenticateKey(db.pool(), "Bearer " + created.secret, kNow));

  CHECK_THROWS_AS(operators::CreateKey(db.pool(), biz, "ZAPIER", Role::kAgent, kNow), Conflict);
  CHECK(operators::CreateKey(db.pool(), other, "zapier", Role::kAgent, kNow).key.business_id == other);
  CHECK_THROWS_AS(operators::CreateKey(db.pool(), biz, "", Role::kAgent, kNow), InvalidInput);
  // Another business cannot revoke it by id, prefix or name.
  for (const auto& key : {created.key.id, created.key.prefix}) {
    CHECK_THROWS_AS(operators::RevokeKey(db.pool(), other, key, kNow), NotFound);
  }
  CHECK(operators::RevokeKey(db.pool(), biz, created.key.prefix, kNow + 6min).revoked_at == kNow + 6min);
  CHECK_FALSE(operators::AuthenticateKey(db.pool(), created.secret, kNow + 7min));
  CHECK(operators::ListKeys(db.pool(), biz).empty());
  CHECK(operators::ListKeys(db.pool(), biz, true).size() == 1);
  CHECK_THROWS_AS(operators::RevokeKey(db.pool(), biz, created.key.id, kNow), NotFound);
  // The name is free again once revoked.
  CHECK(operators::CreateKey(db.pool(), biz, "zapier", Role::kAgent, kNow).key.role == Role::kAgent);
}

}  // namespace omni
