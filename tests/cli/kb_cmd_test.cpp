// `omni ingest` and `omni kb` as a user runs them, against a throwaway
// database: the summary and -o json report, the partial exit code, stdin,
// search output, list/show/rm, usage errors and the eval report.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/db/pqxx.hpp"
#include "tests/support/kb_fixtures.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct KbCli {
  omni::test::TestDatabase db;
  fs::path dir;
  std::string config_path;

  KbCli() {
    std::string pattern = (fs::temp_directory_path() / "omni-kb-cmd-XXXXXX").string();
    dir = mkdtemp(pattern.data());
    config_path = (dir / "omni.yaml").string();
    std::ofstream(config_path) << "database:\n  url: \"" << db.url() << "\"\n";
    omni::db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      tx.exec("INSERT INTO businesses (slug, name) VALUES ('acme', 'Acme Salon')");
    });
  }
  ~KbCli() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  std::string Write(const std::string& name, const std::string& content) const {
    const fs::path file = dir / "docs" / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << content;
    return file.string();
  }

  omni::test::RunResult Omni(std::vector<std::string> args, std::string stdin_data = {}) const {
    omni::test::ProcessOptions options;
    options.args = {"--config", config_path, "-b", "acme"};
    options.args.insert(options.args.end(), args.begin(), args.end());
    options.unset_env = {"OMNI_CONFIG"};
    options.stdin_data = std::move(stdin_data);
    return omni::test::Run(OMNI_CLI_PATH, options);
  }
};

json Parse(const omni::test::RunResult& result) {
  INFO("stdout: " << result.out << "\nstderr: " << result.err);
  REQUIRE_NOTHROW(json::parse(result.out));
  return json::parse(result.out);
}

}  // namespace

TEST_CASE("omni ingest prints a summary and says when nothing changed", "[kb]") {
  KbCli cli;
  cli.Write("faq.md", "# Balayage\n\nYes, we do balayage and highlights.");
  cli.Write("hours.txt", "Open Monday to Saturday.");
  const std::string docs = (cli.dir / "docs").string();
  auto result = cli.Omni({"ingest", docs});
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out.rfind("added 2, updated 0, unchanged 0, removed 0, failed 0; 2 chunks written in ", 0) == 0);
  CHECK(result.err.find("\x1b[") == std::string::npos);  // no progress bar when not a terminal

  result = cli.Omni({"ingest", docs, "-o", "json"});
  CHECK(result.exit_code == 0);
  const json report = Parse(result);
  CHECK(report["added"] == 0);
  CHECK(report["unchanged"] == 2);
  CHECK(report["chunks"] == 0);
  CHECK(report["partial"] == false);
  CHECK(report["failures"].empty());
  CHECK(cli.Omni({"ingest", docs}).out.find("(nothing changed)") != std::string::npos);
}

TEST_CASE("omni starts without the PDF libraries and loads them to ingest a PDF", "[kb]") {
  const auto libraries = omni::test::Run("/usr/bin/ldd", {.args = {OMNI_CLI_PATH}});
  REQUIRE(libraries.exit_code == 0);
  CHECK_THAT(libraries.out, Catch::Contains("libpq"));
  CHECK_THAT(libraries.out, !Catch::Contains("poppler"));

  KbCli cli;
  cli.Write("policies.pdf", omni::test::MakePdf({"Cancellation policy applies", "Second page text"}, "Policies"));
  const auto result = cli.Omni({"ingest", (cli.dir / "docs").string(), "-o", "json"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(Parse(result)["added"] == 1);
  const auto listed = cli.Omni({"-o", "json", "kb", "list"});
  INFO(listed.err);
  CHECK_THAT(listed.out, Catch::Contains("\"Policies\""));
  const auto found = cli.Omni({"kb", "search", "cancellation policy"});
  CHECK_THAT(found.out, Catch::Contains("Cancellation policy applies"));
}

TEST_CASE("omni ingest reports bad files and exits 1 for a partial run", "[kb]") {
  KbCli cli;
  cli.Write("good.txt", "Parking is free.");
  cli.Write("bad.txt", std::string("\0\1\2", 3));
  const auto result = cli.Omni({"ingest", (cli.dir / "docs").string(), "--sync", "-o", "json"});
  CHECK(result.exit_code == 1);
  const json report = Parse(result);
  CHECK(report["added"] == 1);
  CHECK(report["failed"] == 1);
  CHECK(report["partial"] == true);
  REQUIRE(report["failures"].size() == 1);
  CHECK(report["failures"][0]["message"] == "looks binary (it contains NUL bytes)");
  CHECK(result.err.find("bad.txt: looks binary") != std::string::npos);
}

TEST_CASE("omni ingest reads stdin and rejects bad flags", "[kb]") {
  KbCli cli;
  auto result = cli.Omni({"ingest", "-", "--type", "policy", "--title", "Refunds", "--tags", "money,rules"},
                         "Refunds within 14 days.");
  INFO(result.err);
  CHECK(result.exit_code == 0);
  result = cli.Omni({"-o", "json", "kb", "show", "stdin"});
  const json doc = Parse(result);
  CHECK(doc["title"] == "Refunds");
  CHECK(doc["type"] == "POLICY");
  CHECK(doc["tags"] == json::array({"money", "rules"}));
  CHECK(doc["chunk_list"][0]["text"] == "Refunds within 14 days.");

  CHECK(cli.Omni({"ingest", "-", "--type", "BLOG"}, "x").exit_code == 2);
  CHECK(cli.Omni({"ingest"}).exit_code == 2);
  omni::test::ProcessOptions options;
  options.args = {"--config", cli.config_path, "-b", "nobody", "ingest", "-"};
  options.stdin_data = "text";
  CHECK(omni::test::Run(OMNI_CLI_PATH, options).exit_code == 5);
}

TEST_CASE("omni ingest - stops reading stdin past the document size limit", "[kb]") {
  KbCli cli;
  std::ofstream(cli.config_path, std::ios::app) << "kb:\n  max_document_bytes: 1000\n";
  omni::test::ProcessOptions options;
  options.args = {"--config", cli.config_path, "-b", "acme", "ingest", "-"};
  options.unset_env = {"OMNI_CONFIG"};
  options.stdin_file = "/dev/zero";  // never ends
  const auto result = omni::test::Run(OMNI_CLI_PATH, options);
  INFO(result.err);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("error: stdin: is too large (more than 1000 bytes; the limit is 1000)") != std::string::npos);
  CHECK(result.out.rfind("added 0, updated 0, unchanged 0, removed 0, failed 1;", 0) == 0);
  CHECK(Parse(cli.Omni({"-o", "json", "kb", "list"})).empty());
}

TEST_CASE("omni kb search shows ranked hits with score, title, source and snippet", "[kb]") {
  KbCli cli;
  const auto colour = cli.Write("colour.md", "# Colour\n\nWe do balayage, ombre and highlights.");
  cli.Write("parking.md", "# Parking\n\nFree parking behind the salon.");
  REQUIRE(cli.Omni({"ingest", (cli.dir / "docs").string()}).exit_code == 0);

  auto result = cli.Omni({"kb", "search", "do you do balayage?", "-k", "5"});
  CHECK(result.exit_code == 0);
  // Piped: tab-separated rank, score, title, source, snippet.
  CHECK(result.out.rfind("1\t", 0) == 0);
  CHECK(result.out.find("\tColour\t" + colour + "\t") != std::string::npos);
  CHECK(result.out.find("balayage") != std::string::npos);
  CHECK(result.out.find("Parking") == std::string::npos);

  result = cli.Omni({"-o", "json", "kb", "search", "balayage parking", "--type", "DOCUMENT"});
  const json hits = Parse(result);
  REQUIRE(hits.size() == 2);
  CHECK(hits[0]["rank"] == 1);
  CHECK(hits[0]["score"].get<double>() > 0);
  CHECK(hits[0]["char_start"] == 0);
  CHECK(hits[0].contains("snippet"));
  CHECK(hits[0].contains("chunk_id"));

  result = cli.Omni({"-o", "json", "kb", "search", "the and of"});
  CHECK(result.exit_code == 0);
  CHECK(Parse(result).empty());
  CHECK(cli.Omni({"kb", "search", "x", "-k", "0"}).exit_code == 2);
}

TEST_CASE("omni kb list, show and rm manage documents", "[kb]") {
  KbCli cli;
  const auto a = cli.Write("a.txt", "Alpha text.");
  cli.Write("b.txt", "Bravo text.");
  REQUIRE(cli.Omni({"ingest", (cli.dir / "docs").string(), "--type", "FAQ"}).exit_code == 0);
  const json list = Parse(cli.Omni({"-o", "json", "kb", "list"}));
  REQUIRE(list.size() == 2);
  CHECK(list[0]["external_id"] == a);
  CHECK(list[0]["type"] == "FAQ");
  CHECK(list[0]["chunks"] == 1);
  CHECK(Parse(cli.Omni({"-o", "json", "kb", "list", "--type", "POLICY"})).empty());

  const std::string id = list[0]["id"];
  const json shown = Parse(cli.Omni({"-o", "json", "kb", "show", id}));
  CHECK(shown["external_id"] == a);
  CHECK(cli.Omni({"kb", "show", "/no/such/doc"}).exit_code == 5);

  CHECK(cli.Omni({"kb", "rm", id, "/no/such/doc"}).exit_code == 5);
  CHECK(Parse(cli.Omni({"-o", "json", "kb", "list"})).size() == 2);  // nothing removed
  CHECK(cli.Omni({"kb", "rm", id}).exit_code == 0);
  CHECK(Parse(cli.Omni({"-o", "json", "kb", "list"})).size() == 1);
}

TEST_CASE("omni kb eval reports the metrics and cleans up its scratch business", "[kb]") {
  KbCli cli;
  const auto corpus = cli.Write("corpus.jsonl",
                                "{\"_id\": \"d1\", \"title\": \"Vitamin D\", \"text\": \"Vitamin D helps bones.\"}\n"
                                "{\"_id\": \"d2\", \"title\": \"Sleep\", \"text\": \"Sleep improves memory.\"}\n");
  const auto queries = cli.Write("queries.jsonl",
                                 "{\"_id\": \"q1\", \"text\": \"vitamin bones\"}\n"
                                 "{\"_id\": \"q2\", \"text\": \"memory\"}\n");
  const auto qrels = cli.Write("qrels.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n");
  omni::test::ProcessOptions options;
  options.args = {"--config", cli.config_path, "-o", "json", "kb", "eval", "--corpus", corpus,
                  "--queries", queries, "--qrels", qrels};
  const auto result = omni::test::Run(OMNI_CLI_PATH, options);
  INFO(result.err);
  CHECK(result.exit_code == 0);
  const json report = Parse(result);
  CHECK(report["documents"] == 2);
  CHECK(report["queries"] == 2);
  CHECK(report["ndcg_at_10"] == 1.0);
  CHECK(report["recall_at_100"] == 1.0);
  CHECK(report["mrr_at_10"] == 1.0);
  CHECK(report.contains("latency_p50_ms"));
  CHECK(report.contains("latency_p95_ms"));
  const auto businesses = omni::db::WithTransaction(
      cli.db.pool(), [](pqxx::work& tx) { return tx.exec1("SELECT count(*) FROM businesses")[0].as<int>(); });
  CHECK(businesses == 1);

  options.args = {"--config", cli.config_path, "kb", "eval", "--corpus", corpus, "--queries", queries,
                  "--qrels", (cli.dir / "missing.tsv").string()};
  CHECK(omni::test::Run(OMNI_CLI_PATH, options).exit_code == 2);
}

TEST_CASE("omni ingest --sync removes only what came from the roots it was given, naming each; --dry-run previews",
          "[kb]") {
  KbCli cli;
  const std::string demo_dir = (cli.dir / "docs" / "demo").string();
  cli.Write("demo/hours.md", "Open Monday to Saturday.");
  const std::string old_demo = cli.Write("demo/old.md", "We used to sell wigs.");
  const std::string sibling = cli.Write("demo-extra/own.md", "Our own parking notes.");
  const std::string single = cli.Write("mine.md", "My own FAQ about balayage.");
  auto first = cli.Omni({"ingest", demo_dir});
  CHECK(first.out.rfind("added 2, updated 0, unchanged 0, removed 0, failed 0; 2 chunks written", 0) == 0);
  auto one = cli.Omni({"ingest", sibling});
  CHECK(one.out.rfind("added 1, updated 0, unchanged 0, removed 0, failed 0; 1 chunk written in ", 0) == 0);
  REQUIRE(cli.Omni({"ingest", single, "-"}, "Typed in by hand.").exit_code == 0);
  fs::remove(old_demo);

  auto preview = cli.Omni({"ingest", demo_dir, "--sync", "--dry-run"});
  CHECK(preview.exit_code == 0);
  CHECK(preview.out.rfind("dry run, nothing changed: would add 0, update 0, unchanged 1, remove 1, failed 0;", 0) == 0);
  CHECK(preview.err == "would remove " + old_demo + "\n");
  CHECK(Parse(cli.Omni({"-o", "json", "kb", "list"})).size() == 5);

  auto synced = cli.Omni({"ingest", demo_dir, "--sync", "-o", "json"});
  CHECK(synced.exit_code == 0);
  const json report = Parse(synced);
  CHECK(report["removed"] == 1);
  CHECK(report["removed_sources"] == json::array({old_demo}));
  auto table = cli.Omni({"ingest", demo_dir, "--sync"});
  CHECK(table.err.empty());

  // The user's own file, stdin and the look-alike sibling directory stay.
  const json left = Parse(cli.Omni({"-o", "json", "kb", "list"}));
  CHECK(left.size() == 4);
  std::vector<std::string> sources;
  for (const auto& doc : left) sources.push_back(doc["source"]);
  CHECK(std::find(sources.begin(), sources.end(), sibling) != sources.end());
  CHECK(std::find(sources.begin(), sources.end(), single) != sources.end());
  CHECK(std::find(sources.begin(), sources.end(), "stdin") != sources.end());

  // A file given alone syncs only itself.
  fs::remove(single);
  auto gone = cli.Omni({"ingest", single, "--sync"});
  CHECK(gone.exit_code == 1);  // a missing input fails, and its document is kept
  CHECK(Parse(cli.Omni({"-o", "json", "kb", "list"})).size() == 4);
}

TEST_CASE("omni ingest past the plan's document limit ingests what fits, names the rest and exits 7", "[kb]") {
  KbCli cli;
  // Past the trial: FREE, 5 documents.
  std::ofstream(cli.config_path, std::ios::app) << "billing:\n  trial_days: 0\n";
  for (int i = 1; i <= 7; ++i) cli.Write("doc" + std::to_string(i) + ".md", "Answer number " + std::to_string(i) + ".");
  const std::string docs = (cli.dir / "docs").string();
  auto result = cli.Omni({"ingest", docs});
  INFO(result.err);
  CHECK(result.exit_code == 7);
  CHECK(result.out.rfind("added 5, updated 0, unchanged 0, removed 0, failed 2;", 0) == 0);
  CHECK(result.err.find("doc6.md: not ingested: plan FREE allows 5 knowledge documents") != std::string::npos);
  CHECK(result.err.find("doc7.md: not ingested: plan FREE allows 5 knowledge documents") != std::string::npos);
  CHECK(result.err.find("plan FREE allows 5 knowledge documents: 2 new documents were not ingested") !=
        std::string::npos);
  CHECK(cli.Omni({"kb", "list", "-o", "json"}).out.find("doc6.md") == std::string::npos);

  // At the limit, a changed document is still updated; another business is not limited by this one.
  cli.Write("doc1.md", "Answer number 1, revised.");
  result = cli.Omni({"ingest", cli.Write("doc1.md", "Answer number 1, revised."), "-o", "json"});
  CHECK(result.exit_code == 0);
  CHECK(Parse(result)["updated"] == 1);
  omni::db::WithTransaction(cli.db.pool(), [&](pqxx::work& tx) {
    tx.exec("INSERT INTO businesses (slug, name) VALUES ('beta', 'Beta')");
  });
  omni::test::ProcessOptions options;
  options.args = {"--config", cli.config_path, "-b", "beta", "ingest", docs, "-o", "json"};
  options.unset_env = {"OMNI_CONFIG"};
  result = omni::test::Run(OMNI_CLI_PATH, options);
  CHECK(result.exit_code == 7);
  CHECK(Parse(result)["added"] == 5);
  CHECK(Parse(result)["over_limit"] == 2);
}
