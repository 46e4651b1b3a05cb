// File: clients/loyaltyctl/statement_csv.cc

#include "clients/loyaltyctl/statement_csv.h"

#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "clients/loyaltyctl/format.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::LedgerEntry;

constexpr char kCsvLineEnd[] = "\r\n";

// ISO 8601 UTC, or empty for 0, which the contract uses for "unset".
std::string CsvTime(int64_t unix_ms) {
  return unix_ms == 0 ? "" : FormatTimeUtc(unix_ms);
}

// "available", "pending", "held"; empty for BUCKET_UNSPECIFIED.
std::string BucketLabel(loyalty::v1::Bucket bucket) {
  if (bucket == loyalty::v1::BUCKET_UNSPECIFIED) return "";
  const std::string& name = loyalty::v1::Bucket_Name(bucket);
  if (name.empty()) return absl::StrCat(static_cast<int>(bucket));
  return absl::AsciiStrToLower(absl::StripPrefix(name, "BUCKET_"));
}

// The row's fields in kStatementCsvHeader's order, not yet quoted.
std::vector<std::string> RowFields(const LedgerEntry& entry) {
  return {
      absl::StrCat(entry.sequence()),
      CsvTime(entry.recorded_at_ms()),
      CsvTime(entry.occurred_at_ms()),
      EntryKindLabel(entry.kind()),
      absl::StrCat(entry.points_delta()),
      BucketLabel(entry.bucket()),
      absl::StrCat(entry.available_after_points()),
      absl::StrCat(entry.pending_after_points()),
      absl::StrCat(entry.held_after_points()),
      entry.order_id(),
      entry.counterparty_member_id(),
      ChannelLabel(entry.channel()),
      entry.store_id(),
      entry.terminal_id(),
      entry.principal(),
      entry.request_id(),
      entry.operator_id(),
      entry.reason_code(),
      entry.note(),
  };
}

}  // namespace

std::string CsvField(absl::string_view text) {
  if (text.find_first_of(",\"\r\n") == absl::string_view::npos) {
    return std::string(text);
  }
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

std::string StatementCsv(
    const google::protobuf::RepeatedPtrField<LedgerEntry>& entries) {
  std::string csv = absl::StrCat(kStatementCsvHeader, kCsvLineEnd);
  for (const LedgerEntry& entry : entries) {
    absl::StrAppend(&csv,
                    absl::StrJoin(RowFields(entry), ",",
                                  [](std::string* out, const std::string& f) {
                                    out->append(CsvField(f));
                                  }),
                    kCsvLineEnd);
  }
  return csv;
}

}  // namespace loyalty::ctl
