// Tests of `loyaltyctl export`'s CSV (clients/loyaltyctl/statement_csv.h):
// RFC 4180 quoting of every special character, the header, and how one
// entry's fields read, including the ones the contract leaves unset.
#include <string>

#include "catch2/catch.hpp"
#include "clients/loyaltyctl/statement_csv.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::LedgerEntry;
using Entries = google::protobuf::RepeatedPtrField<LedgerEntry>;

// 2026-03-15T10:00:00.250Z.
constexpr int64_t kRecordedAtMs = 1773568800250;

LedgerEntry TransferOut() {
  LedgerEntry entry;
  entry.set_sequence(42);
  entry.set_member_id("ann");
  entry.set_kind(loyalty::v1::ENTRY_KIND_TRANSFER_OUT);
  entry.set_points_delta(-300);
  entry.set_bucket(loyalty::v1::BUCKET_AVAILABLE);
  entry.set_available_after_points(700);
  entry.set_pending_after_points(34);
  entry.set_counterparty_member_id("bob");
  entry.set_channel(loyalty::v1::CHANNEL_APP);
  entry.set_principal("demo-app");
  entry.set_request_id("gift-1");
  entry.set_recorded_at_ms(kRecordedAtMs);
  return entry;
}

TEST_CASE("a plain field is written as it is", "[ctl][export]") {
  CHECK(CsvField("birthday") == "birthday");
  CHECK(CsvField("") == "");
  CHECK(CsvField("airline:AB-123 x") == "airline:AB-123 x");
}

TEST_CASE("a field with a comma, quote, CR or LF is quoted, quotes doubled",
          "[ctl][export]") {
  CHECK(CsvField("for Ann, with love") == "\"for Ann, with love\"");
  CHECK(CsvField("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(CsvField("line one\nline two") == "\"line one\nline two\"");
  CHECK(CsvField("carriage\rreturn") == "\"carriage\rreturn\"");
  CHECK(CsvField("\"") == "\"\"\"\"");
}

TEST_CASE("an empty statement is the header row alone", "[ctl][export]") {
  CHECK(StatementCsv(Entries()) == std::string(kStatementCsvHeader) + "\r\n");
}

TEST_CASE("an entry becomes one row in the header's column order",
          "[ctl][export]") {
  Entries entries;
  *entries.Add() = TransferOut();
  entries.Mutable(0)->set_note("for \"Ann\", with love");
  // occurred_at 0 (unset) is an empty field, not 1970; so are the fields
  // a transfer does not have.
  CHECK(StatementCsv(entries) ==
        std::string(kStatementCsvHeader) + "\r\n" +
            "42,2026-03-15T10:00:00.250Z,,transfer_out,-300,available,700,34,"
            "0,,bob,app,,,demo-app,gift-1,,,\"for \"\"Ann\"\", with love\""
            "\r\n");
}

TEST_CASE("rows keep the order of the entries given, and an entry without a "
          "bucket has an empty bucket field",
          "[ctl][export]") {
  Entries entries;
  LedgerEntry enroll;
  enroll.set_sequence(1);
  enroll.set_kind(loyalty::v1::ENTRY_KIND_ENROLL);
  enroll.set_recorded_at_ms(kRecordedAtMs);
  enroll.set_occurred_at_ms(kRecordedAtMs);
  *entries.Add() = enroll;
  *entries.Add() = TransferOut();
  const std::string csv = StatementCsv(entries);
  const std::string header_line = std::string(kStatementCsvHeader) + "\r\n";
  REQUIRE(csv.rfind(header_line, 0) == 0);
  const std::string rows = csv.substr(header_line.size());
  CHECK(rows.rfind("1,2026-03-15T10:00:00.250Z,2026-03-15T10:00:00.250Z,"
                   "enroll,0,,0,0,0,",
                   0) == 0);
  CHECK(rows.find("\r\n42,") != std::string::npos);
}

}  // namespace
}  // namespace loyalty::ctl
