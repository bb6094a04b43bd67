// Assigning a conversation to a team member on a real database: only a
// user of the conversation's business, never another business's or one
// removed; removing a user unassigns their conversations; a user's reply
// assigns them and a CLI or key reply a name; the list filters mine,
// unassigned and a user; and migration 31 maps the names assigned before it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "core/billing/plans.hpp"
#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/chat/conversations.hpp"
#include "core/common/clock.hpp"
#include "core/common/error.hpp"
#include "core/db/migrations.hpp"
#include "core/db/pqxx.hpp"
#include "core/operators/roles.hpp"
#include "core/operators/users.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

using operators::Role;
using test::TestDatabase;

std::string NewBusiness(db::Pool& pool, const std::string& slug) {
  return business::Apply(pool, business::ParseBusinessSpec("slug: " + slug + "\nname: N\ntimezone: UTC\nplan: ENTERPRISE\n",
                                                           "t.yaml"))
      .business_id;
}

std::string AddUser(db::Pool& pool, const std::string& business_id, const std::string& email, const std::string& name,
                    Role role = Role::kAgent) {
  return operators::AddUser(pool, business_id, {.email = email, .name = name, .role = role, .password = "correct horse battery"},
                            billing::BillingSettings{}, DefaultClock().Now())
      .user.id;
}

std::vector<std::string> Ids(const std::vector<chat::Conversation>& list) {
  std::vector<std::string> ids;
  for (const auto& c : list) ids.push_back(c.id);
  return ids;
}

struct Team {
  TestDatabase db;
  std::string salon = NewBusiness(db.pool(), "salon");
  std::string rival = NewBusiness(db.pool(), "rival");
  std::string owner = AddUser(db.pool(), salon, "owner@salon.example", "Bella", Role::kOwner);
  std::string ana = AddUser(db.pool(), salon, "ana@salon.example", "Ana");
  std::string noname = AddUser(db.pool(), salon, "kim@salon.example", "");
  std::string rita = AddUser(db.pool(), rival, "rita@rival.example", "Rita", Role::kOwner);
  std::string Open(const std::string& business_id) { return chat::Open(db.pool(), business_id, {}).id; }
};

TEST_CASE("a conversation is assigned to a user of its business only, and removing the user unassigns it",
          "[chat][assign]") {
  Team team;
  auto& pool = team.db.pool();
  const std::string first = team.Open(team.salon);
  const std::string second = team.Open(team.salon);
  const std::string theirs = team.Open(team.rival);

  const auto assigned = chat::Assign(pool, team.salon, first, team.ana);
  CHECK(assigned.assigned_user_id == team.ana);
  CHECK(assigned.assigned_to == "Ana");
  // A user without a name is shown by e-mail.
  CHECK(chat::Assign(pool, team.salon, second, team.noname).assigned_to == "kim@salon.example");

  // Another business's user, or its conversation, is not found, and nothing changes.
  CHECK_THROWS_AS(chat::Assign(pool, team.salon, first, team.rita), NotFound);
  CHECK_THROWS_AS(chat::Assign(pool, team.rival, first, team.rita), NotFound);
  CHECK_THROWS_AS(chat::Assign(pool, team.rival, theirs, team.ana), NotFound);
  CHECK_THROWS_AS(chat::Assign(pool, team.salon, first, "Ana"), InvalidInput);
  CHECK(chat::Get(pool, team.salon, first).assigned_user_id == team.ana);
  CHECK(chat::Get(pool, team.rival, theirs).assigned_user_id.empty());

  // Removing Ana unassigns her conversation; her id is then refused by name.
  operators::RemoveUser(pool, team.salon, team.ana);
  const auto after = chat::Get(pool, team.salon, first);
  CHECK(after.assigned_user_id.empty());
  CHECK(after.assigned_to.empty());
  try {
    chat::Assign(pool, team.salon, first, team.ana);
    FAIL("a removed user was assigned");
  } catch (const NotFound& e) {
    CHECK(std::string(e.what()) == "no team member \"" + team.ana + "\" in this business");
    CHECK(e.hint().find("removed") != std::string::npos);
  }
  CHECK(chat::Get(pool, team.salon, second).assigned_user_id == team.noname);
  CHECK(chat::Assign(pool, team.salon, second, "").assigned_to.empty());
}

TEST_CASE("the conversation list filters by the user assigned, or nobody, within the business", "[chat][assign]") {
  Team team;
  auto& pool = team.db.pool();
  const std::string anas = team.Open(team.salon);
  const std::string owners = team.Open(team.salon);
  const std::string nobodys = team.Open(team.salon);
  const std::string legacy = team.Open(team.salon);
  const std::string rivals = team.Open(team.rival);
  chat::Assign(pool, team.salon, anas, team.ana);
  chat::Assign(pool, team.salon, owners, team.owner);
  chat::HumanReply(pool, team.salon, legacy, "Hello from the CLI", "maria", DefaultClock().Now());
  chat::Assign(pool, team.rival, rivals, team.rita);

  chat::ListFilter mine;
  mine.assigned_user_id = team.ana;
  CHECK(Ids(chat::List(pool, team.salon, mine)) == std::vector<std::string>{anas});
  chat::ListFilter unassigned;
  unassigned.unassigned = true;
  CHECK(Ids(chat::List(pool, team.salon, unassigned)) == std::vector<std::string>{nobodys});
  CHECK(chat::List(pool, team.salon).size() == 4);
  chat::ListFilter other;
  other.assigned_user_id = team.rita;
  CHECK(chat::List(pool, team.salon, other).empty());
}

TEST_CASE("a user's reply assigns them, a CLI or key reply a name, and neither takes an assigned conversation",
          "[chat][assign]") {
  Team team;
  auto& pool = team.db.pool();
  const auto now = DefaultClock().Now();
  const std::string by_user = team.Open(team.salon);
  const std::string by_key = team.Open(team.salon);
  const std::string taken = team.Open(team.salon);
  chat::HumanReply(pool, team.salon, by_user, "Ana here", "Ana", now, team.ana);
  CHECK(chat::Get(pool, team.salon, by_user).assigned_user_id == team.ana);
  chat::HumanReply(pool, team.salon, by_key, "The desk here", "key:desk", now);
  const auto keyed = chat::Get(pool, team.salon, by_key);
  CHECK(keyed.assigned_to == "key:desk");
  CHECK(keyed.assigned_user_id.empty());
  // A reply to a conversation someone owns leaves it with them.
  chat::HumanReply(pool, team.salon, by_key, "Ana here too", "Ana", now, team.ana);
  CHECK(chat::Get(pool, team.salon, by_key).assigned_to == "key:desk");
  chat::Assign(pool, team.salon, taken, team.owner);
  chat::HumanReply(pool, team.salon, taken, "From the CLI", "maria", now);
  CHECK(chat::Get(pool, team.salon, taken).assigned_user_id == team.owner);
  // Assigning a legacy name's conversation to a user replaces the name.
  const auto reassigned = chat::Assign(pool, team.salon, by_key, team.ana);
  CHECK(reassigned.assigned_to == "Ana");
  CHECK(reassigned.assigned_user_id == team.ana);
}

TEST_CASE("migration 31 maps a name or e-mail that is exactly one user of the business and keeps any other as text",
          "[chat][assign][db]") {
  TestDatabase db(test::TestDatabaseOptions{.migrated = false});
  auto before = db::AllMigrations();
  before.erase(std::remove_if(before.begin(), before.end(), [](const auto& m) { return m.version >= 31; }),
               before.end());
  REQUIRE(before.back().version == 30);
  db::Migrate(db.pool(), before);
  const std::string salon = NewBusiness(db.pool(), "salon");
  const std::string rival = NewBusiness(db.pool(), "rival");
  const std::string ana = AddUser(db.pool(), salon, "ana@salon.example", "Ana", Role::kOwner);
  const std::string bob = AddUser(db.pool(), salon, "bob@salon.example", "");
  AddUser(db.pool(), salon, "sam1@salon.example", "Sam");
  AddUser(db.pool(), salon, "sam2@salon.example", "Sam");
  AddUser(db.pool(), rival, "rita@rival.example", "Rita", Role::kOwner);
  const auto insert = [&](const std::string& business_id, const std::string& assigned_to) {
    return db::WithConnection(db.pool(), [&](pqxx::nontransaction& tx) {
      return tx.exec_params1("INSERT INTO conversations (business_id, assigned_to) VALUES ($1, $2) RETURNING id::text",
                             business_id, assigned_to)[0]
          .as<std::string>();
    });
  };
  const std::string by_name = insert(salon, "Ana");
  const std::string by_email = insert(salon, "BOB@salon.example");
  const std::string shared_name = insert(salon, "Sam");
  const std::string key = insert(salon, "key:desk");
  const std::string other_business = insert(salon, "Rita");
  db::Migrate(db.pool());

  const auto get = [&](const std::string& id) { return chat::Get(db.pool(), salon, id); };
  CHECK(get(by_name).assigned_user_id == ana);
  CHECK(get(by_name).assigned_to == "Ana");
  CHECK(get(by_email).assigned_user_id == bob);
  CHECK(get(by_email).assigned_to == "bob@salon.example");
  for (const auto& [id, text] : {std::pair{shared_name, "Sam"}, std::pair{key, "key:desk"}, std::pair{other_business, "Rita"}}) {
    INFO(text);
    CHECK(get(id).assigned_user_id.empty());
    CHECK(get(id).assigned_to == text);
  }
}

}  // namespace
}  // namespace omni
