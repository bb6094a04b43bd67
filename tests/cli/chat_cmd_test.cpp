// `omni chat` and `omni conversations` as an operator runs them: one turn
// with -m and -o json against the fake model, a human reply that silences
// the AI, show, resolve/reopen exit codes, the offline responder, replay.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/http/client.hpp"
#include "core/kb/embeddings.hpp"
#include "core/kb/ingest.hpp"
#include "tests/support/fake_embeddings.hpp"
#include "tests/support/fake_openai.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A database with the demo salon and its knowledge, and an omni.yaml
// pointing at it and (unless offline) at the fake model.
struct ChatCli {
  explicit ChatCli(bool offline = false) {
    omni::business::Apply(db.pool(), omni::business::LoadBusinessFile(OMNI_SOURCE_DIR "/config/demo-salon.yaml"));
    omni::kb::IngestOptions ingest;
    ingest.inputs = {OMNI_SOURCE_DIR "/config/demo-kb"};
    omni::kb::Ingest(db.pool(), omni::business::Get(db.pool(), "demo-salon").id, omni::config::KbSettings{}, ingest);
    std::string pattern = (fs::temp_directory_path() / "omni-chat-cmd-XXXXXX").string();
    dir = mkdtemp(pattern.data());
    // Offline is the embedded default: OpenRouter's base_url with no key.
    std::ofstream(dir / "omni.yaml") << "database:\n  url: \"" << db.url() << "\"\nllm:\n  base_url: "
                                     << (offline ? "https://openrouter.ai/api/v1" : fake.base_url())
                                     << "\n  api_key: \"" << (offline ? "" : "test-key")
                                     << "\"\n  models: [model-a]\n  max_retries: 0\n";
  }
  ~ChatCli() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  omni::test::RunResult Omni(std::vector<std::string> args, std::string stdin_data = "") {
    omni::test::ProcessOptions options;
    options.stdin_data = std::move(stdin_data);
    options.args = {"--config", (dir / "omni.yaml").string(), "-b", "demo-salon"};
    options.args.insert(options.args.end(), args.begin(), args.end());
    options.unset_env = {"OMNI_CONFIG", "OPENROUTER_API_KEY", "NO_COLOR"};
    return omni::test::Run(OMNI_CLI_PATH, options);
  }

  omni::test::TestDatabase db;
  omni::test::FakeOpenAi fake;
  fs::path dir;
};

}  // namespace

TEST_CASE("omni chat -m -o json prints the reply, tool calls and usage", "[chat][cli]") {
  ChatCli cli;
  cli.fake.Enqueue(omni::test::ToolCallReply({{"c1", "list_services", {"{}"}}}));
  cli.fake.Enqueue(omni::test::TextReply({"We offer cuts, ", "color and blowouts."}));
  const auto run = cli.Omni({"chat", "-m", "What do you offer?", "--customer", "ann@example.com", "-o", "json"});
  REQUIRE(run.exit_code == 0);
  const json out = json::parse(run.out);
  CHECK(out["reply"] == "We offer cuts, color and blowouts.");
  CHECK(out["status"] == "AI_ACTIVE");
  REQUIRE(out["tool_calls"].size() == 1);
  CHECK(out["tool_calls"][0]["name"] == "list_services");
  CHECK(out["tool_calls"][0]["ok"] == true);
  CHECK(out["usage"]["model"] == "model-a");
  CHECK(out["usage"]["model_calls"] == 2);
  const std::string id = out["conversation_id"];

  // A team member replies: the conversation is escalated and the AI goes quiet.
  auto reply = cli.Omni({"conversations", "reply", id, "Hi Ann, Maria here.", "--as", "maria"});
  REQUIRE(reply.exit_code == 0);
  CHECK(reply.err.find("the AI no longer answers") != std::string::npos);
  const auto silent = cli.Omni({"chat", "--conversation", id, "-m", "Thanks Maria!", "-o", "json"});
  REQUIRE(silent.exit_code == 0);
  CHECK(json::parse(silent.out)["ai_silent"] == true);
  CHECK(cli.fake.request_count() == 2);

  const auto show = cli.Omni({"conversations", "show", id, "-o", "json"});
  REQUIRE(show.exit_code == 0);
  const json shown = json::parse(show.out);
  CHECK(shown["status"] == "ESCALATED");
  CHECK(shown["assigned_to"] == "maria");
  REQUIRE(shown["messages"].size() == 4);
  CHECK(shown["messages"][2]["from"] == "team:maria");

  const auto list = cli.Omni({"conversations", "list", "--status", "escalated", "-o", "json"});
  REQUIRE(list.exit_code == 0);
  CHECK(json::parse(list.out).size() == 1);
  CHECK(cli.Omni({"conversations", "reopen", id}).exit_code == 6);
  CHECK(cli.Omni({"conversations", "resolve", id}).exit_code == 0);
  CHECK(cli.Omni({"conversations", "reopen", id}).exit_code == 0);
  CHECK(cli.Omni({"conversations", "show", "00000000-0000-0000-0000-000000000000"}).exit_code == 5);

  // Replay shows the old answer next to today's, and stores nothing.
  cli.fake.Enqueue(omni::test::TextReply({"Cuts, color, blowouts and treatments."}));
  cli.fake.Enqueue(omni::test::TextReply({"You're welcome!"}));
  const auto replay = cli.Omni({"chat", "replay", id, "-o", "json"});
  REQUIRE(replay.exit_code == 0);
  const json steps = json::parse(replay.out);
  REQUIRE(steps.size() == 2);
  CHECK(steps[0]["before"] == "We offer cuts, color and blowouts.");
  CHECK(steps[0]["now"] == "Cuts, color, blowouts and treatments.");
  CHECK(steps[1]["customer"] == "Thanks Maria!");
  CHECK(steps[1]["before"] == "");
  CHECK(steps[1]["now"] == "You're welcome!");
  CHECK(json::parse(cli.Omni({"conversations", "show", id, "-o", "json"}).out)["messages"].size() == 4);

  // replay is a subcommand of its own: it needs the id, and takes no chat flags.
  const auto no_id = cli.Omni({"chat", "replay"});
  CHECK(no_id.exit_code == 2);
  CHECK(no_id.err.find("conversation_id is required") != std::string::npos);
  const auto misplaced = cli.Omni({"chat", "replay", id, "-m", "hello"});
  CHECK(misplaced.exit_code == 2);
  CHECK(misplaced.err.find("--message is an option of `omni chat`, not of `omni chat replay`") != std::string::npos);
}

TEST_CASE("omni chat finds the knowledge that only its meaning matches when embeddings are configured",
          "[chat][cli][kb]") {
  ChatCli cli;
  omni::test::FakeEmbeddings embeddings;
  // "car" is in no document: only the embeddings relate it to parking.
  const fs::path kb = cli.dir / "kb";
  fs::create_directories(kb);
  std::ofstream(kb / "parking.txt") << "Free parking behind the salon.";
  std::ofstream(kb / "colour.txt") << "We do balayage and colour.";
  auto http = omni::http::MakeHttpClient({});
  auto embedder = omni::kb::MakeEmbeddingsClient(embeddings.Settings(), *http, cli.db.pool());
  omni::kb::IngestOptions ingest;
  ingest.inputs = {kb.string()};
  omni::kb::IngestEnvironment environment;
  environment.embedder = embedder.get();
  omni::kb::Ingest(cli.db.pool(), omni::business::Get(cli.db.pool(), "demo-salon").id, omni::config::KbSettings{},
                   ingest, environment);
  std::ofstream(cli.dir / "omni.yaml", std::ios::app) << "embeddings:\n  base_url: " << embeddings.Settings().base_url
                                                      << "\n  api_key: test-key\n  model: fake/concepts-5\n";
  cli.fake.Enqueue(omni::test::TextReply({"Behind the salon."}));

  const std::string question = "Where do I leave my car?";
  const auto run = cli.Omni({"chat", "-m", question, "-o", "json"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const auto inputs = embeddings.Inputs();
  CHECK(std::find(inputs.begin(), inputs.end(), question) != inputs.end());
  const auto requests = cli.fake.requests();
  REQUIRE(requests.size() == 1);
  const std::string system_prompt = requests[0].json["messages"][0].value("content", "");
  CHECK(system_prompt.find("Free parking behind the salon.") != std::string::npos);
}

TEST_CASE("omni chat without an API key answers offline with a citation", "[chat][cli]") {
  ChatCli cli(/*offline=*/true);
  const auto run = cli.Omni({"chat", "-m", "Where can I park?"});
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.find("Here is what our information says:") != std::string::npos);
  CHECK(run.out.find("location-and-parking.md") != std::string::npos);
  CHECK(run.err.find("offline responder") != std::string::npos);
  CHECK(cli.fake.request_count() == 0);
  CHECK(cli.Omni({"chat", "nonsense"}).exit_code == 2);

  // Without -m, each line of input is one turn of the same conversation.
  const auto session = cli.Omni({"chat", "--customer", "+1 415 555 2030"}, "Where can I park?\nMy stylist was rude, I want to talk to the owner\n");
  REQUIRE(session.exit_code == 0);
  CHECK(session.out.find("location-and-parking.md") != std::string::npos);
  INFO(session.out);
  CHECK(session.out.find("a team member will follow up") != std::string::npos);
  CHECK(session.err.find("handed off to a team member") != std::string::npos);
  const json listed = json::parse(cli.Omni({"conversations", "list", "--customer", "+1 415 555 2030", "-o", "json"}).out);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["messages"] == 4);
  CHECK(listed[0]["status"] == "ESCALATED");
}

TEST_CASE("omni chat refuses a line holding a NUL character and stores nothing", "[chat][cli]") {
  ChatCli cli(/*offline=*/true);
  const auto run = cli.Omni({"chat"}, std::string("Where can I park?") + '\0' + " Ignore this\n");
  INFO(run.err);
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("omni: message: contains a NUL character (\\u0000)") != std::string::npos);
  const json listed = json::parse(cli.Omni({"conversations", "list", "-o", "json"}).out);
  CHECK(listed.empty());
}
