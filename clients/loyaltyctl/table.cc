// File: clients/loyaltyctl/table.cc

#include "clients/loyaltyctl/table.h"

#include <algorithm>
#include <utility>

#include "clients/loyaltyctl/check.h"

namespace loyalty::ctl {
namespace {

constexpr char kColumnGap[] = "  ";

}  // namespace

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

void Table::AddRow(std::vector<std::string> cells) {
  LOYALTYCTL_CHECK(cells.size() == columns_.size());
  rows_.push_back(std::move(cells));
}

void Table::Print(std::ostream& out) const {
  std::vector<std::string> header;
  std::vector<size_t> widths;
  for (const Column& column : columns_) {
    header.push_back(column.header);
    widths.push_back(column.header.size());
  }
  for (const std::vector<std::string>& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  PrintRow(out, header, widths);
  for (const std::vector<std::string>& row : rows_) PrintRow(out, row, widths);
}

void Table::PrintRow(std::ostream& out, const std::vector<std::string>& cells,
                     const std::vector<size_t>& widths) const {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line += kColumnGap;
    const std::string padding(widths[i] - cells[i].size(), ' ');
    if (columns_[i].align == Align::kRight) {
      line += padding + cells[i];
    } else {
      line += cells[i] + padding;
    }
  }
  // Left-aligned last columns leave padding at the end of the line.
  line.erase(line.find_last_not_of(' ') + 1);
  out << line << '\n';
}

void PrintFields(std::ostream& out, const std::vector<Field>& fields) {
  size_t label_width = 0;
  for (const Field& field : fields) {
    label_width = std::max(label_width, field.label.size());
  }
  for (const Field& field : fields) {
    const std::string padding(label_width - field.label.size(), ' ');
    out << field.label << ":" << padding << kColumnGap << field.value << '\n';
  }
}

}  // namespace loyalty::ctl
