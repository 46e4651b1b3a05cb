// File: clients/loyaltyctl/table.h
//
// Aligned text for people: a Table with a header row, and PrintFields for
// "label: value" blocks.
//
//   Table table({{"SEQUENCE", Table::Align::kRight},
//                {"KIND", Table::Align::kLeft}});
//   table.AddRow({"42", "earn"});
//   table.Print(std::cout);
//
// Widths count bytes, so cells with multi-byte UTF-8 may lean a little.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_TABLE_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_TABLE_H_

#include <ostream>
#include <string>
#include <vector>

namespace loyalty::ctl {

class Table {
 public:
  enum class Align { kLeft, kRight };
  struct Column {
    std::string header;
    Align align;
  };

  explicit Table(std::vector<Column> columns);

  // REQUIRES: cells.size() equals the number of columns.
  void AddRow(std::vector<std::string> cells);

  bool empty() const { return rows_.empty(); }

  // Writes the header and every row, each column as wide as its widest cell,
  // columns two spaces apart, no trailing blanks.
  void Print(std::ostream& out) const;

 private:
  void PrintRow(std::ostream& out, const std::vector<std::string>& cells,
                const std::vector<size_t>& widths) const;

  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

struct Field {
  std::string label;
  std::string value;
};

// Writes "label:" padded to the longest label, then the value, one per line:
//   member:     m-17
//   available:  120 points
void PrintFields(std::ostream& out, const std::vector<Field>& fields);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_TABLE_H_
