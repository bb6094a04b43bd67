// Rendering of command results, following gh: data to stdout, status to
// stderr. On a terminal a list is an aligned table; piped, it is
// tab-separated with no header and no colour. `-o json` prints a list as an
// array of objects and a single record as one object, with stable snake_case
// fields; `-o csv` prints a header row and RFC 4180 quoting.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace omni::cli {

enum class Format { kTable, kJson, kCsv };

struct Column {
  std::string key;     // field in each row object
  std::string header;  // shown on a terminal; upper-case by convention
};

class Output {
 public:
  // Detects whether stdout/stderr are terminals and honours NO_COLOR.
  Output(Format format, bool quiet);

  Format format() const { return format_; }
  bool stdout_is_tty() const { return stdout_tty_; }
  bool stderr_is_tty() const { return stderr_tty_; }

  // A list result. `rows` is a JSON array of objects; json prints every
  // field, table and csv print `columns` in order.
  void List(const std::vector<Column>& columns, const nlohmann::json& rows) const;
  // A list written row by row, for results too large to hold in memory
  // (exports): csv and piped output print each row as it comes, json an
  // array with one object per line; a terminal gets a bold header and
  // tab-separated rows, since aligning would need every row first.
  void StreamBegin(const std::vector<Column>& columns) const;
  void StreamRow(const std::vector<Column>& columns, const nlohmann::json& row) const;
  void StreamEnd() const;
  // A single record; table prints aligned "key: value" lines.
  void Record(const std::vector<Column>& fields, const nlohmann::json& record) const;
  // A JSON document on stdout, whatever the format (for -o json results
  // that are neither a list nor a flat record).
  void Json(const nlohmann::json& document) const;
  // Data on stdout exactly as given (an .ics file, a summary line).
  void Text(const std::string& text) const;
  // A blank line on stdout between two parts of a table result.
  void Gap() const;
  // A status line on stderr, unless -q.
  void Status(const std::string& line) const;
  // Says on stderr, unless -q or json (whose records carry time_zone), that
  // the times shown are local to the business: "times in Europe/Paris".
  void TimesIn(const std::string& time_zone) const;
  // A warning on stderr, even with -q.
  void Warn(const std::string& line) const;
  // Colours `text` green/red/yellow/bold when stderr or stdout is a colour tty.
  std::string Green(const std::string& text) const;
  std::string Red(const std::string& text) const;
  std::string Bold(const std::string& text) const;

 private:
  Format format_;
  bool quiet_;
  bool stdout_tty_;
  bool stderr_tty_;
  bool color_;
  mutable bool stream_started_ = false;  // a row was streamed (json needs commas)
};

// A list written to stdout one row at a time, so an export of any size
// runs in constant memory: csv prints its header first, json an array
// with one object per line. A table cannot be aligned before its last
// row, so kTable streams as csv. Close() ends the list (the destructor
// does too, for an early return); rows after Close() are ignored.
class RowStream {
 public:
  RowStream(Format format, std::vector<Column> columns);
  ~RowStream();
  RowStream(const RowStream&) = delete;
  RowStream& operator=(const RowStream&) = delete;
  // `row` is an object; json prints every field, csv the columns.
  void Row(const nlohmann::json& row);
  void Close();

 private:
  bool json_;
  std::vector<Column> columns_;
  long long rows_ = 0;
  bool closed_ = false;
};

// Parses "table", "json" or "csv"; throws InvalidInput otherwise.
Format ParseFormat(const std::string& name);
// A cell as text: strings as they are, null as "", others dumped.
std::string CellText(const nlohmann::json& value);

}  // namespace omni::cli
