// `omni customers` as a user runs it, against a throwaway database with two
// businesses: ids by prefix for every command that takes a customer,
// conversation or appointment id, and another business's rows never found.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/db/pqxx.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using nlohmann::json;

namespace {

// Ids whose first 6 characters every row of a kind shares: abcdef0x are
// customers, abcdef1x conversations, abcdef2x appointments; x = 3 belongs
// to the other business.
std::string Id(int kind, int n) {
  return "abcdef" + std::to_string(kind) + std::to_string(n) + "-0000-4000-8000-00000000000" + std::to_string(n);
}

struct CustomersCli {
  omni::test::TestDatabase db;
  omni::test::TempDir dir;
  std::string config_path = dir.Write("omni.yaml", "database:\n  url: \"" + db.url() + "\"\n");
  std::string acme;
  std::string other;

  CustomersCli() {
    omni::db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      auto business = [&](const std::string& slug) {
        return tx.exec_params("INSERT INTO businesses (slug, name, timezone, phone_region) "
                              "VALUES ($1, $1, 'America/Chicago', 'US') RETURNING id::text",
                              slug)[0][0]
            .as<std::string>();
      };
      acme = business("acme");
      other = business("other");
      for (int n = 1; n <= 3; ++n) {
        const std::string& biz = n == 3 ? other : acme;
        tx.exec_params("INSERT INTO customers (id, business_id, name, email) VALUES ($1::uuid, $2::uuid, $3, $4)",
                       Id(0, n), biz, "Customer " + std::to_string(n), "c" + std::to_string(n) + "@example.com");
        tx.exec_params("INSERT INTO conversations (id, business_id, customer_id) VALUES ($1::uuid, $2::uuid, $3::uuid)",
                       Id(1, n), biz, Id(0, n == 2 ? 1 : n));
        const std::string service =
            tx.exec_params("INSERT INTO services (business_id, name, duration_min) VALUES ($1::uuid, $2, 60) "
                           "RETURNING id::text",
                           biz, "Cut " + std::to_string(n))[0][0]
                .as<std::string>();
        tx.exec_params(
            "INSERT INTO appointments (id, business_id, service_id, customer_id, starts_at, ends_at, blocked_from, "
            "blocked_to) VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, now() + $5 * interval '1 day', "
            "now() + $5 * interval '1 day' + interval '1 hour', now() + $5 * interval '1 day', "
            "now() + $5 * interval '1 day' + interval '1 hour')",
            Id(2, n), biz, service, Id(0, n == 2 ? 1 : n), n == 2 ? -3 : 3);
      }
    });
  }

  omni::test::RunResult Omni(const std::string& business, std::vector<std::string> args) const {
    omni::test::ProcessOptions options;
    options.args = {"--config", config_path, "-b", business};
    options.args.insert(options.args.end(), args.begin(), args.end());
    options.unset_env = {"OMNI_CONFIG", "NO_COLOR"};
    return omni::test::Run(OMNI_CLI_PATH, options);
  }
  omni::test::RunResult Omni(std::vector<std::string> args) const { return Omni("acme", std::move(args)); }
};

json Parse(const omni::test::RunResult& result) {
  INFO("stdout: " << result.out << "\nstderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE_NOTHROW(json::parse(result.out));
  return json::parse(result.out);
}

}  // namespace

TEST_CASE("omni customers, conversations, book and chat take a unique id prefix", "[cli][customers][ids]") {
  CustomersCli cli;
  CHECK(Parse(cli.Omni({"-o", "json", "customers", "show", "abcdef01"}))["id"] == Id(0, 1));
  CHECK(Parse(cli.Omni({"-o", "json", "customers", "show", "ABCDEF02-0000"}))["id"] == Id(0, 2));
  CHECK(Parse(cli.Omni({"-o", "json", "customers", "update", "abcdef02", "--notes", "n"}))["notes"] == "n");
  CHECK(Parse(cli.Omni({"-o", "json", "customers", "tag", "abcdef02", "vip"}))["tags"] == json{"vip"});
  CHECK(Parse(cli.Omni({"-o", "json", "conversations", "show", "abcdef11"}))["id"] == Id(1, 1));
  CHECK(Parse(cli.Omni({"-o", "json", "conversations", "escalate", "abcdef12"}))["status"] == "ESCALATED");
  CHECK(Parse(cli.Omni({"-o", "json", "conversations", "resolve", "abcdef12"}))["status"] == "RESOLVED");
  CHECK(Parse(cli.Omni({"-o", "json", "conversations", "reopen", "abcdef12"}))["status"] == "REOPENED");
  CHECK(Parse(cli.Omni({"-o", "json", "conversations", "assign", "abcdef11", "--to", "none"}))["id"] == Id(1, 1));
  CHECK(Parse(cli.Omni({"-o", "json", "book", "show", "abcdef21"}))["id"] == Id(2, 1));
  CHECK(Parse(cli.Omni({"-o", "json", "book", "confirm", "abcdef21"}))["status"] == "confirmed");
  CHECK(Parse(cli.Omni({"-o", "json", "book", "ics", "abcdef21"}))["id"] == Id(2, 1));
  CHECK(Parse(cli.Omni({"-o", "json", "book", "cancel", "abcdef21"}))["status"] == "canceled");
  // --customer filters take a customer id prefix too.
  const auto conversations = Parse(cli.Omni({"-o", "json", "conversations", "list", "--customer", "abcdef01"}));
  CHECK(conversations.size() == 2);
  const auto appointments = Parse(cli.Omni({"-o", "json", "book", "list", "--customer", "abcdef01", "--from",
                                            "2000-01-01", "--to", "2100-01-01"}));
  CHECK(appointments.size() == 2);
  CHECK(cli.Omni({"conversations", "list", "--customer", "abcdef0"}).exit_code == 2);
  CHECK(Parse(cli.Omni({"-o", "json", "conversations", "list", "--customer", "abcdef03"})).empty());
}

TEST_CASE("omni: an ambiguous id prefix exits 2 listing the matches; a short one names the minimum",
          "[cli][customers][ids]") {
  CustomersCli cli;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"customers", "show", "abcdef0"}, {"conversations", "show", "abcdef1"},
        {"conversations", "resolve", "abcdef1"}, {"book", "show", "abcdef-2"}, {"book", "cancel", "abcdef2"},
        {"chat", "replay", "abcdef1"}}) {
    const auto result = cli.Omni(args);
    INFO(args[0] << " " << args[1] << ": " << result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("is ambiguous") != std::string::npos);
    CHECK(result.err.find("-000000000001") != std::string::npos);
    CHECK(result.err.find("-000000000002") != std::string::npos);
    CHECK(result.err.find("-000000000003") == std::string::npos);
  }
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"customers", "show", "abcde"}, {"conversations", "show", "abcde"},
        {"book", "show", "abc"}}) {
    const auto result = cli.Omni(args);
    INFO(args[0] << ": " << result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("is too short: give at least 6 hex characters") != std::string::npos);
  }
}

TEST_CASE("omni: another business's ids are not found by any command", "[cli][customers][ids]") {
  CustomersCli cli;
  for (const std::string& id : {Id(0, 3), std::string("abcdef03")}) {
    CHECK(cli.Omni({"customers", "show", id}).exit_code == 5);
    CHECK(cli.Omni({"customers", "tag", id, "x"}).exit_code == 5);
  }
  for (const std::string& id : {Id(1, 3), std::string("abcdef13")}) {
    CHECK(cli.Omni({"conversations", "show", id}).exit_code == 5);
    CHECK(cli.Omni({"conversations", "reply", id, "hi"}).exit_code == 5);
  }
  for (const std::string& id : {Id(2, 3), std::string("abcdef23")}) {
    CHECK(cli.Omni({"book", "show", id}).exit_code == 5);
    CHECK(cli.Omni({"book", "cancel", id}).exit_code == 5);
  }
  CHECK(Parse(cli.Omni("other", {"-o", "json", "customers", "show", "abcdef"}))["id"] == Id(0, 3));
}

TEST_CASE("omni customers list: search, claims marked, tags AND and OR, contact ranges and paging",
          "[cli][customers]") {
  CustomersCli cli;
  omni::db::WithTransaction(cli.db.pool(), [&](pqxx::work& tx) {
    tx.exec_params("UPDATE customers SET tags = '{vip,color}', last_contact_at = now() - interval '2 days' "
                   "WHERE id = $1::uuid", Id(0, 1));
    tx.exec_params("UPDATE customers SET tags = '{vip}', last_contact_at = now() - interval '40 days' "
                   "WHERE id = $1::uuid", Id(0, 2));
    tx.exec_params("INSERT INTO customers (business_id, name, claimed_email) VALUES ($1::uuid, 'Dee', "
                   "'dee@typed.example')", cli.acme);
  });
  const auto names = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"-o", "json", "customers", "list"});
    std::vector<std::string> out;
    for (const auto& row : Parse(cli.Omni(args))) out.push_back(row["name"]);
    return out;
  };
  using V = std::vector<std::string>;
  CHECK(names({"--search", "CUSTOMER 2"}) == V{"Customer 2"});
  CHECK(names({"--search", "typed.example"}) == V{"Dee"});
  CHECK(names({"--search", "typed.example", "--no-claims"}).empty());
  CHECK(names({"--tag", "vip", "--tag", "color"}) == V{"Customer 1"});
  CHECK(names({"--tag", "vip"}) == V{"Customer 1", "Customer 2"});
  CHECK(names({"--any-tag", "color,nothing"}) == V{"Customer 1"});
  CHECK(names({"--contacted-after", "30d"}) == V{"Customer 1"});
  CHECK(names({"--contacted-before", "30d"}) == V{"Customer 2"});
  CHECK(names({"--never-contacted"}) == V{"Dee"});
  CHECK(cli.Omni({"customers", "list", "--contacted-after", "yesterday"}).exit_code == 2);

  const auto table = cli.Omni({"customers", "list", "--search", "dee"});
  CHECK(table.out.find("(claimed) dee@typed.example") != std::string::npos);
  const auto csv = cli.Omni({"-o", "csv", "customers", "list", "--tag", "vip"});
  CHECK(csv.out.rfind("id,name,email,phone,tags,visit_count,last_contact_at", 0) == 0);

  const auto first = cli.Omni({"-o", "json", "customers", "list", "--limit", "2"});
  REQUIRE(Parse(first).size() == 2);
  const auto at = first.err.find("--after ");
  REQUIRE(at != std::string::npos);
  const std::string cursor = first.err.substr(at + 8, first.err.find('\n', at) - at - 8);
  const auto second = Parse(cli.Omni({"-o", "json", "customers", "list", "--limit", "2", "--after", cursor}));
  REQUIRE(second.size() == 1);
  CHECK(second[0]["name"] == "Dee");
  CHECK(cli.Omni({"customers", "list", "--after", "not-a-cursor"}).exit_code == 2);
  // The other business sees only its own.
  CHECK(Parse(cli.Omni("other", {"-o", "json", "customers", "list"})).size() == 1);
}

TEST_CASE("omni customers show: conversations with their last message, appointments upcoming and past",
          "[cli][customers]") {
  CustomersCli cli;
  omni::db::WithTransaction(cli.db.pool(), [&](pqxx::work& tx) {
    tx.exec_params("INSERT INTO messages (business_id, conversation_id, role, content) VALUES "
                   "($1::uuid, $2::uuid, 'USER', 'do you open on sunday?')", cli.acme, Id(1, 1));
  });
  const auto shown = Parse(cli.Omni({"-o", "json", "customers", "show", "c1@example.com"}));
  CHECK(shown["id"] == Id(0, 1));
  REQUIRE(shown["conversations"].size() == 2);
  bool found = false;
  for (const auto& c : shown["conversations"]) {
    if (c["id"] == Id(1, 1)) {
      found = true;
      CHECK(c["last_message"] == "do you open on sunday?");
      CHECK(c["last_message_from"] == "customer");
      CHECK(c["status"] == "AI_ACTIVE");
    }
  }
  CHECK(found);
  REQUIRE(shown["upcoming_appointments"].size() == 1);
  CHECK(shown["upcoming_appointments"][0]["id"] == Id(2, 1));
  REQUIRE(shown["past_appointments"].size() == 1);
  CHECK(shown["past_appointments"][0]["id"] == Id(2, 2));
  const auto table = cli.Omni({"customers", "show", "abcdef01"});
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("Conversations") != std::string::npos);
  CHECK(table.out.find("do you open on sunday?") != std::string::npos);
  CHECK(table.out.find("Upcoming appointments") != std::string::npos);
  CHECK(table.out.find("Past appointments") != std::string::npos);
  CHECK(cli.Omni({"customers", "show", "c3@example.com"}).exit_code == 5);
}

TEST_CASE("omni customers list and show: phones read national at home and international otherwise; JSON, CSV and "
          "export keep E.164",
          "[cli][customers][phone]") {
  // libphonenumber (with protobuf and ICU) is a module loaded on the first
  // phone, not a library every command maps and relocates at start.
  const auto libraries = omni::test::Run("/usr/bin/ldd", {.args = {OMNI_CLI_PATH}});
  REQUIRE(libraries.exit_code == 0);
  CHECK(libraries.out.find("libpq") != std::string::npos);
  CHECK(libraries.out.find("libphonenumber") == std::string::npos);
  CHECK(libraries.out.find("libicu") == std::string::npos);

  CustomersCli cli;
  CHECK(cli.Omni({"customers", "update", "c1@example.com", "--phone", "415.555.0132"}).exit_code == 0);
  CHECK(cli.Omni({"customers", "update", "c2@example.com", "--phone", "+44 20 7946 0018"}).exit_code == 0);
  omni::db::WithTransaction(cli.db.pool(), [&](pqxx::work& tx) {
    tx.exec_params("INSERT INTO customers (business_id, name, claimed_phone) VALUES ($1::uuid, 'Dee', '+17185550199')",
                   cli.acme);
  });
  const auto table = cli.Omni({"customers", "list"});
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.find("(415) 555-0132") != std::string::npos);
  CHECK(table.out.find("+44 20 7946 0018") != std::string::npos);
  CHECK(table.out.find("(claimed) (718) 555-0199") != std::string::npos);
  CHECK(table.out.find("+14155550132") == std::string::npos);

  const auto shown = cli.Omni({"customers", "show", "+1 (415) 555-0132"});
  REQUIRE(shown.exit_code == 0);
  CHECK(shown.out.find("(415) 555-0132") != std::string::npos);
  CHECK(shown.out.find("Customer 1") != std::string::npos);
  CHECK(Parse(cli.Omni({"-o", "json", "customers", "show", "4155550132"}))["phone"] == "+14155550132");
  const auto listed = Parse(cli.Omni({"-o", "json", "customers", "list", "--search", "0132"}));
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["phone"] == "+14155550132");
  CHECK(cli.Omni({"-o", "csv", "customers", "list"}).out.find(",+442079460018,") != std::string::npos);
  CHECK(cli.Omni({"customers", "export"}).out.find(",+14155550132,") != std::string::npos);

  const auto bad = cli.Omni({"customers", "update", "c1@example.com", "--phone", "555 010 2030"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("invalid phone number \"555 010 2030\": not a valid US number") != std::string::npos);
  CHECK(bad.err.find("hint: A US number reads like (201) 555-0123") != std::string::npos);
  // The other business reads the same number by its own country, and never sees acme's customer.
  CHECK(cli.Omni("other", {"customers", "show", "(415) 555-0132"}).exit_code == 5);
}

TEST_CASE("omni customers export: every field, as CSV Python reads and as JSON, this business only",
          "[cli][customers][export]") {
  CustomersCli cli;
  omni::db::WithTransaction(cli.db.pool(), [&](pqxx::work& tx) {
    tx.exec_params("UPDATE customers SET tags = '{color,vip}', notes = 'two\nlines, \"quoted\"', "
                   "metadata = '{\"source\": \"ig\"}', external_id = 'site-1', phone = '+14155550132' "
                   "WHERE id = $1::uuid", Id(0, 1));
  });
  const auto csv = cli.Omni({"-o", "csv", "customers", "export"});
  REQUIRE(csv.exit_code == 0);
  omni::test::ProcessOptions python;
  python.args = {"-c",
                 "import sys, csv, json\n"
                 "rows = list(csv.DictReader(sys.stdin))\n"
                 "print(json.dumps(rows))\n"};
  python.stdin_data = csv.out;
  const auto parsed = omni::test::Run("/usr/bin/python3", python);
  REQUIRE(parsed.exit_code == 0);
  const json rows = json::parse(parsed.out);
  REQUIRE(rows.size() == 2);
  const json ann = rows[0]["id"] == Id(0, 1) ? rows[0] : rows[1];
  CHECK(ann["notes"] == "two\nlines, \"quoted\"");
  CHECK(ann["tags"] == "color,vip");
  CHECK(json::parse(ann["metadata"].get<std::string>())["source"] == "ig");
  CHECK(ann["external_id"] == "site-1");
  CHECK(ann["conversation_count"] == "2");
  CHECK(ann["appointment_count"] == "2");
  CHECK(ann["created_at"].get<std::string>().size() == 20);
  for (const char* field : {"email", "phone", "claimed_email", "claimed_phone", "visit_count", "last_contact_at",
                            "updated_at", "name"}) {
    CHECK(ann.contains(field));
  }
  const auto as_json = Parse(cli.Omni({"-o", "json", "customers", "export"}));
  REQUIRE(as_json.size() == 2);
  CHECK(as_json[0]["tags"].is_array());
  CHECK(cli.Omni({"customers", "export"}).out.rfind("id,name,email,phone,external_id", 0) == 0);
  const auto theirs = Parse(cli.Omni("other", {"-o", "json", "customers", "export"}));
  REQUIRE(theirs.size() == 1);
  CHECK(theirs[0]["id"] == Id(0, 3));

  // Imported back into the same business, an export changes nothing.
  const std::string file = cli.dir.Write("export.csv", csv.out);
  const auto reimport = Parse(cli.Omni({"-o", "json", "customers", "import", file}));
  REQUIRE(reimport.size() == 2);
  for (const auto& row : reimport) CHECK(row["outcome"] == "unchanged");
}

TEST_CASE("omni customers import: per-row report, line 7 named, dry run, continue on error, stdin",
          "[cli][customers][import]") {
  CustomersCli cli;
  const std::string file = cli.dir.Write("people.csv",
                                         "\xEF\xBB\xBF" "Name,Email,Mobile No\n"  // 1
                                         "Ann,c1@example.com,\n"                 // 2
                                         "\"New, Person\",new@example.com,\n"    // 3
                                         "Multi,multi@example.com,\"555\n"       // 4
                                         "0102030\"\n"                           // 5
                                         "Ann,c1@example.com,\n"                 // 6
                                         "Bad,bad@,\n"                           // 7
                                         "Other,c3@example.com,\n");             // 8
  const auto rejected = cli.Omni({"customers", "import", file});
  CHECK(rejected.exit_code == 2);
  CHECK(rejected.err.find("nothing imported: 1 row rejected, first line 7: column \"Email\": invalid email address \"bad@\"") !=
        std::string::npos);
  CHECK(rejected.out.find("7\trejected\t\tcolumn \"Email\": invalid email address \"bad@\"") != std::string::npos);
  CHECK(Parse(cli.Omni({"-o", "json", "customers", "list", "--search", "new@"})).empty());

  const auto dry = Parse(cli.Omni({"-o", "json", "customers", "import", file, "--dry-run", "--continue-on-error",
                                   "--map", "mobile no=phone"}));
  REQUIRE(dry.size() == 6);
  CHECK(dry[0]["outcome"] == "updated");
  CHECK(dry[1]["outcome"] == "created");
  CHECK(dry[2]["line"] == 4);
  CHECK(dry[3]["line"] == 6);
  CHECK(dry[4]["line"] == 7);
  CHECK(dry[4]["outcome"] == "rejected");
  CHECK(Parse(cli.Omni({"-o", "json", "customers", "list", "--search", "new@"})).empty());

  const auto partial = cli.Omni({"-o", "json", "customers", "import", file, "--continue-on-error"});
  CHECK(partial.exit_code == 1);
  CHECK(partial.err.find("warning: column \"Mobile No\" is not imported") != std::string::npos);
  const auto report = json::parse(partial.out);
  CHECK(report[5]["outcome"] == "created");  // c3@ belongs to the other business: a new customer here
  CHECK(Parse(cli.Omni("other", {"-o", "json", "customers", "show", "c3@example.com"}))["name"] == "Customer 3");
  CHECK(Parse(cli.Omni({"-o", "json", "customers", "list", "--search", "new@"})).size() == 1);

  omni::test::ProcessOptions stdin_run;
  stdin_run.args = {"--config", cli.config_path, "-b", "acme", "-o", "json", "customers", "import", "-"};
  stdin_run.unset_env = {"OMNI_CONFIG"};
  stdin_run.stdin_data = "email,tags\nc1@example.com,vip\n";
  const auto from_stdin = Parse(omni::test::Run(OMNI_CLI_PATH, stdin_run));
  CHECK(from_stdin[0]["outcome"] == "updated");
  CHECK(from_stdin[0]["detail"] == "tags");
  CHECK(cli.Omni({"customers", "import", "/nonexistent.csv"}).exit_code == 5);
  CHECK(cli.Omni({"customers", "import", file, "--map", "x"}).exit_code == 2);
}

TEST_CASE("omni customers merge: KEEP OTHER by prefix, conflicts listed, nothing left pointing at OTHER",
          "[cli][customers][merge]") {
  CustomersCli cli;
  // Customer 2 gets a conversation and an appointment of its own.
  omni::db::WithTransaction(cli.db.pool(), [&](pqxx::work& tx) {
    tx.exec_params("UPDATE appointments SET customer_id = $1::uuid WHERE id = $2::uuid", Id(0, 2), Id(2, 2));
    tx.exec_params("UPDATE conversations SET customer_id = $1::uuid WHERE id = $2::uuid", Id(0, 2), Id(1, 2));
  });
  const auto merged = cli.Omni({"-o", "json", "customers", "merge", "abcdef01", "c2@example.com", "--as", "kim"});
  const auto result = Parse(merged);
  CHECK(result["kept"]["id"] == Id(0, 1));
  CHECK(result["removed_id"] == Id(0, 2));
  CHECK(result["moved"]["conversations"] == 1);
  CHECK(result["moved"]["appointments"] == 1);
  REQUIRE(result["conflicts"].size() == 2);
  CHECK(result["conflicts"][0] == json{{"field", "name"}, {"kept", "Customer 1"}, {"discarded", "Customer 2"}});
  CHECK(result["conflicts"][1]["field"] == "email");
  CHECK(merged.err.find("merged customer " + Id(0, 2) + " into " + Id(0, 1)) != std::string::npos);
  CHECK(cli.Omni({"customers", "show", Id(0, 2)}).exit_code == 5);
  const auto shown = Parse(cli.Omni({"-o", "json", "customers", "show", "abcdef01"}));
  CHECK(shown["conversations"].size() == 2);
  CHECK(shown["upcoming_appointments"].size() + shown["past_appointments"].size() == 2);
  const long long left = omni::db::WithTransaction(cli.db.pool(), [&](pqxx::work& tx) {
    return tx.exec_params("SELECT (SELECT count(*) FROM conversations WHERE customer_id = $1::uuid) + "
                          "(SELECT count(*) FROM appointments WHERE customer_id = $1::uuid) + "
                          "(SELECT count(*) FROM customer_merges WHERE removed_customer_id = $1::uuid "
                          " AND merged_by = 'kim') * 100",
                          Id(0, 2))[0][0]
        .as<long long>();
  });
  CHECK(left == 100);  // no row points at OTHER; one audit record names it

  // Another business's customer is never merged, in either direction.
  CHECK(cli.Omni({"customers", "merge", "abcdef01", Id(0, 3)}).exit_code == 5);
  CHECK(cli.Omni({"customers", "merge", Id(0, 3), "abcdef01"}).exit_code == 5);
  CHECK(cli.Omni({"customers", "merge", "abcdef01", "abcdef01"}).exit_code == 2);
  CHECK(Parse(cli.Omni("other", {"-o", "json", "customers", "show", Id(0, 3)}))["name"] == "Customer 3");
  const auto table = cli.Omni({"customers", "merge", "abcdef01", "--help"});
  CHECK(table.out.find("$ omni customers merge") != std::string::npos);
}
