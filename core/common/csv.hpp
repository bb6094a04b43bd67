// RFC 4180 CSV: CsvLine writes one record, and a reader reads records
// from a stream one at a time, in memory bounded by the longest record. Accepts a UTF-8 byte order mark, CRLF or
// LF line ends, quoted fields with doubled quotes, and line breaks inside
// quotes. Not thread-safe: one reader per stream.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

namespace omni {

struct CsvRecord {
  std::vector<std::string> fields;
  long long line = 0;  // the line where the record starts, from 1
};

class CsvReader {
 public:
  // The longest record accepted, in bytes: a file with a quote never
  // closed would otherwise be read whole into one field.
  static constexpr std::size_t kMaxRecordBytes = 1 << 20;

  // `in` must outlive the reader. `source` names it in errors.
  CsvReader(std::istream& in, std::string source);

  // Reads the next record into `record`; false at the end of the input.
  // A blank line is skipped. Throws InvalidInput naming the source and line
  // for a quote never closed, a quote inside an unquoted field, text after
  // a closing quote, bytes that are not UTF-8, or a record over
  // kMaxRecordBytes.
  bool Next(CsvRecord& record);

 private:
  [[noreturn]] void Fail(long long line, const std::string& problem) const;

  std::istream& in_;
  std::string source_;
  long long line_ = 1;  // the line the next character is on
  bool at_start_ = true;
};

// One record: the fields joined by ',', each quoted (with '"' doubled)
// when it holds ',', '"', CR or LF, and ended by CRLF.
std::string CsvLine(const std::vector<std::string>& fields);

}  // namespace omni
