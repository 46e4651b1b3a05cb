// File: clients/loyaltyctl/import_scan.h
//
// Local validation of a whole import file (phase 1 of `loyaltyctl import`),
// and reading its good rows again for the later phases.
//
//   std::ifstream in(path, std::ios::binary);
//   absl::StatusOr<ImportScan> scan = ScanImportCsv(&in, options);
//   for (const RowProblem& problem : scan->problems) ...  // sorted by line
//
//   in.clear();
//   in.seekg(0);
//   ImportRowStream rows(&in, options, &scan->bad_lines);
//   ImportRow row;
//   while (true) {
//     absl::StatusOr<bool> more = rows.Next(&row);
//     if (!more.ok()) ...   // the file changed since the scan
//     if (!*more) break;
//     ...
//   }
//
// Memory: the scan streams; what it keeps per row is 24 bytes (a CardKey
// and the line) to find repeated cards, plus the problems it reports.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_IMPORT_SCAN_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_IMPORT_SCAN_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <vector>

#include "absl/status/statusor.h"
#include "clients/loyaltyctl/import_csv_reader.h"
#include "clients/loyaltyctl/import_rows.h"

namespace loyalty::ctl {

struct ImportScan {
  // False when the header is missing or bad; `problems` then holds that one
  // problem and nothing else was read.
  bool header_ok = false;
  ImportHeader header;
  // Data records read (not the header, not blank lines), good or bad.
  int64_t rows = 0;
  // Every problem found, sorted by line (a row may have several).
  std::vector<RowProblem> problems;
  // The lines of bad rows, sorted, each once.
  std::vector<int64_t> bad_lines;
};

// Called every few thousand rows with the rows and bytes read so far.
using ScanProgress = std::function<void(int64_t rows, int64_t bytes)>;

// Phase 1: reads `in` to its end and checks the header and every row:
// CheckImportRecord, and that no card appears on two lines (every line
// after the first that has a card is bad and names that first line).
// Returns kDataLoss when the stream fails to read.
absl::StatusOr<ImportScan> ScanImportCsv(
    std::istream* in, const RowCheckOptions& options,
    const ScanProgress& progress = nullptr,
    size_t chunk_bytes = size_t{1} << 16);

// Reads the rows of a scanned file again, in order, leaving out the lines
// in `skip_lines` (sorted; the scan's bad_lines, perhaps with more added).
// `in` must be at the start of the file, and the options those of the scan.
class ImportRowStream {
 public:
  ImportRowStream(std::istream* in, const RowCheckOptions& options,
                  const std::vector<int64_t>* skip_lines,
                  size_t chunk_bytes = size_t{1} << 16);

  // Reads the next row not skipped into *row. Returns false at the end.
  // Returns kFailedPrecondition when the file no longer reads as it did in
  // the scan (its header changed, or a row not skipped fails the checks),
  // and kDataLoss when the stream fails to read.
  absl::StatusOr<bool> Next(ImportRow* row);

  // Bytes read so far.
  int64_t bytes_read() const { return reader_.bytes_read(); }

 private:
  absl::StatusOr<bool> ReadHeader();

  CsvRecordReader reader_;
  RowCheckOptions options_;
  const std::vector<int64_t>* skip_lines_;
  size_t next_skip_ = 0;  // Index of the next line to skip in skip_lines_.
  bool header_read_ = false;
  ImportHeader header_;
  CsvRecord record_;
  std::vector<RowProblem> scratch_problems_;
};

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_IMPORT_SCAN_H_
