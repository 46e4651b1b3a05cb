// File: clients/loyaltyctl/import_results.cc

#include "clients/loyaltyctl/import_results.h"

#include <algorithm>
#include <functional>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "clients/loyaltyctl/import_progress.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::ImportMemberRequest;
using loyalty::v1::ImportMemberResponse;
using loyalty::v1::ImportMemberResult;

struct FieldColumn {
  absl::string_view field;  // Of ImportMemberRequest, as the server names it.
  ImportColumn column;
};

constexpr FieldColumn kFieldColumns[] = {
    {"card_number", ImportColumn::kCardNumber},
    {"phone", ImportColumn::kPhone},
    {"opening_points", ImportColumn::kBalancePoints},
    {"earned_on", ImportColumn::kEarnedOn},
};

std::string ColumnName(ImportColumn column) {
  return std::string(ImportColumnName(column));
}

// A phone problem with the phone it is about: `"12" is not a phone number`.
std::string WithPhone(absl::string_view phone, absl::string_view problem) {
  if (absl::StartsWith(problem, "is ")) {
    return absl::StrCat(QuoteValue(phone), " ", problem);
  }
  return absl::StrCat(QuoteValue(phone), ": ", problem);
}

// "2027-03-31T22:00Z": the instant a lot expires, in UTC (the program's
// time zone is the server's business; the instant is exact).
std::string FormatInstantUtc(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%MZ", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

// A JSON string of `text`, which the contract keeps to printable ASCII
// (card digits, member ids); anything else is escaped all the same.
std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", byte);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace

ImportMemberRequest BuildImportMemberRequest(absl::string_view name,
                                             const ImportRow& row) {
  ImportMemberRequest request;
  request.mutable_context()->set_request_id(
      ImportRequestId(name, row.card_number));
  request.mutable_context()->set_channel(loyalty::v1::CHANNEL_ADMIN);
  request.set_card_number(row.card_number);
  request.set_phone(row.phone);
  request.set_opening_points(row.balance_points);
  request.set_earned_on(row.earned_on);
  return request;
}

RowProblem ProblemOfResult(int64_t line, absl::string_view name,
                           const ImportMemberRequest& request,
                           const ImportMemberResult& result) {
  const absl::string_view message = result.message();
  switch (result.reason()) {
    case loyalty::v1::ERROR_REASON_REQUEST_ID_REUSED:
      return RowProblem{
          line, "",
          absl::StrCat("this card was imported under --name ", name,
                       " before with another balance, phone or date; the "
                       "first import stands (a further balance for the card "
                       "needs another --name)")};
    case loyalty::v1::ERROR_REASON_IDENTIFIER_TAKEN:
      return RowProblem{
          line, ColumnName(ImportColumn::kPhone),
          absl::StrCat(QuoteValue(request.phone()),
                       " belongs to another member (",
                       absl::StripPrefix(message, "phone: "), ")")};
    case loyalty::v1::ERROR_REASON_TOO_MANY_IDENTIFIERS:
      return RowProblem{line, ColumnName(ImportColumn::kPhone),
                        WithPhone(request.phone(),
                                  absl::StrCat("cannot be linked: ", message))};
    case loyalty::v1::ERROR_REASON_BALANCE_OVERFLOW:
      return RowProblem{line, ColumnName(ImportColumn::kBalancePoints),
                        std::string(message)};
    default:
      break;
  }
  // Validation messages start with the request's field: "phone: ...".
  for (const FieldColumn& known : kFieldColumns) {
    absl::string_view problem = message;
    if (absl::ConsumePrefix(&problem, known.field) &&
        absl::ConsumePrefix(&problem, ": ")) {
      if (known.column == ImportColumn::kPhone) {
        return RowProblem{line, ColumnName(known.column),
                          WithPhone(request.phone(), problem)};
      }
      return RowProblem{line, ColumnName(known.column), std::string(problem)};
    }
  }
  return RowProblem{
      line, "",
      absl::StrCat(absl::StatusCodeToString(
                       static_cast<absl::StatusCode>(result.code())),
                   ": ", message)};
}

void CountOutcome(const ImportMemberResponse& response, ImportTotals* totals) {
  if (response.replayed()) {
    ++totals->already_imported;
    return;
  }
  if (response.enrolled()) {
    ++totals->enrolled;
  } else {
    ++totals->found_existing;
  }
  if (response.phone_linked()) ++totals->phones_linked;
  totals->points_credited += response.opening_points();
}

std::string FormatSummary(const ImportTotals& totals, bool dry_run) {
  const std::pair<absl::string_view, int64_t> lines[] = {
      {"rows read", totals.rows_read},
      {"enrolled", totals.enrolled},
      {"found existing", totals.found_existing},
      {"phones linked", totals.phones_linked},
      {"points credited", totals.points_credited},
      {"already imported", totals.already_imported},
      {"skipped invalid", totals.skipped_invalid},
      {"failed", totals.failed},
  };
  std::string out = dry_run ? "dry run: what the import would do; nothing "
                              "was written\n"
                            : "import summary:\n";
  for (const auto& [label, value] : lines) {
    absl::StrAppendFormat(&out, "  %-17s %s\n", absl::StrCat(label, ":"),
                          FormatCount(value));
  }
  return out;
}

std::string FormatSummaryJson(const ImportTotals& totals, bool dry_run) {
  return absl::StrFormat(
      "{\"dry_run\":%s,\"rows_read\":%d,\"enrolled\":%d,"
      "\"found_existing\":%d,\"phones_linked\":%d,\"points_credited\":%d,"
      "\"already_imported\":%d,\"skipped_invalid\":%d,\"failed\":%d}",
      dry_run ? "true" : "false", totals.rows_read, totals.enrolled,
      totals.found_existing, totals.phones_linked, totals.points_credited,
      totals.already_imported, totals.skipped_invalid, totals.failed);
}

std::string FormatPlanLine(const ImportRow& row,
                           const ImportMemberResponse& response,
                           int64_t now_ms) {
  std::string out =
      absl::StrCat("line ", row.line, ": card ", row.card_number, ": ");
  if (response.replayed()) {
    absl::StrAppend(&out, "already imported (nothing to do), member ",
                    response.member_id());
    return out;
  }
  absl::StrAppend(&out, response.enrolled()
                            ? std::string("enrol new member")
                            : absl::StrCat("credit member ",
                                           response.member_id()));
  if (response.phone_linked()) absl::StrAppend(&out, ", link phone");
  absl::StrAppend(&out, ", ", response.opening_points(),
                  response.opening_points() == 1 ? " point" : " points");
  if (response.opening_points() > 0 && response.lot_expires_at_ms() > 0) {
    absl::StrAppend(&out, ", lot expires ",
                    FormatInstantUtc(response.lot_expires_at_ms()));
    if (response.lot_expires_at_ms() <= now_ms) {
      absl::StrAppend(&out, " (already past: they expire at once)");
    }
  }
  absl::StrAppend(&out, ", available after ",
                  response.balance().available_points());
  return out;
}

std::string FormatPlanJson(const ImportRow& row,
                           const ImportMemberResponse& response) {
  return absl::StrFormat(
      "{\"line\":%d,\"card_number\":%s,\"already_imported\":%s,"
      "\"enrol\":%s,\"member_id\":%s,\"link_phone\":%s,\"points\":%d,"
      "\"lot_expires_at_ms\":%d,\"available_after_points\":%d}",
      row.line, JsonString(row.card_number),
      response.replayed() ? "true" : "false",
      response.enrolled() ? "true" : "false",
      JsonString(response.enrolled() ? "" : response.member_id()),
      response.phone_linked() ? "true" : "false", response.opening_points(),
      response.lot_expires_at_ms(), response.balance().available_points());
}

std::optional<PhoneLink> PhoneLinkOf(int64_t line,
                                     const ImportMemberResponse& response) {
  if (response.replayed() || !response.phone_linked()) return std::nullopt;
  for (const loyalty::v1::LedgerEntry& entry : response.entries()) {
    for (const loyalty::v1::MemberIdentifier& identifier :
         entry.identifiers()) {
      if (identifier.kind() != loyalty::v1::IDENTIFIER_KIND_PHONE) continue;
      const std::string& hash = identifier.value();
      // The stored form is 64 hex digits: its 256 bits folded into 128.
      // Anything else is hashed here, so that equal phones still compare
      // equal.
      uint64_t parts[4] = {0, 0, 0, 0};
      bool hex = hash.size() == 64;
      for (int i = 0; hex && i < 4; ++i) {
        hex = absl::SimpleHexAtoi(hash.substr(16 * i, 16), &parts[i]);
      }
      uint64_t high = parts[0] ^ parts[2];
      uint64_t low = parts[1] ^ parts[3];
      if (!hex) {
        high = std::hash<std::string>()(hash);
        low = hash.size();
      }
      const uint64_t member_tag =
          response.enrolled()
              ? 0
              : std::hash<std::string>()(response.member_id()) | 1;
      return PhoneLink{absl::MakeUint128(high, low), line, member_tag};
    }
  }
  return std::nullopt;
}

std::vector<RowProblem> FindSharedPhones(std::vector<PhoneLink> links) {
  std::sort(links.begin(), links.end(),
            [](const PhoneLink& a, const PhoneLink& b) {
              return std::tie(a.phone, a.line) < std::tie(b.phone, b.line);
            });
  std::vector<RowProblem> problems;
  for (size_t first = 0; first < links.size();) {
    size_t next = first + 1;
    for (; next < links.size() && links[next].phone == links[first].phone;
         ++next) {
      // Two cards of one existing member may both carry its phone: the
      // first links it, the second finds it linked already.
      const bool same_member = links[first].member_tag != 0 &&
                               links[next].member_tag == links[first].member_tag;
      if (same_member) continue;
      problems.push_back(RowProblem{
          links[next].line, ColumnName(ImportColumn::kPhone),
          absl::StrCat("the same phone as line ", links[first].line,
                       ", which links it to another member (a phone belongs "
                       "to one member only)")});
    }
    first = next;
  }
  std::sort(problems.begin(), problems.end(),
            [](const RowProblem& a, const RowProblem& b) {
              return a.line < b.line;
            });
  return problems;
}

}  // namespace loyalty::ctl
