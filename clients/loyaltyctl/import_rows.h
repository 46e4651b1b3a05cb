// File: clients/loyaltyctl/import_rows.h
//
// The rows of a legacy balance import (`loyaltyctl import`): which columns a
// file has, what a valid row is, how a bad one is reported, and the request
// id a row is imported under. Pure functions over CsvRecords; no I/O.
//
// Columns (named in the header, in any order; names are trimmed and compared
// without regard to case):
//   card_number     required  4..32 digits, kept as written (leading zeros
//                             count)
//   phone           optional  any notation; the server reads it (numbers
//                             without +country code in the program's region)
//   balance_points  required  digits only, 0..10^12
//   earned_on       optional  YYYY-MM-DD, a real date from 1970 on, not in
//                             the future
// Values are trimmed of spaces and tabs. An empty optional value means
// "none".

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_IMPORT_ROWS_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_IMPORT_ROWS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "clients/loyaltyctl/import_csv_reader.h"

namespace loyalty::ctl {

inline constexpr int kImportCardDigitsMin = 4;
inline constexpr int kImportCardDigitsMax = 32;
inline constexpr int64_t kImportBalancePointsMax = 1'000'000'000'000;  // 10^12
// The server reads no longer phone notation (and a call must stay small).
inline constexpr size_t kImportPhoneBytesMax = 64;
inline constexpr size_t kImportNameLengthMax = 32;

enum class ImportColumn { kCardNumber = 0, kPhone, kBalancePoints, kEarnedOn };
inline constexpr int kImportColumnCount = 4;

// "card_number", "phone", "balance_points", "earned_on".
absl::string_view ImportColumnName(ImportColumn column);

// Where each column is in a record.
struct ImportHeader {
  // Line of the header in the file.
  int64_t line = 0;
  // Field index of each column (by ImportColumn), or -1 when the file has
  // no such (optional) column.
  std::array<int64_t, kImportColumnCount> field_index = {-1, -1, -1, -1};
  // Fields every row must have.
  int64_t field_count = 0;

  bool has(ImportColumn column) const {
    return field_index[static_cast<int>(column)] >= 0;
  }
};

// One bad row (or the bad header): printed as
//   FILE:LINE: column COLUMN: REASON     (a value is wrong)
//   FILE:LINE: REASON                    (the row as a whole is wrong)
struct RowProblem {
  int64_t line = 0;
  // An ImportColumnName, or empty when no one column is at fault.
  std::string column;
  std::string reason;
};

std::string FormatRowProblem(absl::string_view file, const RowProblem& problem);

// A value as problems quote it: in double quotes, C-escaped so the problem
// stays one printable line, cut after 40 bytes ("...").
std::string QuoteValue(absl::string_view value);

// A row that passed the local checks.
struct ImportRow {
  int64_t line = 0;
  std::string card_number;
  std::string phone;  // Empty: none.
  int64_t balance_points = 0;
  std::string earned_on;  // Empty: none; else a valid YYYY-MM-DD.
};

// Reads the header record. Returns the problem (column empty, reason
// starting "header: ") when a name is unknown or repeated, a required column
// is missing, or the record is malformed.
std::optional<RowProblem> ParseImportHeader(const CsvRecord& record,
                                            ImportHeader* header);

struct RowCheckOptions {
  // The latest calendar day it is anywhere on Earth now (today in UTC+14).
  // An earned_on after it is in the future in every time zone; one on it may
  // still be, in the program's zone, which the server checks.
  absl::CivilDay latest_today;
};

// The options for the current time.
RowCheckOptions RowCheckOptionsNow();

// Checks one data record against the header. Returns the row when it is
// valid; otherwise appends one problem per bad value (or one for the whole
// record: wrong field count, malformed CSV) to *problems and returns nullopt.
std::optional<ImportRow> CheckImportRecord(const CsvRecord& record,
                                           const ImportHeader& header,
                                           const RowCheckOptions& options,
                                           std::vector<RowProblem>* problems);

// The value of `column` in `record`, trimmed; "" when the file has no such
// column. REQUIRES: the record has no defect and the header's field count.
absl::string_view ImportValue(const CsvRecord& record,
                              const ImportHeader& header, ImportColumn column);

// Whether `card_number` is 4..32 digits.
bool IsImportCardNumber(absl::string_view card_number);

// A card number in 128 bits, one-to-one (its length is part of it, so
// "0042" and "042" differ), for finding repeated cards among millions
// without keeping their text. REQUIRES: `card_number` is 1..32 digits.
absl::uint128 CardKey(absl::string_view card_number);

// Checks an import's --name: 1..32 of [A-Za-z0-9._-]. The message names the
// flag.
absl::Status CheckImportName(absl::string_view name);

// The request id of a row: "import:" NAME ":" CARD. It depends on the card
// alone, never on the line, so re-running a file (after a crash, fixed, or
// sorted differently) sends each card under the id it had before and the
// server credits it at most once. REQUIRES: CheckImportName(name) is OK and
// the card is valid; the id is then at most 72 printable ASCII characters.
std::string ImportRequestId(absl::string_view name,
                            absl::string_view card_number);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_IMPORT_ROWS_H_
