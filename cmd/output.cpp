// Rendering of command results for terminals, pipes, JSON and CSV.
#include "cmd/output.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "core/common/csv.hpp"
#include "core/common/error.hpp"

namespace omni::cli {
namespace {

// Display width of UTF-8 text, counting code points (continuation bytes skipped).
std::size_t DisplayWidth(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Tabs and newlines would break the line-per-row contract of piped output.
std::string OneLine(std::string text) {
  std::replace(text.begin(), text.end(), '\t', ' ');
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

void PrintCsvRow(const std::vector<std::string>& cells) { std::cout << CsvLine(cells); }

std::vector<std::string> RowCells(const std::vector<Column>& columns, const nlohmann::json& row) {
  std::vector<std::string> cells;
  cells.reserve(columns.size());
  for (const auto& column : columns) {
    cells.push_back(row.contains(column.key) ? CellText(row.at(column.key)) : std::string());
  }
  return cells;
}

}  // namespace

RowStream::RowStream(Format format, std::vector<Column> columns)
    : json_(format == Format::kJson), columns_(std::move(columns)) {
  if (json_) {
    std::cout << "[";
    return;
  }
  std::vector<std::string> header;
  for (const auto& column : columns_) header.push_back(column.key);
  PrintCsvRow(header);
}

RowStream::~RowStream() { Close(); }

void RowStream::Row(const nlohmann::json& row) {
  if (closed_) return;
  if (json_) {
    std::cout << (rows_ == 0 ? "\n  " : ",\n  ") << row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    PrintCsvRow(RowCells(columns_, row));
  }
  ++rows_;
}

void RowStream::Close() {
  if (closed_) return;
  closed_ = true;
  if (json_) std::cout << (rows_ == 0 ? "]\n" : "\n]\n");
  std::cout.flush();
}

Format ParseFormat(const std::string& name) {
  if (name == "table") return Format::kTable;
  if (name == "json") return Format::kJson;
  if (name == "csv") return Format::kCsv;
  throw InvalidInput("unknown output format \"" + name + "\"", "Use one of table, json or csv.");
}

std::string CellText(const nlohmann::json& value) {
  if (value.is_null()) return {};
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string joined;
    for (const auto& item : value) {
      if (!joined.empty()) joined += ",";
      joined += CellText(item);
    }
    return joined;
  }
  return value.dump();
}

Output::Output(Format format, bool quiet)
    : format_(format),
      quiet_(quiet),
      stdout_tty_(isatty(STDOUT_FILENO) == 1),
      stderr_tty_(isatty(STDERR_FILENO) == 1),
      color_(std::getenv("NO_COLOR") == nullptr && std::getenv("TERM") != nullptr &&
             std::string(std::getenv("TERM")) != "dumb") {}

void Output::List(const std::vector<Column>& columns, const nlohmann::json& rows) const {
  if (format_ == Format::kJson) {
    std::cout << (rows.is_array() ? rows : nlohmann::json::array()).dump(2) << '\n';
    return;
  }
  if (format_ == Format::kCsv) {
    std::vector<std::string> header;
    for (const auto& column : columns) header.push_back(column.key);
    PrintCsvRow(header);
    for (const auto& row : rows) PrintCsvRow(RowCells(columns, row));
    return;
  }
  std::vector<std::vector<std::string>> cells;
  for (const auto& row : rows) {
    auto line = RowCells(columns, row);
    for (auto& cell : line) cell = OneLine(cell);
    cells.push_back(std::move(line));
  }
  if (!stdout_tty_) {
    for (const auto& line : cells) {
      for (std::size_t i = 0; i < line.size(); ++i) std::cout << (i ? "\t" : "") << line[i];
      std::cout << '\n';
    }
    return;
  }
  if (cells.empty()) {
    Status("no results");
    return;
  }
  std::vector<std::size_t> widths;
  for (const auto& column : columns) widths.push_back(DisplayWidth(column.header));
  for (const auto& line : cells) {
    for (std::size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(line[i]));
  }
  auto print_line = [&](const std::vector<std::string>& line, bool header) {
    std::string text;
    for (std::size_t i = 0; i < line.size(); ++i) {
      std::string cell = line[i];
      if (i + 1 < line.size()) cell += std::string(widths[i] - DisplayWidth(line[i]) + 2, ' ');
      text += cell;
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    std::cout << (header && color_ ? "\033[1m" + text + "\033[0m" : text) << '\n';
  };
  std::vector<std::string> header;
  for (const auto& column : columns) header.push_back(column.header);
  print_line(header, true);
  for (const auto& line : cells) print_line(line, false);
}

void Output::StreamBegin(const std::vector<Column>& columns) const {
  stream_started_ = false;
  if (format_ == Format::kJson) {
    std::cout << "[";
    return;
  }
  std::vector<std::string> header;
  for (const auto& column : columns) header.push_back(format_ == Format::kCsv ? column.key : column.header);
  if (format_ == Format::kCsv) {
    PrintCsvRow(header);
  } else if (stdout_tty_) {
    std::string text;
    for (std::size_t i = 0; i < header.size(); ++i) text += (i ? "\t" : "") + header[i];
    std::cout << (color_ ? "\033[1m" + text + "\033[0m" : text) << '\n';
  }
}

void Output::StreamRow(const std::vector<Column>& columns, const nlohmann::json& row) const {
  if (format_ == Format::kJson) {
    std::cout << (stream_started_ ? ",\n" : "\n") << row.dump();
  } else if (format_ == Format::kCsv) {
    PrintCsvRow(RowCells(columns, row));
  } else {
    const auto cells = RowCells(columns, row);
    for (std::size_t i = 0; i < cells.size(); ++i) std::cout << (i ? "\t" : "") << OneLine(cells[i]);
    std::cout << '\n';
  }
  stream_started_ = true;
}

void Output::StreamEnd() const {
  if (format_ == Format::kJson) std::cout << (stream_started_ ? "\n]\n" : "]\n");
  std::cout.flush();
}

void Output::Record(const std::vector<Column>& fields, const nlohmann::json& record) const {
  if (format_ == Format::kJson) {
    Json(record);
    return;
  }
  if (format_ == Format::kCsv) {
    List(fields, nlohmann::json::array({record}));
    return;
  }
  std::size_t width = 0;
  for (const auto& field : fields) width = std::max(width, DisplayWidth(field.header));
  for (const auto& field : fields) {
    std::string value = record.contains(field.key) ? CellText(record.at(field.key)) : std::string();
    std::string label = field.header + ":";
    if (stdout_tty_) label += std::string(width - DisplayWidth(field.header) + 1, ' ');
    else label += "\t";
    std::cout << (stdout_tty_ && color_ ? "\033[1m" + label + "\033[0m" : label) << value << '\n';
  }
}

void Output::Json(const nlohmann::json& document) const { std::cout << document.dump(2) << '\n'; }

void Output::Text(const std::string& text) const { std::cout << text; }

void Output::Gap() const { std::cout << '\n'; }

void Output::Status(const std::string& line) const {
  if (!quiet_) std::cerr << line << '\n';
}

void Output::TimesIn(const std::string& time_zone) const {
  if (format_ != Format::kJson) Status("times in " + time_zone);
}

void Output::Warn(const std::string& line) const { std::cerr << line << '\n'; }

std::string Output::Green(const std::string& text) const {
  return color_ && stderr_tty_ ? "\033[32m" + text + "\033[0m" : text;
}
std::string Output::Red(const std::string& text) const {
  return color_ && stderr_tty_ ? "\033[31m" + text + "\033[0m" : text;
}
std::string Output::Bold(const std::string& text) const {
  return color_ && stderr_tty_ ? "\033[1m" + text + "\033[0m" : text;
}

}  // namespace omni::cli
