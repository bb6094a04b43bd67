// What omni says is spelled one way: "canceled" (as the stored status
// CANCELED is), in every message of the CLI, the daemon, the widget and the
// assistant. Only RFC 5545's STATUS:CANCELLED, the parser's accepted alias
// and the webhook event appointment.cancelled (named so by issue 16) keep
// the other spelling.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

namespace fs = std::filesystem;

TEST_CASE("every message spells canceled one way", "[unit][wording]") {
  const std::regex literal(R"("(?:[^"\\]|\\.)*")");
  const std::regex other_spelling("cancelled", std::regex::icase);
  const std::regex event_name("appointment\\.cancelled");
  int files = 0;
  for (const char* folder : {"cmd", "core", "daemon"}) {
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(OMNI_SOURCE_DIR) / folder)) {
      const std::string ext = entry.path().extension().string();
      if (ext != ".cpp" && ext != ".hpp" && ext != ".js" && ext != ".html") continue;
      ++files;
      std::ifstream in(entry.path());
      int number = 0;
      for (std::string line; std::getline(in, line);) {
        ++number;
        for (std::sregex_iterator it(line.begin(), line.end(), literal), end; it != end; ++it) {
          const std::string text = std::regex_replace(it->str(), event_name, "appointment.<event>");
          if (text == "\"STATUS:CANCELLED\"" || text == "\"cancelled\"") continue;
          INFO(entry.path().string() << ":" << number << ": " << text);
          CHECK_FALSE(std::regex_search(text, other_spelling));
        }
      }
    }
  }
  CHECK(files > 50);
}
