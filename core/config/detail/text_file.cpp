// Bounded, UTF-8-checked reading of config and business files.
#include "core/config/detail/text_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "core/common/error.hpp"
#include "core/common/utf8.hpp"

namespace omni::config::detail {

std::string ReadTextFile(const std::string& path, const std::string& label, const std::string& unreadable_hint) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ConfigError("could not read " + label + ": " + std::strerror(errno), unreadable_hint);
  // One byte past the limit tells a file at the limit from a larger one.
  std::string text(kMaxFileBytes + 1, '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (file.bad()) throw ConfigError("could not read " + label + ": " + std::strerror(errno), unreadable_hint);
  const auto size = static_cast<std::size_t>(file.gcount());
  if (size > kMaxFileBytes) {
    throw ConfigError(label + " is larger than the limit of 1 MiB",
                      "Check the path: settings and business files are a few kilobytes; long texts belong in "
                      "the knowledge base (omni ingest).");
  }
  text.resize(size);
  return text;
}

void CheckUtf8(std::string_view text, const std::string& source) {
  const std::size_t bad = FindInvalidUtf8(text);
  if (bad == std::string_view::npos) return;
  std::size_t line = 1;
  std::size_t column_start = 0;
  for (std::size_t i = 0; i < bad; ++i) {
    if (text[i] == '\n') {
      ++line;
      column_start = i + 1;
    }
  }
  const std::size_t column = CountChars(text.substr(column_start, bad - column_start)) + 1;
  char byte[8];
  std::snprintf(byte, sizeof(byte), "0x%02X", static_cast<unsigned char>(text[bad]));
  throw ConfigError(source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": byte " + byte +
                        " is not valid UTF-8",
                    "Save the file as UTF-8, for example with iconv -f latin1 -t utf-8.");
}

}  // namespace omni::config::detail
