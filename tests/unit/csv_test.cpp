// The RFC 4180 reader: quoting, embedded line breaks and their line
// numbers, a byte order mark, CRLF, blank lines, and malformed input named
// by line.
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/common/csv.hpp"
#include "core/common/error.hpp"

namespace omni {
namespace {

std::vector<CsvRecord> ReadAll(const std::string& text) {
  std::istringstream in(text);
  CsvReader reader(in, "people.csv");
  std::vector<CsvRecord> records;
  CsvRecord record;
  while (reader.Next(record)) records.push_back(record);
  return records;
}

std::string ErrorOf(const std::string& text) {
  try {
    ReadAll(text);
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "";
}

using Fields = std::vector<std::string>;

}  // namespace

TEST_CASE("csv: plain and quoted fields, doubled quotes, empty fields", "[csv]") {
  const auto records = ReadAll("a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\n,,\"\"\n");
  REQUIRE(records.size() == 3);
  CHECK(records[0].fields == Fields{"a", "b", "c"});
  CHECK(records[1].fields == Fields{"x, y", "say \"hi\"", ""});
  CHECK(records[2].fields == Fields{"", "", ""});
}

TEST_CASE("csv: a line break inside quotes stays in the field, and lines count on", "[csv]") {
  const auto records = ReadAll("name,notes\r\nAnn,\"line one\r\nline two\nline three\"\r\nBob,x\r\n");
  REQUIRE(records.size() == 3);
  CHECK(records[1].fields == Fields{"Ann", "line one\r\nline two\nline three"});
  CHECK(records[1].line == 2);
  CHECK(records[2].line == 5);
  CHECK(records[2].fields == Fields{"Bob", "x"});
}

TEST_CASE("csv: a byte order mark is skipped, blank lines too, and the last line needs no line end", "[csv]") {
  const auto records = ReadAll("\xEF\xBB\xBF" "email\n\nann@example.com\n\r\nbob@example.com");
  REQUIRE(records.size() == 3);
  CHECK(records[0].fields == Fields{"email"});
  CHECK(records[1].line == 3);
  CHECK(records[2].line == 5);
  CHECK(records[2].fields == Fields{"bob@example.com"});
  CHECK(ReadAll("").empty());
  CHECK(ReadAll("\xEF\xBB\xBF").empty());
}

TEST_CASE("csv: malformed input is an error naming the line", "[csv]") {
  CHECK(ErrorOf("a\nb\n\"never closed\nc\n") == "people.csv, line 3: a quoted field is never closed");
  CHECK(ErrorOf("a\nab\"c\n") == "people.csv, line 2: a quote inside an unquoted field: quote the whole field");
  CHECK(ErrorOf("a\n\"x\"y\n").find("line 2: text after a closing quote") != std::string::npos);
  CHECK(ErrorOf("a\nb\n\xff\n") == "people.csv, line 3: a field is not valid UTF-8");
  CHECK(ErrorOf("\"" + std::string(CsvReader::kMaxRecordBytes + 1, 'x')).find("line 1: the record is longer") !=
        std::string::npos);
}

TEST_CASE("csv: a written record quotes what needs it and reads back the same", "[csv]") {
  const Fields fields = {"plain", "a, b", "say \"hi\"", "two\nlines", "", "cr\r"};
  const std::string line = CsvLine(fields);
  CHECK(line == "plain,\"a, b\",\"say \"\"hi\"\"\",\"two\nlines\",,\"cr\r\"\r\n");
  const auto records = ReadAll(line + CsvLine({"x"}));
  REQUIRE(records.size() == 2);
  CHECK(records[0].fields == fields);
  CHECK(records[1].fields == Fields{"x"});
}

}  // namespace omni
