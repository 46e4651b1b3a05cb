// File: clients/loyaltyctl/export_command.cc
//
// `loyaltyctl export`: a member's whole statement as CSV, oldest first
// (LoyaltyService.ListEntries, every page). The columns are those of
// statement_csv.h. To stdout, or with --output to a file that appears only
// once it is complete (atomic_file.h).

#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "clients/loyaltyctl/atomic_file.h"
#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/flag_checks.h"
#include "clients/loyaltyctl/statement.h"
#include "clients/loyaltyctl/statement_csv.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::ListEntriesResponse;

// Shown after the flags in `export --help`: the contract of the output. It
// ends in a newline, so a blank line parts it from the common footer.
constexpr char kExportColumnsHelp[] =
    "CSV columns, oldest entry first:\n"
    "  sequence,recorded_at,occurred_at,kind,points_delta,bucket,\n"
    "  available_after,pending_after,held_after,order_id,\n"
    "  counterparty_member_id,channel,store_id,terminal_id,principal,\n"
    "  request_id,operator_id,reason_code,note\n"
    "Times are ISO 8601 UTC (occurred_at empty when unset); points_delta is\n"
    "signed. RFC 4180: rows end in CRLF; a field holding a comma, a double\n"
    "quote, CR or LF is quoted and its quotes doubled.\n";

struct ExportFlags {
  std::string member_id;
  // Empty: stdout.
  std::string output_path;
};

// Every entry of the member, oldest first.
ExitCode FetchWholeStatement(const Connection& connection,
                             const std::string& member_id,
                             ListEntriesResponse* statement) {
  StatementQuery query;
  query.member_id = member_id;
  query.page_size = kStatementPageSizeMax;
  query.follow_pages = true;
  const ExitCode fetched = FetchStatement(connection, query, statement);
  if (fetched != ExitCode::kOk) return fetched;
  std::reverse(statement->mutable_entries()->begin(),
               statement->mutable_entries()->end());
  return ExitCode::kOk;
}

ExitCode WriteToStdout(const std::string& csv) {
  std::cout << csv << std::flush;
  if (!std::cout) {
    return ReportBadInput(
        absl::DataLossError("export: cannot write the CSV to stdout"));
  }
  return ExitCode::kOk;
}

ExitCode RunExport(const GlobalFlags& global, const ExportFlags& flags) {
  if (global.json) {
    return ReportBadInput(absl::InvalidArgumentError(
        "--json: export writes CSV; leave out --json"));
  }
  // Created before anything is sent, so an unwritable --output costs no
  // fetch; removed again unless the export completes.
  std::unique_ptr<AtomicFile> file;
  if (!flags.output_path.empty()) {
    absl::StatusOr<std::unique_ptr<AtomicFile>> created =
        AtomicFile::Create(flags.output_path);
    if (!created.ok()) {
      return ReportBadInput(absl::InvalidArgumentError(
          absl::StrCat("--output ", created.status().message())));
    }
    file = *std::move(created);
  }
  const Connection connection(global);
  ListEntriesResponse statement;
  const ExitCode fetched =
      FetchWholeStatement(connection, flags.member_id, &statement);
  if (fetched != ExitCode::kOk) return fetched;
  const std::string csv = StatementCsv(statement.entries());
  if (file == nullptr) return WriteToStdout(csv);

  const absl::Status written = file->Commit(csv);
  if (!written.ok()) {
    return ReportBadInput(absl::InvalidArgumentError(
        absl::StrCat("--output ", written.message())));
  }
  std::cout << "exported " << statement.entries_size() << " entries of member "
            << flags.member_id << " to " << flags.output_path << '\n';
  return ExitCode::kOk;
}

}  // namespace

Command DefineExportCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<ExportFlags>();
  CLI::App* command = app->add_subcommand(
      "export",
      "Write a member's whole statement as CSV, oldest first "
      "(LoyaltyService.ListEntries)");
  command->footer([] { return std::string(kExportColumnsHelp); });
  command->add_option("--member", flags->member_id, "Member id")
      ->type_name("ID")
      ->required()
      ->check(NotEmptyCheck());
  command
      ->add_option("--output", flags->output_path,
                   "Write to FILE instead of stdout: first to a temporary "
                   "file beside it, renamed to FILE once complete, so a "
                   "failed export leaves no partial file (mode 0600)")
      ->type_name("FILE")
      ->check(NotEmptyCheck());
  return {command, [global, flags] { return RunExport(*global, *flags); }};
}

}  // namespace loyalty::ctl
