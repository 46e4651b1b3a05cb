// Tests of the CSV side of `loyaltyctl import` (clients/loyaltyctl/import_*):
// the RFC 4180 reader, the header, every row check with its line and column,
// repeated cards, the row stream of the later phases, request ids, and the
// progress display.
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "catch2/catch.hpp"
#include "clients/loyaltyctl/import_csv_reader.h"
#include "clients/loyaltyctl/import_progress.h"
#include "clients/loyaltyctl/import_rows.h"
#include "clients/loyaltyctl/import_scan.h"

namespace loyalty::ctl {
namespace {

// Fixed "today" so date checks do not depend on when the test runs.
RowCheckOptions Options() { return RowCheckOptions{absl::CivilDay(2026, 6, 15)}; }

struct Read {
  int64_t line;
  std::vector<std::string> fields;
  std::string defect;  // "" when none.
};

std::vector<Read> ReadAll(const std::string& text, size_t chunk_bytes = 65536) {
  std::istringstream in(text);
  CsvRecordReader reader(&in, chunk_bytes);
  std::vector<Read> out;
  CsvRecord record;
  while (reader.Next(&record)) {
    out.push_back(Read{record.line, record.fields,
                       record.defect ? record.defect->problem : ""});
  }
  REQUIRE(reader.status().ok());
  return out;
}

ImportScan Scan(const std::string& text, size_t chunk_bytes = 65536) {
  std::istringstream in(text);
  absl::StatusOr<ImportScan> scan =
      ScanImportCsv(&in, Options(), nullptr, chunk_bytes);
  REQUIRE(scan.ok());
  return *scan;
}

// "LINE column: reason" of every problem, for compact expectations.
std::vector<std::string> Problems(const ImportScan& scan) {
  std::vector<std::string> out;
  for (const RowProblem& problem : scan.problems) {
    out.push_back(FormatRowProblem("f.csv", problem));
  }
  return out;
}

std::vector<ImportRow> GoodRows(const std::string& text,
                                const std::vector<int64_t>& skip) {
  std::istringstream in(text);
  ImportRowStream stream(&in, Options(), &skip);
  std::vector<ImportRow> rows;
  ImportRow row;
  while (true) {
    absl::StatusOr<bool> more = stream.Next(&row);
    REQUIRE(more.ok());
    if (!*more) break;
    rows.push_back(row);
  }
  return rows;
}

// ---- The reader ----

TEST_CASE("quoted fields keep commas, doubled quotes and line breaks",
          "[import][csv]") {
  std::vector<Read> records =
      ReadAll("a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\"\nnext,row\n");
  REQUIRE(records.size() == 2);
  CHECK(records[0].fields ==
        std::vector<std::string>{"a", "b,c", "say \"hi\"", "two\nlines"});
  CHECK(records[0].defect.empty());
  // The line break inside quotes counts: the next record is on line 3.
  CHECK(records[1].line == 3);
  CHECK(records[1].fields == std::vector<std::string>{"next", "row"});
}

TEST_CASE("CRLF and LF line ends read alike, a lone CR is data",
          "[import][csv]") {
  std::vector<Read> crlf = ReadAll("a,b\r\nc,d\r\n\"e\r\nf\",g\r\nh,i");
  std::vector<Read> lf = ReadAll("a,b\nc,d\n\"e\r\nf\",g\nh,i\n");
  REQUIRE(crlf.size() == 4);
  REQUIRE(lf.size() == 4);
  for (size_t i = 0; i < crlf.size(); ++i) {
    CHECK(crlf[i].line == lf[i].line);
    CHECK(crlf[i].fields == lf[i].fields);
  }
  CHECK(crlf[3].line == 5);
  CHECK(crlf[2].fields[0] == "e\r\nf");  // Kept as written inside quotes.
  std::vector<Read> lone_cr = ReadAll("a\rb,c\n");
  REQUIRE(lone_cr.size() == 1);
  CHECK(lone_cr[0].fields == std::vector<std::string>{"a\rb", "c"});
}

TEST_CASE("a byte order mark is skipped only at the very start",
          "[import][csv]") {
  std::vector<Read> with_bom = ReadAll("\xEF\xBB\xBF" "card_number\n1234\n", 1);
  REQUIRE(with_bom.size() == 2);
  CHECK(with_bom[0].fields[0] == "card_number");
  CHECK(with_bom[0].line == 1);
  std::vector<Read> later = ReadAll("a\n\xEF\xBB\xBF" "b\n");
  REQUIRE(later.size() == 2);
  CHECK(later[1].fields[0] == "\xEF\xBB\xBF" "b");
  // Two bytes of a BOM and then something else are data.
  std::vector<Read> partial = ReadAll("\xEF\xBBx\n");
  REQUIRE(partial.size() == 1);
  CHECK(partial[0].fields[0] == "\xEF\xBBx");
}

TEST_CASE("blank lines are skipped but counted", "[import][csv]") {
  std::vector<Read> records = ReadAll("\n  \t\na\n\r\n\nb\n\n");
  REQUIRE(records.size() == 2);
  CHECK(records[0].line == 3);
  CHECK(records[1].line == 6);
  // A quoted empty field is a record, not a blank line.
  std::vector<Read> quoted = ReadAll("\"\"\n");
  REQUIRE(quoted.size() == 1);
  CHECK(quoted[0].fields == std::vector<std::string>{""});
}

TEST_CASE("every chunk size reads the same records", "[import][csv]") {
  const std::string text =
      "\xEF\xBB\xBF" "card_number,phone\r\n\"12\"\"34\",\"a\r\nb\"\n\n"
      "  \"x\"  ,y\r\n\"open\n";
  const std::vector<Read> whole = ReadAll(text);
  for (size_t chunk = 1; chunk <= 9; ++chunk) {
    const std::vector<Read> pieces = ReadAll(text, chunk);
    REQUIRE(pieces.size() == whole.size());
    for (size_t i = 0; i < whole.size(); ++i) {
      CHECK(pieces[i].line == whole[i].line);
      CHECK(pieces[i].fields == whole[i].fields);
      CHECK(pieces[i].defect == whole[i].defect);
    }
  }
}

TEST_CASE("an unterminated quote names the line it opens on", "[import][csv]") {
  std::vector<Read> records = ReadAll("a,b\nc,\"never\nclosed,x\ny\n");
  REQUIRE(records.size() == 2);
  CHECK(records[1].line == 2);
  CHECK(records[1].defect.find("unterminated quote") != std::string::npos);
  CHECK(records[1].defect.find("opens on line 2") != std::string::npos);
}

TEST_CASE("stray quotes are defects and reading goes on", "[import][csv]") {
  std::vector<Read> records =
      ReadAll("ab\"c,d\n\"e\"f,g\n\"h\"  ,i\nj,k\n");
  REQUIRE(records.size() == 4);
  CHECK(records[0].defect.find("quote inside an unquoted field") !=
        std::string::npos);
  CHECK(records[1].defect.find("after the closing quote") != std::string::npos);
  // Spaces after a closing quote are allowed.
  CHECK(records[2].defect.empty());
  CHECK(records[2].fields == std::vector<std::string>{"h", "i"});
  CHECK(records[3].defect.empty());
  CHECK(records[3].line == 4);
}

TEST_CASE("an overlong field is cut and marked, many fields are counted",
          "[import][csv]") {
  std::vector<Read> records =
      ReadAll(std::string(kCsvFieldBytesMax + 10, '7') + ",x\n");
  REQUIRE(records.size() == 1);
  CHECK(records[0].fields[0].size() == kCsvFieldBytesMax);
  CHECK(records[0].defect.find("longer than") != std::string::npos);

  std::istringstream in(std::string(kCsvFieldsKeptMax + 5, ',') + "\n");
  CsvRecordReader reader(&in);
  CsvRecord record;
  REQUIRE(reader.Next(&record));
  CHECK(record.field_count == static_cast<int64_t>(kCsvFieldsKeptMax) + 6);
  CHECK(record.fields.size() == kCsvFieldsKeptMax);
}

// ---- The header ----

TEST_CASE("columns may come in any order, case and spacing", "[import][header]") {
  ImportScan scan = Scan(" Earned_On ,BALANCE_POINTS,card_number\n"
                         "2024-01-02,15,1234\n");
  REQUIRE(scan.header_ok);
  CHECK(scan.problems.empty());
  std::vector<ImportRow> rows = GoodRows(
      " Earned_On ,BALANCE_POINTS,card_number\n2024-01-02,15,1234\n", {});
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].card_number == "1234");
  CHECK(rows[0].balance_points == 15);
  CHECK(rows[0].earned_on == "2024-01-02");
  CHECK(rows[0].phone.empty());
}

TEST_CASE("a bad header is one problem about the header", "[import][header]") {
  struct Case {
    std::string text;
    std::string expected;
  };
  const Case cases[] = {
      {"card_number,points\n", "f.csv:1: header: unknown column \"points\""},
      {"card_number,phone,PHONE,balance_points\n",
       "f.csv:1: header: column \"PHONE\" appears twice"},
      {"phone,balance_points\n",
       "f.csv:1: header: the required column card_number is missing"},
      {"card_number,phone\n",
       "f.csv:1: header: the required column balance_points is missing"},
      {"card_number,,balance_points\n", "f.csv:1: header: column 2 has no name"},
      {"", "f.csv:1: header: the file is empty"},
      {"\n\ncard_number,\"balance\n", "f.csv:3: header: unterminated quote"},
      {"card_number,balance_points,phone,earned_on,phone\n",
       "f.csv:1: header: names 5 columns"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    // A row after the header, except for the empty file.
    ImportScan scan = Scan(c.text.empty() ? c.text : c.text + "1234,5\n");
    CHECK_FALSE(scan.header_ok);
    REQUIRE(scan.problems.size() == 1);
    CHECK(FormatRowProblem("f.csv", scan.problems[0]).rfind(c.expected, 0) == 0);
    CHECK(scan.rows == 0);
  }
}

// ---- Rows ----

TEST_CASE("every bad value is reported with its line and column",
          "[import][rows]") {
  const std::string text =
      "card_number,phone,balance_points,earned_on\n"  // 1
      "123,,5,\n"                                      // 2: card too short
      "1234a,,5,\n"                                    // 3: card not digits
      ",,5,\n"                                         // 4: card empty
      "1234,,-5,\n"                                    // 5: balance negative
      "1235,,1.5,\n"                                   // 6: balance not whole
      "1236,,,\n"                                      // 7: balance empty
      "1237,,1000000000001,\n"                         // 8: balance too big
      "1238,,5,2023-02-29\n"                           // 9: no such day
      "1239,,5,2026-06-16\n"                           // 10: future
      "1240,,5,1969-12-31\n"                           // 11: before 1970
      "1241,,5,2024-1-05\n"                            // 12: not YYYY-MM-DD
      "1242,\"\x01\",5,\n"                             // 13: control char
      "1243,\"\xC3\x28\",5,\n"                         // 14: not UTF-8
      "1244,5,\n"                                      // 15: 3 fields
      "1245,,5,,extra\n"                               // 16: 5 fields
      "1246,\"+49 30\"x,5,\n"                          // 17: CSV defect
      "x,y,z,w\n";                                     // 18: three at once
  ImportScan scan = Scan(text);
  const std::vector<std::string> problems = Problems(scan);
  const std::string expected[] = {
      "f.csv:2: column card_number: \"123\" is not a card number (4..32 digits)",
      "f.csv:3: column card_number: \"1234a\" is not a card number",
      "f.csv:4: column card_number: is empty",
      "f.csv:5: column balance_points: \"-5\" is not a whole number",
      "f.csv:6: column balance_points: \"1.5\" is not a whole number",
      "f.csv:7: column balance_points: is empty",
      "f.csv:8: column balance_points: \"1000000000001\" is more than "
      "1000000000000 points",
      "f.csv:9: column earned_on: \"2023-02-29\" is not a real date",
      "f.csv:10: column earned_on: \"2026-06-16\" lies in the future",
      "f.csv:11: column earned_on: \"1969-12-31\" lies before 1970",
      "f.csv:12: column earned_on: \"2024-1-05\" is not a date YYYY-MM-DD",
      "f.csv:13: column phone: \"\\x01\" holds a control character",
      "f.csv:14: column phone: \"\\xc3(\" is not valid UTF-8",
      "f.csv:15: has 3 fields; the header names 4 columns",
      "f.csv:16: has 5 fields; the header names 4 columns",
      "f.csv:17: column phone: text after the closing quote",
      "f.csv:18: column card_number: \"x\" is not a card number",
      "f.csv:18: column balance_points: \"z\" is not a whole number",
      "f.csv:18: column earned_on: \"w\" is not a date YYYY-MM-DD",
  };
  REQUIRE(problems.size() == std::size(expected));
  for (size_t i = 0; i < problems.size(); ++i) {
    INFO(problems[i]);
    CHECK(problems[i].rfind(expected[i], 0) == 0);
  }
  CHECK(scan.rows == 17);
  CHECK(scan.bad_lines.size() == 17);
  CHECK(scan.bad_lines.front() == 2);
  CHECK(scan.bad_lines.back() == 18);
}

TEST_CASE("values at the edges of their ranges pass", "[import][rows]") {
  const std::string text =
      "card_number,phone,balance_points,earned_on\n"
      "1234,,0,\n"
      "12345678901234567890123456789012,,1000000000000,2024-02-29\n"
      "00001,\" +886 912-345-678 \",0000000000000000000000007,1970-01-01\n"
      "1236,\"Tel. 030 \xE2\x80\x93 1234\",5,2026-06-15\n"
      "123456789012345678901234567890123,,5,\n";
  ImportScan scan = Scan(text);
  const std::vector<std::string> problems = Problems(scan);
  REQUIRE(problems.size() == 1);  // Only the 33-digit card.
  CHECK(problems[0].rfind("f.csv:6: column card_number:", 0) == 0);
  std::vector<ImportRow> rows = GoodRows(text, scan.bad_lines);
  REQUIRE(rows.size() == 4);
  CHECK(rows[1].balance_points == 1'000'000'000'000);
  CHECK(rows[2].card_number == "00001");  // Leading zeros are kept.
  CHECK(rows[2].phone == "+886 912-345-678");  // Trimmed.
  CHECK(rows[2].balance_points == 7);
  CHECK(rows[3].earned_on == "2026-06-15");  // Today is not the future.
}

TEST_CASE("a phone is strict UTF-8, as protobuf wants its strings",
          "[import][rows]") {
  const std::string text =
      "card_number,phone,balance_points\n"
      "1001,\xC0\xAF,1\n"           // 2: overlong "/"
      "1002,\xED\xA0\x80,1\n"       // 3: a UTF-16 surrogate
      "1003,\xF4\x90\x80\x80,1\n"   // 4: past U+10FFFF
      "1004,\xE2\x80,1\n"           // 5: cut short
      "1005,\xF0\x9F\x98\x80,1\n"   // 6: U+1F600, fine
      "1006,\xE2\x80\x93 030,1\n";  // 7: an en dash, fine
  ImportScan scan = Scan(text);
  CHECK(scan.bad_lines == std::vector<int64_t>{2, 3, 4, 5});
  for (const RowProblem& problem : scan.problems) {
    CHECK(problem.column == "phone");
    CHECK(problem.reason.find("is not valid UTF-8") != std::string::npos);
  }
}

TEST_CASE("a repeated card names the line it first appeared on",
          "[import][rows]") {
  const std::string text =
      "card_number,balance_points\n"
      "1111,1\n"        // 2
      "2222,2\n"        // 3
      "1111,3\n"        // 4: repeats line 2
      "01111,4\n"       // 5: another card (leading zero)
      "\"1111\",x\n"    // 6: bad balance, and repeats line 2
      "2222,5\n"        // 7: repeats line 3
      "1111,6\n";       // 8: repeats line 2
  ImportScan scan = Scan(text);
  const std::vector<std::string> problems = Problems(scan);
  const std::string expected[] = {
      "f.csv:4: column card_number: the same card as line 2",
      "f.csv:6: column balance_points: \"x\" is not a whole number",
      "f.csv:6: column card_number: the same card as line 2",
      "f.csv:7: column card_number: the same card as line 3",
      "f.csv:8: column card_number: the same card as line 2",
  };
  REQUIRE(problems.size() == std::size(expected));
  for (size_t i = 0; i < problems.size(); ++i) {
    INFO(problems[i]);
    CHECK(problems[i].rfind(expected[i], 0) == 0);
  }
  CHECK(scan.bad_lines == std::vector<int64_t>{4, 6, 7, 8});
}

TEST_CASE("line numbers stay right across quoted line breaks and CRLF",
          "[import][rows]") {
  const std::string text =
      "\xEF\xBB\xBF" "card_number,phone,balance_points\r\n"  // 1
      "1234,\"030\r\n1234\",5\r\n"                             // 2-3
      "\r\n"                                                   // 4
      "1235,\"a,\"\"b\"\"\n\nc\",5\r\n"                        // 5-7
      "12,,5\r\n";                                             // 8
  for (size_t chunk : {size_t{1}, size_t{2}, size_t{65536}}) {
    ImportScan scan = Scan(text, chunk);
    const std::vector<std::string> problems = Problems(scan);
    // Line 2's and 5's phones hold line breaks: control characters.
    REQUIRE(problems.size() == 3);
    CHECK(problems[0].rfind("f.csv:2: column phone:", 0) == 0);
    CHECK(problems[1].rfind("f.csv:5: column phone:", 0) == 0);
    CHECK(problems[2].rfind("f.csv:8: column card_number:", 0) == 0);
    CHECK(scan.rows == 3);
  }
}

// ---- The row stream of phases 2 and 3 ----

TEST_CASE("the row stream leaves out the listed lines", "[import][stream]") {
  const std::string text =
      "card_number,balance_points\n1001,1\nbad,2\n1003,3\n\n1005,5\n1006,6\n";
  ImportScan scan = Scan(text);
  REQUIRE(scan.bad_lines == std::vector<int64_t>{3});
  std::vector<int64_t> skip = scan.bad_lines;
  skip.push_back(6);  // As if the server refused line 6.
  std::vector<ImportRow> rows = GoodRows(text, skip);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].line == 2);
  CHECK(rows[1].line == 4);
  CHECK(rows[2].line == 7);
  CHECK(rows[2].card_number == "1006");
}

TEST_CASE("the row stream notices a file that changed since the scan",
          "[import][stream]") {
  const std::vector<int64_t> skip;
  std::istringstream changed("card_number,balance_points\n1001,1\n1002,x\n");
  ImportRowStream stream(&changed, Options(), &skip);
  ImportRow row;
  absl::StatusOr<bool> first = stream.Next(&row);
  REQUIRE(first.ok());
  CHECK(*first);
  absl::StatusOr<bool> second = stream.Next(&row);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(second.status().message().find("line 3") != absl::string_view::npos);

  std::istringstream new_header("card,balance_points\n1001,1\n");
  ImportRowStream header_stream(&new_header, Options(), &skip);
  CHECK(header_stream.Next(&row).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

// ---- Request ids ----

TEST_CASE("a row's request id comes from the name and the card, not the line",
          "[import][request_id]") {
  CHECK(ImportRequestId("legacy", "4000123412341234") ==
        "import:legacy:4000123412341234");
  // The same card on another line, sorted elsewhere, gets the same id.
  const std::string sorted = "card_number,balance_points\n2222,2\n1111,1\n";
  const std::string unsorted = "card_number,balance_points\n1111,1\n2222,2\n";
  std::vector<ImportRow> a = GoodRows(sorted, {});
  std::vector<ImportRow> b = GoodRows(unsorted, {});
  REQUIRE(a.size() == 2);
  REQUIRE(b.size() == 2);
  CHECK(a[1].line != b[0].line);
  CHECK(ImportRequestId("x", a[1].card_number) ==
        ImportRequestId("x", b[0].card_number));
  CHECK(ImportRequestId("x", "1111") != ImportRequestId("y", "1111"));
  CHECK(ImportRequestId("x", "1111") != ImportRequestId("x", "01111"));
}

TEST_CASE("an import name is 1..32 of letters, digits and . _ -",
          "[import][request_id]") {
  CHECK(CheckImportName("legacy").ok());
  CHECK(CheckImportName("shop-2024_v1.2").ok());
  CHECK(CheckImportName(std::string(32, 'a')).ok());
  for (const std::string& bad :
       {std::string(""), std::string(33, 'a'), std::string("a:b"),
        std::string("a b"), std::string("caf\xC3\xA9")}) {
    INFO(bad);
    absl::Status status = CheckImportName(bad);
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(status.message().rfind("--name: ", 0) == 0);
  }
}

TEST_CASE("card keys are one-to-one, leading zeros included",
          "[import][request_id]") {
  CHECK(CardKey("0042") != CardKey("042"));
  CHECK(CardKey("0042") != CardKey("42"));
  CHECK(CardKey("4200") != CardKey("42"));
  CHECK(CardKey("99999999999999999999999999999999") !=
        CardKey("9999999999999999999999999999999"));
  CHECK(CardKey("1234") == CardKey("1234"));
}

// ---- Progress ----

TEST_CASE("progress reads as the bar and the plain line say",
          "[import][progress]") {
  CHECK(FormatCount(0) == "0");
  CHECK(FormatCount(999) == "999");
  CHECK(FormatCount(1000) == "1,000");
  CHECK(FormatCount(1234567) == "1,234,567");
  CHECK(FormatEta(32) == "0:32");
  CHECK(FormatEta(725) == "12:05");
  CHECK(FormatEta(10921) == "3:02:01");
  CHECK(FormatEta(-1) == "-:--");
  // 412,000 rows in 22.5753 s is 18,250 rows/s; 588,000 left take 32 s.
  const double elapsed_s = 412000.0 / 18250.0;
  CHECK(FormatProgressBar("import", "rows", 412000, 1000000, elapsed_s) ==
        "import [####......] 412,000/1,000,000 rows  41%  18,250 rows/s  "
        "ETA 0:32");
  CHECK(FormatProgressLine("import", "rows", 412000, 1000000, elapsed_s) ==
        "import: 412000/1000000 rows, 18250 rows/s, eta 32 s");
  CHECK(FormatProgressLine("check", "rows", 0, 10, 0) ==
        "check: 0/10 rows, 0 rows/s, eta unknown");
}

// Captures what a reporter prints, with a clock the test moves.
struct ProgressCapture {
  char* text = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&text, &size);
  double now_s = 100.0;
  ~ProgressCapture() {
    std::fclose(out);
    std::free(text);
  }
  std::string Printed() {
    std::fflush(out);
    return std::string(text, size);
  }
  ProgressReporter::Options Options(bool terminal) {
    ProgressReporter::Options options;
    options.terminal = terminal;
    options.now_s = [this] { return now_s; };
    return options;
  }
};

TEST_CASE("plain progress prints a line every 5 s and one at the end",
          "[import][progress]") {
  ProgressCapture capture;
  ProgressReporter progress(capture.out, "import", "rows", 100,
                            capture.Options(/*terminal=*/false));
  progress.Update(10);
  capture.now_s += 4.9;
  progress.Update(20);
  CHECK(capture.Printed().empty());
  capture.now_s += 0.2;
  progress.Update(30);
  CHECK(capture.Printed() == "import: 30/100 rows, 6 rows/s, eta 12 s\n");
  capture.now_s += 1;
  progress.Update(40);  // Too soon for another line.
  progress.Note("a note");
  capture.now_s += 1;
  progress.Finish(100);
  progress.Update(100);  // Nothing after Finish.
  CHECK(capture.Printed() ==
        "import: 30/100 rows, 6 rows/s, eta 12 s\na note\n"
        "import: 100/100 rows, 14 rows/s, eta 0 s\n");
}

TEST_CASE("the terminal bar is redrawn at most every 0.1 s",
          "[import][progress]") {
  ProgressCapture capture;
  ProgressReporter progress(capture.out, "check", "rows", 10,
                            capture.Options(/*terminal=*/true));
  capture.now_s += 1;
  progress.Update(1);
  progress.Update(2);  // Same instant: not drawn.
  capture.now_s += 0.05;
  progress.Update(3);  // Too soon.
  capture.now_s += 0.06;
  progress.Update(4);
  const std::string printed = capture.Printed();
  size_t draws = 0;
  for (size_t at = printed.find('\r'); at != std::string::npos;
       at = printed.find('\r', at + 1)) {
    ++draws;
  }
  CHECK(draws == 2);
  CHECK(printed.find("1/10 rows") != std::string::npos);
  CHECK(printed.find("4/10 rows") != std::string::npos);
  CHECK(printed.find("3/10 rows") == std::string::npos);
  progress.Finish(10);
  CHECK(capture.Printed().back() == '\n');  // The bar keeps its line.
}

}  // namespace
}  // namespace loyalty::ctl
