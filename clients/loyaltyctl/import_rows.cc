// File: clients/loyaltyctl/import_rows.cc

#include "clients/loyaltyctl/import_rows.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/loyaltyctl/check.h"

namespace loyalty::ctl {
namespace {

constexpr absl::string_view kColumnNames[kImportColumnCount] = {
    "card_number", "phone", "balance_points", "earned_on"};
constexpr char kColumnList[] =
    "card_number, phone, balance_points, earned_on";
// Longest value echoed back in a problem; enough to recognise it.
constexpr size_t kEchoBytesMax = 40;
// The eastmost time zone, UTC+14 (Line Islands): its day is the latest.
constexpr int kLatestUtcOffsetSeconds = 14 * 3600;
constexpr int64_t kEarliestEarnedYear = 1970;

absl::string_view TrimBlanks(absl::string_view text) {
  return absl::StripAsciiWhitespace(text);
}

bool AllDigits(absl::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return absl::ascii_isdigit(c); });
}

// Strict UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF), as protobuf requires of string fields: one bad byte would
// make the server refuse the whole call, not just the row.
bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      ++i;
      continue;
    }
    int extra = 0;
    uint32_t code_point = 0;
    uint32_t min_code_point = 0;
    if ((byte & 0xE0) == 0xC0) {
      extra = 1, code_point = byte & 0x1F, min_code_point = 0x80;
    } else if ((byte & 0xF0) == 0xE0) {
      extra = 2, code_point = byte & 0x0F, min_code_point = 0x800;
    } else if ((byte & 0xF8) == 0xF0) {
      extra = 3, code_point = byte & 0x07, min_code_point = 0x10000;
    } else {
      return false;
    }
    if (i + static_cast<size_t>(extra) >= text.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    if (code_point < min_code_point || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += static_cast<size_t>(extra) + 1;
  }
  return true;
}

void AddProblem(const CsvRecord& record, ImportColumn column,
                std::string reason, std::vector<RowProblem>* problems) {
  problems->push_back(RowProblem{record.line,
                                 std::string(ImportColumnName(column)),
                                 std::move(reason)});
}

std::optional<std::string> CheckCard(absl::string_view card) {
  if (card.empty()) return "is empty; every row needs a card number";
  if (!IsImportCardNumber(card)) {
    return absl::StrCat(QuoteValue(card), " is not a card number (",
                        kImportCardDigitsMin, "..", kImportCardDigitsMax,
                        " digits)");
  }
  return std::nullopt;
}

// Parses balance_points, or says why it is not one.
std::optional<std::string> CheckBalance(absl::string_view text,
                                        int64_t* points) {
  if (text.empty()) return "is empty; write 0 for no points";
  if (!AllDigits(text)) {
    return absl::StrCat(QuoteValue(text),
                        " is not a whole number of points (digits only, 0..",
                        kImportBalancePointsMax, ")");
  }
  // Leading zeros do not count against the range; past 13 significant
  // digits the value is surely too large (and would not fit an int64).
  absl::string_view significant = text;
  while (significant.size() > 1 && significant.front() == '0') {
    significant.remove_prefix(1);
  }
  int64_t value = 0;
  if (significant.size() <= 13) {
    for (char c : significant) value = value * 10 + (c - '0');
  }
  if (significant.size() > 13 || value > kImportBalancePointsMax) {
    return absl::StrCat(QuoteValue(text), " is more than ", kImportBalancePointsMax,
                        " points");
  }
  *points = value;
  return std::nullopt;
}

bool IsDateShape(absl::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  return AllDigits(text.substr(0, 4)) && AllDigits(text.substr(5, 2)) &&
         AllDigits(text.substr(8, 2));
}

std::optional<std::string> CheckEarnedOn(absl::string_view text,
                                         const RowCheckOptions& options) {
  if (!IsDateShape(text)) {
    return absl::StrCat(QuoteValue(text), " is not a date YYYY-MM-DD");
  }
  absl::CivilDay day;
  // ParseCivilTime normalises 2023-02-29 to 2023-03-01: a real date is one
  // that survives the round trip unchanged.
  if (!absl::ParseCivilTime(text, &day) || absl::FormatCivilTime(day) != text) {
    return absl::StrCat(QuoteValue(text), " is not a real date");
  }
  if (day.year() < kEarliestEarnedYear) {
    return absl::StrCat(QuoteValue(text), " lies before ", kEarliestEarnedYear);
  }
  if (day > options.latest_today) {
    return absl::StrCat(QuoteValue(text), " lies in the future");
  }
  return std::nullopt;
}

std::optional<std::string> CheckPhone(absl::string_view phone) {
  if (phone.size() > kImportPhoneBytesMax) {
    return absl::StrCat(QuoteValue(phone), " is not a phone number (longer than ",
                        kImportPhoneBytesMax, " bytes)");
  }
  if (!IsValidUtf8(phone)) {
    return absl::StrCat(QuoteValue(phone), " is not valid UTF-8");
  }
  for (char c : phone) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return absl::StrCat(QuoteValue(phone), " holds a control character");
    }
  }
  return std::nullopt;
}

// The column at `field_index` of a record, or "" past the header's columns.
std::string ColumnAt(const ImportHeader& header, int64_t field_index) {
  for (int column = 0; column < kImportColumnCount; ++column) {
    if (header.field_index[column] == field_index) {
      return std::string(kColumnNames[column]);
    }
  }
  return "";
}

std::optional<RowProblem> HeaderProblem(const CsvRecord& record,
                                        std::string reason) {
  return RowProblem{record.line, "", absl::StrCat("header: ", reason)};
}

}  // namespace

std::string QuoteValue(absl::string_view value) {
  const bool cut = value.size() > kEchoBytesMax;
  return absl::StrCat("\"", absl::CHexEscape(value.substr(0, kEchoBytesMax)),
                      cut ? "...\"" : "\"");
}

absl::string_view ImportColumnName(ImportColumn column) {
  return kColumnNames[static_cast<int>(column)];
}

std::string FormatRowProblem(absl::string_view file,
                             const RowProblem& problem) {
  if (problem.column.empty()) {
    return absl::StrCat(file, ":", problem.line, ": ", problem.reason);
  }
  return absl::StrCat(file, ":", problem.line, ": column ", problem.column,
                      ": ", problem.reason);
}

std::optional<RowProblem> ParseImportHeader(const CsvRecord& record,
                                            ImportHeader* header) {
  *header = ImportHeader{};
  header->line = record.line;
  if (record.defect.has_value()) {
    return HeaderProblem(record, record.defect->problem);
  }
  if (record.field_count > kImportColumnCount) {
    return HeaderProblem(
        record, absl::StrCat("names ", record.field_count,
                             " columns; an import has at most ",
                             kImportColumnCount, " (", kColumnList, ")"));
  }
  for (size_t i = 0; i < record.fields.size(); ++i) {
    const absl::string_view written = TrimBlanks(record.fields[i]);
    const std::string name = absl::AsciiStrToLower(written);
    const auto* known = std::find(std::begin(kColumnNames),
                                  std::end(kColumnNames), name);
    if (known == std::end(kColumnNames)) {
      return HeaderProblem(
          record, name.empty()
                      ? absl::StrCat("column ", i + 1, " has no name")
                      : absl::StrCat("unknown column ", QuoteValue(written),
                                     "; the columns are ", kColumnList));
    }
    int64_t& index = header->field_index[known - std::begin(kColumnNames)];
    if (index >= 0) {
      return HeaderProblem(record,
                           absl::StrCat("column ", QuoteValue(written),
                                        " appears twice"));
    }
    index = static_cast<int64_t>(i);
  }
  for (ImportColumn required :
       {ImportColumn::kCardNumber, ImportColumn::kBalancePoints}) {
    if (!header->has(required)) {
      return HeaderProblem(record,
                           absl::StrCat("the required column ",
                                        ImportColumnName(required),
                                        " is missing; the columns are ",
                                        kColumnList));
    }
  }
  header->field_count = record.field_count;
  return std::nullopt;
}

RowCheckOptions RowCheckOptionsNow() {
  return RowCheckOptions{absl::ToCivilDay(
      absl::Now(), absl::FixedTimeZone(kLatestUtcOffsetSeconds))};
}

std::optional<ImportRow> CheckImportRecord(const CsvRecord& record,
                                           const ImportHeader& header,
                                           const RowCheckOptions& options,
                                           std::vector<RowProblem>* problems) {
  if (record.defect.has_value()) {
    problems->push_back(RowProblem{record.line,
                                   ColumnAt(header, record.defect->field_index),
                                   record.defect->problem});
    return std::nullopt;
  }
  if (record.field_count != header.field_count) {
    problems->push_back(RowProblem{
        record.line, "",
        absl::StrCat("has ", record.field_count,
                     record.field_count == 1 ? " field" : " fields",
                     "; the header names ", header.field_count, " columns")});
    return std::nullopt;
  }
  const size_t problems_before = problems->size();
  ImportRow row;
  row.line = record.line;
  row.card_number = std::string(ImportValue(record, header, ImportColumn::kCardNumber));
  if (auto bad = CheckCard(row.card_number)) {
    AddProblem(record, ImportColumn::kCardNumber, *std::move(bad), problems);
  }
  row.phone = std::string(ImportValue(record, header, ImportColumn::kPhone));
  if (!row.phone.empty()) {
    if (auto bad = CheckPhone(row.phone)) {
      AddProblem(record, ImportColumn::kPhone, *std::move(bad), problems);
    }
  }
  if (auto bad = CheckBalance(ImportValue(record, header, ImportColumn::kBalancePoints),
                              &row.balance_points)) {
    AddProblem(record, ImportColumn::kBalancePoints, *std::move(bad), problems);
  }
  row.earned_on = std::string(ImportValue(record, header, ImportColumn::kEarnedOn));
  if (!row.earned_on.empty()) {
    if (auto bad = CheckEarnedOn(row.earned_on, options)) {
      AddProblem(record, ImportColumn::kEarnedOn, *std::move(bad), problems);
    }
  }
  if (problems->size() != problems_before) return std::nullopt;
  return row;
}

absl::string_view ImportValue(const CsvRecord& record,
                              const ImportHeader& header, ImportColumn column) {
  const int64_t index = header.field_index[static_cast<int>(column)];
  if (index < 0) return "";
  // Invariant: the caller checked the field count against the header, and
  // the header has at most kImportColumnCount fields, all kept.
  LOYALTYCTL_CHECK(static_cast<size_t>(index) < record.fields.size());
  return TrimBlanks(record.fields[static_cast<size_t>(index)]);
}

bool IsImportCardNumber(absl::string_view card_number) {
  return AllDigits(card_number) &&
         card_number.size() >= kImportCardDigitsMin &&
         card_number.size() <= kImportCardDigitsMax;
}

absl::uint128 CardKey(absl::string_view card_number) {
  // Invariant: 10^32 < 2^107, so the value leaves bits 112.. for the length.
  LOYALTYCTL_CHECK(!card_number.empty());
  LOYALTYCTL_CHECK(card_number.size() <= kImportCardDigitsMax);
  absl::uint128 value = 0;
  for (char c : card_number) {
    LOYALTYCTL_CHECK(absl::ascii_isdigit(c));
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return (absl::uint128(card_number.size()) << 112) | value;
}

absl::Status CheckImportName(absl::string_view name) {
  const bool name_chars_ok =
      std::all_of(name.begin(), name.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-';
      });
  if (name.empty() || name.size() > kImportNameLengthMax || !name_chars_ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("--name: ", QuoteValue(name), " must be 1..",
                     kImportNameLengthMax, " of A-Z a-z 0-9 . _ -"));
  }
  return absl::OkStatus();
}

std::string ImportRequestId(absl::string_view name,
                            absl::string_view card_number) {
  return absl::StrCat("import:", name, ":", card_number);
}

}  // namespace loyalty::ctl
