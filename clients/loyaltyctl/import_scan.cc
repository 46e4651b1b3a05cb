// File: clients/loyaltyctl/import_scan.cc

#include "clients/loyaltyctl/import_scan.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace loyalty::ctl {
namespace {

// How often the scan reports progress.
constexpr int64_t kProgressEveryRows = 4096;

// A card seen on a line. Two 64-bit halves rather than an absl::uint128, whose
// 16-byte alignment would pad this to 32 bytes.
struct CardSeen {
  uint64_t key_high;
  uint64_t key_low;
  int64_t line;

  bool operator<(const CardSeen& other) const {
    return std::tie(key_high, key_low, line) <
           std::tie(other.key_high, other.key_low, other.line);
  }
  bool SameCard(const CardSeen& other) const {
    return key_high == other.key_high && key_low == other.key_low;
  }
};
static_assert(sizeof(CardSeen) == 24);

// Reports every line whose card appeared on an earlier line, naming the
// first such line. Sorting once costs less memory than a hash set of
// millions of cards.
void FindRepeatedCards(std::vector<CardSeen> cards,
                       std::vector<RowProblem>* problems) {
  std::sort(cards.begin(), cards.end());
  for (size_t first = 0; first < cards.size();) {
    size_t next = first + 1;
    for (; next < cards.size() && cards[next].SameCard(cards[first]); ++next) {
      problems->push_back(RowProblem{
          cards[next].line, std::string(ImportColumnName(ImportColumn::kCardNumber)),
          absl::StrCat("the same card as line ", cards[first].line,
                       " (a card may appear on one line only)")});
    }
    first = next;
  }
}

// Sorts the problems by line (keeping a row's problems in column order) and
// lists their lines.
void SortProblems(ImportScan* scan) {
  std::stable_sort(scan->problems.begin(), scan->problems.end(),
                   [](const RowProblem& a, const RowProblem& b) {
                     return a.line < b.line;
                   });
  for (const RowProblem& problem : scan->problems) {
    if (scan->bad_lines.empty() || scan->bad_lines.back() != problem.line) {
      scan->bad_lines.push_back(problem.line);
    }
  }
}

// The card of a record whose card_number value is valid, even when other
// values of the row are not: a repeated card is reported either way.
std::optional<absl::uint128> ValidCardOf(const CsvRecord& record,
                                         const ImportHeader& header) {
  if (record.defect.has_value() || record.field_count != header.field_count) {
    return std::nullopt;
  }
  const absl::string_view card =
      ImportValue(record, header, ImportColumn::kCardNumber);
  if (!IsImportCardNumber(card)) return std::nullopt;
  return CardKey(card);
}

}  // namespace

absl::StatusOr<ImportScan> ScanImportCsv(std::istream* in,
                                         const RowCheckOptions& options,
                                         const ScanProgress& progress,
                                         size_t chunk_bytes) {
  ImportScan scan;
  CsvRecordReader reader(in, chunk_bytes);
  CsvRecord record;
  if (!reader.Next(&record)) {
    if (!reader.status().ok()) return reader.status();
    scan.problems.push_back(RowProblem{
        1, "",
        "header: the file is empty; its first line must name the columns "
        "(card_number, balance_points, and optionally phone, earned_on)"});
    SortProblems(&scan);
    return scan;
  }
  if (auto bad = ParseImportHeader(record, &scan.header)) {
    scan.problems.push_back(*std::move(bad));
    SortProblems(&scan);
    return scan;
  }
  scan.header_ok = true;
  std::vector<CardSeen> cards;
  while (reader.Next(&record)) {
    ++scan.rows;
    if (progress && scan.rows % kProgressEveryRows == 0) {
      progress(scan.rows, reader.bytes_read());
    }
    const std::optional<ImportRow> row =
        CheckImportRecord(record, scan.header, options, &scan.problems);
    const std::optional<absl::uint128> card =
        row.has_value() ? CardKey(row->card_number)
                        : ValidCardOf(record, scan.header);
    if (card.has_value()) {
      cards.push_back(CardSeen{absl::Uint128High64(*card),
                               absl::Uint128Low64(*card), record.line});
    }
  }
  if (!reader.status().ok()) return reader.status();
  if (progress) progress(scan.rows, reader.bytes_read());
  FindRepeatedCards(std::move(cards), &scan.problems);
  SortProblems(&scan);
  return scan;
}

ImportRowStream::ImportRowStream(std::istream* in,
                                 const RowCheckOptions& options,
                                 const std::vector<int64_t>* skip_lines,
                                 size_t chunk_bytes)
    : reader_(in, chunk_bytes), options_(options), skip_lines_(skip_lines) {}

absl::StatusOr<bool> ImportRowStream::ReadHeader() {
  header_read_ = true;
  if (!reader_.Next(&record_)) {
    if (!reader_.status().ok()) return reader_.status();
    return absl::FailedPreconditionError(
        "the file changed while it was imported: it is empty now");
  }
  if (ParseImportHeader(record_, &header_).has_value()) {
    return absl::FailedPreconditionError(
        "the file changed while it was imported: its header is bad now");
  }
  return true;
}

absl::StatusOr<bool> ImportRowStream::Next(ImportRow* row) {
  if (!header_read_) {
    absl::StatusOr<bool> header = ReadHeader();
    if (!header.ok()) return header.status();
  }
  while (reader_.Next(&record_)) {
    while (next_skip_ < skip_lines_->size() &&
           (*skip_lines_)[next_skip_] < record_.line) {
      ++next_skip_;
    }
    if (next_skip_ < skip_lines_->size() &&
        (*skip_lines_)[next_skip_] == record_.line) {
      continue;
    }
    scratch_problems_.clear();
    std::optional<ImportRow> checked =
        CheckImportRecord(record_, header_, options_, &scratch_problems_);
    if (!checked.has_value()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the file changed while it was imported: line ", record_.line,
          " passed the checks before and fails them now"));
    }
    *row = *std::move(checked);
    return true;
  }
  if (!reader_.status().ok()) return reader_.status();
  return false;
}

}  // namespace loyalty::ctl
