// `omni conversations assign --to EMAIL|me|none` and `list --assigned`: a
// conversation goes to a team member of the business chosen with -b, named
// by e-mail or as $OMNI_USER; another business's user, or one removed, is
// not found (exit 5) and nothing changes.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/billing/plans.hpp"
#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/chat/conversations.hpp"
#include "core/common/clock.hpp"
#include "core/operators/users.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using nlohmann::json;

namespace {

struct AssignCli {
  AssignCli() {
    for (const char* slug : {"salon", "rival"}) {
      business_ids[slug] = omni::business::Apply(db.pool(), omni::business::ParseBusinessSpec(
                                                                std::string("slug: ") + slug + "\nname: N\ntimezone: UTC\n",
                                                                "t.yaml"))
                               .business_id;
    }
    const omni::billing::BillingSettings plans;
    const auto now = omni::DefaultClock().Now();
    for (const auto& [slug, email, name] : {std::tuple{"salon", "owner@salon.example", "Olga"},
                                            std::tuple{"salon", "ana@salon.example", "Ana"},
                                            std::tuple{"rival", "rita@rival.example", "Rita"}}) {
      user_ids[email] = omni::operators::AddUser(db.pool(), business_ids[slug],
                                                 {.email = email, .name = name,
                                                  .role = std::string(email).rfind("ana", 0) == 0
                                                              ? omni::operators::Role::kAgent
                                                              : omni::operators::Role::kOwner},
                                                 plans, now)
                            .user.id;
    }
    for (int i = 0; i < 2; ++i) conversations.push_back(omni::chat::Open(db.pool(), business_ids["salon"], {}).id);
    std::ofstream(dir.path() / "omni.yaml") << "database:\n  url: \"" << db.url() << "\"\n";
  }
  omni::test::RunResult Omni(std::vector<std::string> args, const std::string& omni_user = "") {
    omni::test::ProcessOptions options;
    options.args = {"--config", (dir.path() / "omni.yaml").string(), "-b", "salon", "-o", "json"};
    options.args.insert(options.args.end(), args.begin(), args.end());
    options.unset_env = {"OMNI_CONFIG", "OMNI_USER", "NO_COLOR"};
    if (!omni_user.empty()) options.env = {{"OMNI_USER", omni_user}};
    return omni::test::Run(OMNI_CLI_PATH, options);
  }
  std::string Assigned(const std::string& id) {
    return omni::chat::Get(db.pool(), business_ids["salon"], id).assigned_user_id;
  }

  omni::test::TestDatabase db;
  omni::test::TempDir dir;
  std::map<std::string, std::string> business_ids, user_ids;
  std::vector<std::string> conversations;
};

}  // namespace

TEST_CASE("omni conversations assign --to takes a team member's e-mail, me or none, of the business only",
          "[cli][assign]") {
  AssignCli cli;
  const std::string& first = cli.conversations[0];
  const std::string& second = cli.conversations[1];

  const auto by_email = cli.Omni({"conversations", "assign", first, "--to", "ANA@salon.example"});
  INFO(by_email.err);
  REQUIRE(by_email.exit_code == 0);
  CHECK(json::parse(by_email.out)["assigned_to"] == "Ana");
  CHECK(json::parse(by_email.out)["assigned_user_id"] == cli.user_ids["ana@salon.example"]);
  CHECK(cli.Assigned(first) == cli.user_ids["ana@salon.example"]);

  const auto me = cli.Omni({"conversations", "assign", second, "--to", "me"}, "owner@salon.example");
  REQUIRE(me.exit_code == 0);
  CHECK(cli.Assigned(second) == cli.user_ids["owner@salon.example"]);
  const auto nobody = cli.Omni({"conversations", "assign", second, "--to", "me"});
  CHECK(nobody.exit_code == 2);
  CHECK(nobody.err.find("$OMNI_USER is not set") != std::string::npos);

  // The filter: mine, nobody's, a member's.
  const auto mine = cli.Omni({"conversations", "list", "--assigned", "me"}, "ana@salon.example");
  REQUIRE(mine.exit_code == 0);
  REQUIRE(json::parse(mine.out).size() == 1);
  CHECK(json::parse(mine.out)[0]["id"] == first);
  CHECK(json::parse(cli.Omni({"conversations", "list", "--assigned", "none"}).out).empty());

  // Another business's user, by e-mail or id: not found, nothing changes.
  for (const std::string& other : {std::string("rita@rival.example"), cli.user_ids["rita@rival.example"]}) {
    const auto refused = cli.Omni({"conversations", "assign", first, "--to", other});
    CHECK(refused.exit_code == 5);
    CHECK(refused.out.empty());
    CHECK(cli.Omni({"conversations", "list", "--assigned", other}).exit_code == 5);
  }
  CHECK(cli.Assigned(first) == cli.user_ids["ana@salon.example"]);

  // Removing Ana unassigns her conversation; none unassigns too.
  REQUIRE(cli.Omni({"users", "rm", "ana@salon.example"}).exit_code == 0);
  CHECK(cli.Assigned(first).empty());
  CHECK(cli.Omni({"conversations", "assign", first, "--to", "ana@salon.example"}).exit_code == 5);
  const auto none = cli.Omni({"conversations", "assign", second, "--to", "none"});
  REQUIRE(none.exit_code == 0);
  CHECK(json::parse(none.out)["assigned_to"].is_null());
  CHECK(cli.Assigned(second).empty());
  // The old positional name is refused rather than read as a name.
  CHECK(cli.Omni({"conversations", "assign", first, "kim"}).exit_code == 2);
}

TEST_CASE("omni conversations reply --as a team member's e-mail replies as them and takes an unassigned one; any other is a name",
          "[cli][assign]") {
  AssignCli cli;
  const std::string& unassigned = cli.conversations[0];
  const std::string& owners = cli.conversations[1];
  omni::chat::Assign(cli.db.pool(), cli.business_ids["salon"], owners, cli.user_ids["owner@salon.example"]);
  const auto from = [&](const std::string& id) {
    const json shown = json::parse(cli.Omni({"conversations", "show", id}).out);
    return shown["messages"].back()["from"].get<std::string>();
  };

  const auto as_ana = cli.Omni({"conversations", "reply", unassigned, "Ana here", "--as", "ANA@Salon.example"});
  INFO(as_ana.err);
  REQUIRE(as_ana.exit_code == 0);
  CHECK(json::parse(as_ana.out)["assigned_user_id"] == cli.user_ids["ana@salon.example"]);
  CHECK(json::parse(as_ana.out)["assigned_to"] == "Ana");
  CHECK(from(unassigned) == "team:Ana");
  CHECK(cli.Assigned(unassigned) == cli.user_ids["ana@salon.example"]);

  // Someone else's already: Ana writes, the owner keeps it.
  REQUIRE(cli.Omni({"conversations", "reply", owners, "Ana too", "--as", "ana@salon.example"}).exit_code == 0);
  CHECK(from(owners) == "team:Ana");
  CHECK(cli.Assigned(owners) == cli.user_ids["owner@salon.example"]);

  // Another business's user's e-mail, or a user id, is only a name.
  for (const std::string& other : {std::string("rita@rival.example"), cli.user_ids["ana@salon.example"]}) {
    const std::string id = omni::chat::Open(cli.db.pool(), cli.business_ids["salon"], {}).id;
    const auto reply = cli.Omni({"conversations", "reply", id, "hello", "--as", other});
    REQUIRE(reply.exit_code == 0);
    CHECK(json::parse(reply.out)["assigned_to"] == other);
    CHECK(json::parse(reply.out)["assigned_user_id"].is_null());
    CHECK(from(id) == "team:" + other);
    CHECK(cli.Assigned(id).empty());
  }
}
