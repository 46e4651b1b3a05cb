// File: tests/fuzz/csv_import_fuzz.cc
//
// Fuzzes the CSV side of `loyaltyctl import` (clients/loyaltyctl/
// import_csv_reader.h, import_rows.h, import_scan.h). Input: the bytes of an
// import file.
//
// Judges, each independent of the code under test:
//   1. Records: a reference reader written here from the grammar in
//      import_csv_reader.h (whole-buffer, index-based) must find the same
//      records: the same lines, field counts, malformed-or-not, and for a
//      well-formed record the same fields.
//   2. Chunks: reading in chunks of 1..8 bytes gives the same scan as
//      reading in one piece (nothing depends on where a buffer ends).
//   3. Problems: every problem's line lies within the file's lines, its
//      column is one of the four (or none), its reason is one printable
//      line; problems come sorted; bad_lines are exactly their lines; a bad
//      header is the only problem.
//   4. Rows: every row the stream returns obeys the rules restated below
//      from import_rows.h (card 4..32 digits and unique, balance 0..10^12
//      digits, earned_on a real date 1970..today, phone at most 64 bytes of
//      UTF-8 without control characters), rows + bad rows = records, and
//      lines increase.
//   5. Round trip: the good rows written out again as CSV (quoted, the
//      columns in another order, CRLF) scan without a problem and read back
//      as the same rows.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "clients/loyaltyctl/import_csv_reader.h"
#include "clients/loyaltyctl/import_rows.h"
#include "clients/loyaltyctl/import_scan.h"

namespace loyalty::ctl {
namespace {

// The judge's own failure report: abort, so both the replay runner and
// libFuzzer keep the input.
#define FUZZ_EXPECT(condition)                                              \
  do {                                                                      \
    if (!(condition)) {                                                     \
      std::fprintf(stderr, "csv_import_fuzz: %s:%d: expected %s\n",         \
                   __FILE__, __LINE__, #condition);                         \
      std::abort();                                                         \
    }                                                                       \
  } while (false)

// "Today" is fixed so that a run is deterministic.
constexpr int kTodayYear = 2026;
constexpr int kTodayMonth = 6;
constexpr int kTodayDay = 15;

RowCheckOptions Options() {
  return RowCheckOptions{absl::CivilDay(kTodayYear, kTodayMonth, kTodayDay)};
}

// ---- 1. The reference reader ----

struct RefRecord {
  int64_t line = 0;
  std::vector<std::string> fields;  // All of them, uncut.
  bool defect = false;
};

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

class RefReader {
 public:
  explicit RefReader(absl::string_view text) : text_(text) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") at_ = 3;
  }

  std::vector<RefRecord> ReadAll() {
    std::vector<RefRecord> records;
    while (at_ < text_.size()) {
      RefRecord record;
      record.line = line_;
      bool any_quoted = false;
      bool more = true;
      while (more) {
        std::string field;
        while (at_ < text_.size() && IsBlank(text_[at_])) ++at_;
        const bool quoted = at_ < text_.size() && text_[at_] == '"';
        any_quoted = any_quoted || quoted;
        more = quoted ? Quoted(&field, &record) : Unquoted(&field, &record);
        if (field.size() > kCsvFieldBytesMax) record.defect = true;
        record.fields.push_back(field);
      }
      const bool blank = record.fields.size() == 1 && !any_quoted &&
                         !record.defect &&
                         std::all_of(record.fields[0].begin(),
                                     record.fields[0].end(), IsBlank);
      if (!blank) records.push_back(record);
    }
    return records;
  }

 private:
  // Each returns whether a comma followed (another field of the record).
  bool Unquoted(std::string* field, RefRecord* record) {
    while (at_ < text_.size()) {
      const char c = text_[at_++];
      if (c == ',') return true;
      if (c == '\n') {
        ++line_;
        return false;
      }
      if (c == '\r' && at_ < text_.size() && text_[at_] == '\n') {
        ++at_;
        ++line_;
        return false;
      }
      if (c == '"') record->defect = true;
      field->push_back(c);
    }
    return false;
  }

  bool Quoted(std::string* field, RefRecord* record) {
    ++at_;  // The opening quote.
    while (true) {
      if (at_ >= text_.size()) {
        record->defect = true;  // Never closed.
        return false;
      }
      const char c = text_[at_++];
      if (c == '"') {
        if (at_ < text_.size() && text_[at_] == '"') {
          field->push_back('"');
          ++at_;
          continue;
        }
        break;
      }
      if (c == '\n') ++line_;
      field->push_back(c);
    }
    while (at_ < text_.size() && IsBlank(text_[at_])) ++at_;
    if (at_ >= text_.size()) return false;
    if (text_[at_] == ',' || text_[at_] == '\n' ||
        (text_[at_] == '\r' && at_ + 1 < text_.size() &&
         text_[at_ + 1] == '\n')) {
      std::string none;
      return Unquoted(&none, record);  // Consumes just the separator.
    }
    record->defect = true;  // Text after the closing quote.
    std::string rest;
    return Unquoted(&rest, record);
  }

  absl::string_view text_;
  size_t at_ = 0;
  int64_t line_ = 1;
};

void JudgeRecords(absl::string_view text) {
  const std::vector<RefRecord> expected = RefReader(text).ReadAll();
  std::istringstream in{std::string(text)};
  CsvRecordReader reader(&in, 1 + text.size() % 5);
  CsvRecord record;
  size_t i = 0;
  while (reader.Next(&record)) {
    FUZZ_EXPECT(i < expected.size());
    const RefRecord& want = expected[i++];
    FUZZ_EXPECT(record.line == want.line);
    FUZZ_EXPECT(record.field_count ==
                static_cast<int64_t>(want.fields.size()));
    FUZZ_EXPECT(record.defect.has_value() == want.defect);
    FUZZ_EXPECT(record.fields.size() ==
                std::min(want.fields.size(), kCsvFieldsKeptMax));
    if (!want.defect) {
      for (size_t f = 0; f < record.fields.size(); ++f) {
        FUZZ_EXPECT(record.fields[f] == want.fields[f]);
      }
    }
  }
  FUZZ_EXPECT(reader.status().ok());
  FUZZ_EXPECT(i == expected.size());
}

// ---- 3. Problems ----

int64_t LineCount(absl::string_view text) {
  return 1 + std::count(text.begin(), text.end(), '\n');
}

void JudgeProblems(absl::string_view text, const ImportScan& scan) {
  static const std::set<std::string> kColumns = {
      "", "card_number", "phone", "balance_points", "earned_on"};
  std::vector<int64_t> lines;
  for (const RowProblem& problem : scan.problems) {
    FUZZ_EXPECT(problem.line >= 1 && problem.line <= LineCount(text));
    FUZZ_EXPECT(kColumns.count(problem.column) == 1);
    FUZZ_EXPECT(!problem.reason.empty());
    for (char c : problem.reason) {
      FUZZ_EXPECT(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
    }
    FUZZ_EXPECT(lines.empty() || lines.back() <= problem.line);
    if (lines.empty() || lines.back() != problem.line) {
      lines.push_back(problem.line);
    }
  }
  FUZZ_EXPECT(lines == scan.bad_lines);
  if (!scan.header_ok) {
    FUZZ_EXPECT(scan.problems.size() == 1);
    FUZZ_EXPECT(scan.problems[0].reason.rfind("header: ", 0) == 0);
    FUZZ_EXPECT(scan.rows == 0);
  }
}

// ---- 4. Rows, by the rules restated ----

bool Digits(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

bool LeapYear(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

bool RealDateUpToToday(absl::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  if (!Digits(text.substr(0, 4)) || !Digits(text.substr(5, 2)) ||
      !Digits(text.substr(8, 2))) {
    return false;
  }
  const int year = std::atoi(std::string(text.substr(0, 4)).c_str());
  const int month = std::atoi(std::string(text.substr(5, 2)).c_str());
  const int day = std::atoi(std::string(text.substr(8, 2)).c_str());
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  const int days = kDays[month - 1] + (month == 2 && LeapYear(year) ? 1 : 0);
  if (day > days || year < 1970) return false;
  const int ymd = year * 10000 + month * 100 + day;
  return ymd <= kTodayYear * 10000 + kTodayMonth * 100 + kTodayDay;
}

bool PrintableUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) return false;
    if (byte < 0x80) {
      ++i;
      continue;
    }
    // Lengths and ranges from RFC 3629's table of well-formed sequences.
    size_t length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2;
    if (byte < 0xC2 || byte > 0xF4 || i + length > text.size()) return false;
    const auto second = static_cast<unsigned char>(text[i + 1]);
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (byte == 0xE0) low = 0xA0;
    if (byte == 0xED) high = 0x9F;
    if (byte == 0xF0) low = 0x90;
    if (byte == 0xF4) high = 0x8F;
    if (second < low || second > high) return false;
    for (size_t k = 2; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

bool Trimmed(absl::string_view text) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
  };
  return text.empty() || (!space(text.front()) && !space(text.back()));
}

std::vector<ImportRow> ReadRows(absl::string_view text,
                                const std::vector<int64_t>& skip) {
  std::istringstream in{std::string(text)};
  ImportRowStream stream(&in, Options(), &skip);
  std::vector<ImportRow> rows;
  ImportRow row;
  while (true) {
    absl::StatusOr<bool> more = stream.Next(&row);
    FUZZ_EXPECT(more.ok());
    if (!*more) return rows;
    rows.push_back(row);
  }
}

void JudgeRows(const ImportScan& scan, const std::vector<ImportRow>& rows) {
  FUZZ_EXPECT(static_cast<int64_t>(rows.size() + scan.bad_lines.size()) ==
              scan.rows);
  std::set<std::string> cards;
  int64_t last_line = 0;
  for (const ImportRow& row : rows) {
    FUZZ_EXPECT(row.line > last_line);
    last_line = row.line;
    FUZZ_EXPECT(!std::binary_search(scan.bad_lines.begin(),
                                    scan.bad_lines.end(), row.line));
    FUZZ_EXPECT(Digits(row.card_number));
    FUZZ_EXPECT(row.card_number.size() >= 4 && row.card_number.size() <= 32);
    FUZZ_EXPECT(cards.insert(row.card_number).second);
    FUZZ_EXPECT(row.balance_points >= 0 &&
                row.balance_points <= 1'000'000'000'000);
    FUZZ_EXPECT(row.earned_on.empty() || RealDateUpToToday(row.earned_on));
    FUZZ_EXPECT(row.phone.size() <= 64);
    FUZZ_EXPECT(PrintableUtf8(row.phone));
    FUZZ_EXPECT(Trimmed(row.phone));
  }
}

// ---- 5. Round trip ----

std::string Quote(absl::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

void JudgeRoundTrip(const std::vector<ImportRow>& rows) {
  std::string text = "earned_on,Phone, balance_points ,card_number\r\n";
  for (const ImportRow& row : rows) {
    absl::StrAppend(&text, Quote(row.earned_on), ",", Quote(row.phone), ",",
                    Quote(absl::StrCat(row.balance_points)), ",",
                    Quote(row.card_number), "\r\n");
  }
  std::istringstream in(text);
  absl::StatusOr<ImportScan> again = ScanImportCsv(&in, Options());
  FUZZ_EXPECT(again.ok());
  FUZZ_EXPECT(again->header_ok);
  FUZZ_EXPECT(again->problems.empty());
  const std::vector<ImportRow> reread = ReadRows(text, {});
  FUZZ_EXPECT(reread.size() == rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    FUZZ_EXPECT(reread[i].line == static_cast<int64_t>(i) + 2);
    FUZZ_EXPECT(reread[i].card_number == rows[i].card_number);
    FUZZ_EXPECT(reread[i].phone == rows[i].phone);
    FUZZ_EXPECT(reread[i].balance_points == rows[i].balance_points);
    FUZZ_EXPECT(reread[i].earned_on == rows[i].earned_on);
  }
}

// ---- 2. Chunks ----

ImportScan ScanText(absl::string_view text, size_t chunk_bytes) {
  std::istringstream in{std::string(text)};
  absl::StatusOr<ImportScan> scan =
      ScanImportCsv(&in, Options(), nullptr, chunk_bytes);
  FUZZ_EXPECT(scan.ok());
  return *scan;
}

void JudgeSameScan(const ImportScan& a, const ImportScan& b) {
  FUZZ_EXPECT(a.header_ok == b.header_ok);
  FUZZ_EXPECT(a.rows == b.rows);
  FUZZ_EXPECT(a.bad_lines == b.bad_lines);
  FUZZ_EXPECT(a.problems.size() == b.problems.size());
  for (size_t i = 0; i < a.problems.size(); ++i) {
    FUZZ_EXPECT(a.problems[i].line == b.problems[i].line);
    FUZZ_EXPECT(a.problems[i].column == b.problems[i].column);
    FUZZ_EXPECT(a.problems[i].reason == b.problems[i].reason);
  }
}

}  // namespace
}  // namespace loyalty::ctl

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace loyalty::ctl;  // NOLINT: the target's one entry point.
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  JudgeRecords(text);
  const ImportScan scan = ScanText(text, size_t{1} << 16);
  JudgeSameScan(scan, ScanText(text, 1 + size % 8));
  JudgeProblems(text, scan);
  if (!scan.header_ok) return 0;
  const std::vector<ImportRow> rows = ReadRows(text, scan.bad_lines);
  JudgeRows(scan, rows);
  JudgeRoundTrip(rows);
  return 0;
}
