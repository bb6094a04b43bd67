// OmnidRunner; see omnid_runner.hpp.
#include "tests/support/omnid_runner.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>

namespace omni::test {

OmnidRunner::OmnidRunner(const std::string& database_url, const std::string& extra_yaml, const std::string& server_yaml,
                         const OmnidLogging& logging) {
  config_path_ = dir_.Write(
      "omni.yaml", "database:\n  url: \"" + database_url + "\"\nserver:\n  listen: 127.0.0.1:0\n" + server_yaml +
                       extra_yaml + "logging:\n  level: " + logging.level + "\n  format: " + logging.format + "\n");
  process_ = std::make_unique<Process>(OMNID_PATH, ProcessOptions{.args = {"--config", config_path_}});
  const bool started = process_->WaitForStdout("omnid listening on http://127.0.0.1:", std::chrono::seconds(60));
  INFO("stdout: " << process_->Stdout() << "\nstderr: " << process_->Stderr());
  REQUIRE(started);
  std::smatch match;
  const std::string out = process_->Stdout();
  REQUIRE(std::regex_search(out, match, std::regex(R"(http://127\.0\.0\.1:(\d+))")));
  port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
}

std::vector<nlohmann::json> OmnidRunner::LogLines() const {
  std::vector<nlohmann::json> lines;
  const std::string text = process_->Stderr();
  std::istringstream in(text.substr(0, text.rfind('\n') + 1));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

}  // namespace omni::test
