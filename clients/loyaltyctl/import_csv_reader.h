// File: clients/loyaltyctl/import_csv_reader.h
//
// A streaming reader of CSV records as RFC 4180 writes them, for
// `loyaltyctl import`. It holds one record at a time, so a file of millions
// of lines costs no more memory than one line.
//
//   std::ifstream in(path, std::ios::binary);
//   CsvRecordReader reader(&in);
//   CsvRecord record;
//   while (reader.Next(&record)) {
//     // record.line, record.fields, record.defect
//   }
//   if (!reader.status().ok()) ...  // the stream failed to read
//
// The grammar:
//   - Fields are separated by commas; a record ends at LF or CRLF (a CR not
//     followed by LF is data) or at the end of the input.
//   - A field may be quoted: "..." holds commas, line breaks and doubled
//     quotes ("" is one "). Spaces and tabs around a quoted field are allowed.
//   - A UTF-8 byte order mark at the very start is skipped.
//   - Blank lines (nothing, or only spaces and tabs) are skipped.
//   - Lines are counted from 1, line breaks inside quoted fields included,
//     so CsvRecord::line is the line of the file where the record starts.
//
// A malformed record (a quote that is never closed, a quote inside an
// unquoted field, text after a closing quote, a field longer than
// kCsvFieldBytesMax) is still returned, with `defect` set, and reading goes
// on with the next record: the caller reports every bad record of a file in
// one pass.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_IMPORT_CSV_READER_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_IMPORT_CSV_READER_H_

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace loyalty::ctl {

// Longest field kept. Every valid value of an import is far shorter (a card
// is at most 32 digits, a phone at most 64 bytes); the cap keeps one
// runaway field (an unclosed quote early in a large file) from holding the
// whole file in memory.
inline constexpr size_t kCsvFieldBytesMax = 256;
// Fields of one record kept; CsvRecord::field_count still counts them all.
inline constexpr size_t kCsvFieldsKeptMax = 64;

// Why a record is malformed. The reader keeps the first defect of a record.
struct CsvDefect {
  // 0-based index of the field where it was found.
  int64_t field_index = 0;
  std::string problem;
};

struct CsvRecord {
  // Line of the file where the record starts, from 1.
  int64_t line = 0;
  // The first kCsvFieldsKeptMax fields, quotes removed, each cut at
  // kCsvFieldBytesMax bytes (which sets `defect`).
  std::vector<std::string> fields;
  // How many fields the record has, also past kCsvFieldsKeptMax.
  int64_t field_count = 0;
  std::optional<CsvDefect> defect;
};

class CsvRecordReader {
 public:
  // Reads `in` in chunks of `chunk_bytes` (at least 1). Tests pass small
  // chunks so that every byte of a record can fall on a chunk boundary.
  // `in` must outlive the reader.
  explicit CsvRecordReader(std::istream* in, size_t chunk_bytes = 1 << 16);

  CsvRecordReader(const CsvRecordReader&) = delete;
  CsvRecordReader& operator=(const CsvRecordReader&) = delete;

  // Reads the next record that is not a blank line into *record (its old
  // contents are replaced). Returns false at the end of the input, or when
  // the stream failed (see status()).
  bool Next(CsvRecord* record);

  // OK, or kDataLoss when the stream reported a read error (as opposed to
  // its end).
  const absl::Status& status() const { return status_; }

  // Bytes consumed so far, for progress reports.
  int64_t bytes_read() const { return bytes_before_buffer_ + position_; }

 private:
  enum class FieldEnd { kComma, kLineBreak, kEndOfInput };

  // The next byte, or -1 at the end of the input; Peek does not consume it.
  int Get();
  int Peek();
  bool Refill();

  // Reads one field of `record` into `field`, starting after a comma or at
  // the start of a record.
  FieldEnd ReadField(CsvRecord* record, std::string* field, bool* quoted);
  FieldEnd ReadQuoted(CsvRecord* record, std::string* field);
  FieldEnd ReadUnquoted(CsvRecord* record, std::string* field);
  // After a quoted field's closing quote: skips spaces and tabs up to the
  // comma or line end; anything else is a defect.
  FieldEnd ReadAfterQuote(CsvRecord* record);
  // Consumes the LF of a CRLF whose CR was just read; returns whether there
  // was one.
  bool ConsumeLfAfterCr();
  void Append(CsvRecord* record, std::string* field, char c);
  void SetDefect(CsvRecord* record, std::string problem);

  std::istream* in_;
  std::vector<char> buffer_;
  size_t size_ = 0;      // Valid bytes in buffer_.
  size_t position_ = 0;  // Next byte to read in buffer_.
  int64_t bytes_before_buffer_ = 0;
  bool at_start_ = true;  // Nothing read yet: a BOM may follow.
  bool at_end_ = false;
  int64_t line_ = 1;
  // Index of the field being read, for defects.
  int64_t field_index_ = 0;
  absl::Status status_;
};

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_IMPORT_CSV_READER_H_
