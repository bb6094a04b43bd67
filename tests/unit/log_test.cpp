// Logging: level parsing, text field rendering, and the lines actually
// written to stderr in both formats.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "core/common/error.hpp"
#include "core/common/executor.hpp"
#include "core/common/log.hpp"

namespace {

// Sends stderr to a temp file while alive; Lines() reads what was written.
class StderrCapture {
 public:
  StderrCapture() {
    char path[] = "/tmp/omni-log-test-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    path_ = path;
    std::fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
  ~StderrCapture() {
    Restore();
    std::remove(path_.c_str());
  }
  std::vector<std::string> Lines() {
    Restore();
    std::ifstream in(path_);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

 private:
  void Restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    saved_ = -1;
  }
  std::string path_;
  int saved_ = -1;
};

}  // namespace

TEST_CASE("log levels parse from their config names", "[unit][log]") {
  using omni::log::Level;
  CHECK(omni::log::ParseLevel("trace") == Level::kTrace);
  CHECK(omni::log::ParseLevel("debug") == Level::kDebug);
  CHECK(omni::log::ParseLevel("info") == Level::kInfo);
  CHECK(omni::log::ParseLevel("warn") == Level::kWarn);
  CHECK(omni::log::ParseLevel("warning") == Level::kWarn);
  CHECK(omni::log::ParseLevel("error") == Level::kError);
  CHECK(omni::log::ParseLevel("off") == Level::kOff);
  CHECK_FALSE(omni::log::ParseLevel("INFO"));
  CHECK_FALSE(omni::log::ParseLevel("verbose"));
}

TEST_CASE("text log fields render as key=value, quoted when needed", "[unit][log]") {
  const nlohmann::json fields = {
      {"status", 200}, {"path", "/healthz"}, {"error", "connection refused"}, {"ok", true}, {"empty", ""},
      {"quote", "a\"b"}};
  CHECK(omni::log::FormatTextFields(fields) ==
        R"( empty="" error="connection refused" ok=true path=/healthz quote="a\"b" status=200)");
  CHECK(omni::log::FormatTextFields(nlohmann::json()).empty());
}

TEST_CASE("log setup rejects unknown levels and formats", "[unit][log]") {
  CHECK_THROWS_AS(omni::log::Setup({.level = "loud", .format = "text"}, "t"), omni::ConfigError);
  CHECK_THROWS_WITH(omni::log::Setup({.level = "loud", .format = "text"}, "t"),
                    Catch::Matchers::Contains("logging.level: unknown level \"loud\""));
  CHECK_THROWS_AS(omni::log::Setup({.level = "info", .format = "xml"}, "t"), omni::ConfigError);
  CHECK_THROWS_WITH(omni::log::Setup({.level = "info", .format = "xml"}, "t"),
                    Catch::Matchers::Contains("logging.format: unknown format \"xml\""));
}

TEST_CASE("json logs are one object per line with ts, level, msg and fields", "[unit][log]") {
  std::vector<std::string> lines;
  {
    StderrCapture capture;
    omni::log::Setup({.level = "info", .format = "json"}, "omnid");
    omni::log::Info("request", {{"request_id", "r1"}, {"status", 200}, {"msg", "cannot override"}});
    omni::log::Debug("hidden below the level");
    omni::log::Warn("bad bytes", {{"value", std::string("a\xff") + "b"}});
    omni::log::Error("plain");
    lines = capture.Lines();
  }
  omni::log::Setup({.level = "info", .format = "text"}, "test");
  REQUIRE(lines.size() == 3);
  const auto first = nlohmann::json::parse(lines[0]);
  CHECK(first["msg"] == "request");
  CHECK(first["level"] == "info");
  CHECK(first["request_id"] == "r1");
  CHECK(first["status"] == 200);
  CHECK(std::regex_match(first["ts"].get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  const auto second = nlohmann::json::parse(lines[1]);
  CHECK(second["level"] == "warn");
  CHECK(second["value"] == "a\xEF\xBF\xBD" "b");  // invalid UTF-8 replaced, not thrown
  const auto third = nlohmann::json::parse(lines[2]);
  CHECK(third["level"] == "error");
  CHECK(third.size() == 3);
}

TEST_CASE("text logs carry time, level, program, message and fields", "[unit][log]") {
  std::vector<std::string> lines;
  {
    StderrCapture capture;
    omni::log::Setup({.level = "debug", .format = "text"}, "omnid");
    omni::log::Debug("starting", {{"version", "omnid 0.1.0"}});
    lines = capture.Lines();
  }
  omni::log::Setup({.level = "info", .format = "text"}, "test");
  REQUIRE(lines.size() == 1);
  CHECK(std::regex_match(lines[0], std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z debug omnid: starting version="omnid 0\.1\.0")")));
}

namespace {
struct OddFailure {};  // not derived from std::exception
}  // namespace

TEST_CASE("a failing blocking task is logged with what failed and its exception type", "[unit][log]") {
  std::vector<std::string> lines;
  {
    StderrCapture capture;
    omni::log::Setup({.level = "info", .format = "json"}, "omnid");
    {
      omni::ThreadPoolExecutor executor(1);
      executor.Post([] { throw omni::NotFound("customer \"x\" not found"); });
      executor.Post([] { throw OddFailure{}; });
    }
    lines = capture.Lines();
  }
  omni::log::Setup({.level = "info", .format = "text"}, "test");
  REQUIRE(lines.size() == 2);
  const auto first = nlohmann::json::parse(lines[0]);
  CHECK(first["msg"] == "blocking task failed");
  CHECK(first["error"] == "customer \"x\" not found");
  CHECK(first["exception"] == "omni::NotFound");
  const auto second = nlohmann::json::parse(lines[1]);
  CHECK(second["exception"].get<std::string>().find("OddFailure") != std::string::npos);
}
