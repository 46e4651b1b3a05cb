// File: clients/loyaltyctl/import_results.h
//
// What the server's answers to `loyaltyctl import` rows mean for the file:
// a failed row as a problem of a CSV column, a dry-run row as a line of the
// plan, and the totals of the summary. Pure functions over the messages of
// AdminService.ImportMembers; no I/O, no gRPC.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_IMPORT_RESULTS_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_IMPORT_RESULTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"
#include "clients/loyaltyctl/import_rows.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty::ctl {

// The ImportMembers row for a checked CSV row, under the import's --name.
// The context has the row's request id and CHANNEL_ADMIN and nothing that
// changes between runs (no occurred_at), so a re-run sends the same content
// and is recognised as a retry.
loyalty::v1::ImportMemberRequest BuildImportMemberRequest(
    absl::string_view name, const ImportRow& row);

// The problem of a row the server refused, in the file's terms: its field
// becomes the CSV column (opening_points is balance_points), and a request
// id used before with other content says the card was imported under this
// --name with another balance, phone or date. `request` is what was sent.
RowProblem ProblemOfResult(int64_t line, absl::string_view name,
                           const loyalty::v1::ImportMemberRequest& request,
                           const loyalty::v1::ImportMemberResult& result);

// The summary of an import or a dry run.
struct ImportTotals {
  int64_t rows_read = 0;         // Data rows in the file.
  int64_t enrolled = 0;          // New members.
  int64_t found_existing = 0;    // Rows whose card already had a member.
  int64_t phones_linked = 0;
  int64_t points_credited = 0;
  int64_t already_imported = 0;  // Replayed: imported by an earlier run.
  int64_t skipped_invalid = 0;   // Bad rows left out (--skip-invalid).
  int64_t failed = 0;            // Rows the server refused while importing.
};

// Adds the outcome of one row the server accepted (or, in a dry run, would).
void CountOutcome(const loyalty::v1::ImportMemberResponse& response,
                  ImportTotals* totals);

// The summary for people, one "name: value" line each, under a heading
// that says whether anything was written.
std::string FormatSummary(const ImportTotals& totals, bool dry_run);

// The summary as one JSON object (for --json).
std::string FormatSummaryJson(const ImportTotals& totals, bool dry_run);

// One line of a dry run's plan, e.g.
//   line 7: card 4000000000000007: enrol new member, link phone,
//   1200 points, lot expires 2027-03-31T22:00Z, available after 1200
// (on one line). `now_ms` tells a lot that expires at once.
std::string FormatPlanLine(const ImportRow& row,
                           const loyalty::v1::ImportMemberResponse& response,
                           int64_t now_ms);

// The same as one JSON object (for --json).
std::string FormatPlanJson(const ImportRow& row,
                           const loyalty::v1::ImportMemberResponse& response);

// A phone a dry-run row would link, to find rows of one file that would
// link the same phone to different members: the server checks each row of
// a dry run against the stored state alone, so it cannot see that.
struct PhoneLink {
  absl::uint128 phone;  // The phone's stored hash, folded to 128 bits.
  int64_t line;
  // 0 for a new member; else a hash of the existing member's id.
  uint64_t member_tag;
};

// The phone `response` links (from its ENROLL or LINK entry), if it links
// one and was not replayed (a replayed row's phone is stored already).
std::optional<PhoneLink> PhoneLinkOf(
    int64_t line, const loyalty::v1::ImportMemberResponse& response);

// Every row that would link a phone an earlier line links to another
// member: a problem naming that earlier line. Sorted by line.
std::vector<RowProblem> FindSharedPhones(std::vector<PhoneLink> links);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_IMPORT_RESULTS_H_
