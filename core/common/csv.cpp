// RFC 4180 CSV records, read a character at a time.
#include "core/common/csv.hpp"

#include <istream>

#include "core/common/error.hpp"
#include "core/common/utf8.hpp"

namespace omni {

CsvReader::CsvReader(std::istream& in, std::string source) : in_(in), source_(std::move(source)) {}

void CsvReader::Fail(long long line, const std::string& problem) const {
  throw InvalidInput(source_ + ", line " + std::to_string(line) + ": " + problem,
                     "Save the file as CSV (comma-separated, UTF-8) and check its quotes.");
}

bool CsvReader::Next(CsvRecord& record) {
  if (at_start_) {
    at_start_ = false;
    // A UTF-8 byte order mark, as spreadsheet programs write, is not data.
    if (in_.peek() == 0xEF) {
      char bom[3];
      in_.read(bom, 3);
      if (in_.gcount() != 3 || static_cast<unsigned char>(bom[1]) != 0xBB ||
          static_cast<unsigned char>(bom[2]) != 0xBF) {
        Fail(1, "the file starts with bytes that are not UTF-8");
      }
    }
  }
  record.fields.clear();
  record.line = line_;
  if (in_.peek() == std::char_traits<char>::eof()) return false;
  std::string field;
  std::size_t bytes = 0;
  bool quoted = false;      // inside quotes
  bool was_quoted = false;  // this field began with a quote
  bool after_quote = false; // the closing quote was read
  bool any = false;         // the record has content (not a blank line)
  const auto finish_field = [&] {
    if (FindInvalidUtf8(field) != std::string::npos) Fail(record.line, "a field is not valid UTF-8");
    record.fields.push_back(std::move(field));
    field.clear();
    was_quoted = after_quote = false;
  };
  for (;;) {
    const int c = in_.get();
    if (c == std::char_traits<char>::eof()) {
      if (quoted) Fail(record.line, "a quoted field is never closed");
      if (!any && record.fields.empty() && field.empty() && !was_quoted) return false;
      finish_field();
      return true;
    }
    if (++bytes > kMaxRecordBytes) {
      Fail(record.line, "the record is longer than " + std::to_string(kMaxRecordBytes) + " bytes");
    }
    const char ch = static_cast<char>(c);
    if (quoted) {
      if (ch == '"') {
        if (in_.peek() == '"') {
          in_.get();
          field += '"';
        } else {
          quoted = false;
          after_quote = true;
        }
      } else {
        if (ch == '\n') ++line_;
        field += ch;
      }
      continue;
    }
    if (ch == ',') {
      any = true;
      finish_field();
      continue;
    }
    if (ch == '\r' || ch == '\n') {
      if (ch == '\r' && in_.peek() == '\n') in_.get();
      ++line_;
      if (!any && record.fields.empty() && field.empty() && !was_quoted) {
        record.line = line_;  // a blank line
        bytes = 0;
        continue;
      }
      finish_field();
      return true;
    }
    any = true;
    if (after_quote) Fail(line_, "text after a closing quote: write a quote inside a quoted field as \"\"");
    if (ch == '"') {
      if (!field.empty()) Fail(line_, "a quote inside an unquoted field: quote the whole field");
      quoted = was_quoted = true;
      continue;
    }
    field += ch;
  }
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) line += ',';
    const std::string& field = fields[i];
    if (field.find_first_of(",\"\r\n") == std::string::npos) {
      line += field;
      continue;
    }
    line += '"';
    for (char c : field) {
      if (c == '"') line += '"';
      line += c;
    }
    line += '"';
  }
  return line + "\r\n";
}

}  // namespace omni
