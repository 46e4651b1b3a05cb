// File: clients/loyaltyctl/reconciliations_command.cc
//
// `loyaltyctl reconciliations`: the offline redemptions the ledger did not
// apply as the till did — taken into debt, written off, or refused — oldest
// first, for an operator to follow up
// (AdminService.ListOfflineReconciliations). One page, or with --all every
// page.
//   reconciliations [--page-size N] [--page-token T] [--all]

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/flag_checks.h"
#include "clients/loyaltyctl/format.h"
#include "clients/loyaltyctl/output.h"
#include "clients/loyaltyctl/table.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::AdminService;
using loyalty::v1::ListOfflineReconciliationsRequest;
using loyalty::v1::ListOfflineReconciliationsResponse;

// Fetching stops here, so a server that never ends its token chain cannot
// keep the CLI fetching forever.
constexpr int kReconciliationPagesMax = 10000;

struct ReconciliationsFlags {
  int32_t page_size = 0;  // 0 lets the server choose.
  std::string page_token;
  bool all = false;
};

ExitCode FetchReconciliations(const Connection& connection,
                              const ReconciliationsFlags& flags,
                              ListOfflineReconciliationsResponse* listed) {
  ListOfflineReconciliationsRequest request;
  request.set_page_size(flags.page_size);
  request.set_page_token(flags.page_token);
  for (int page_count = 0; page_count < kReconciliationPagesMax; ++page_count) {
    ListOfflineReconciliationsResponse page;
    const ExitCode sent =
        connection.Call(&AdminService::Stub::ListOfflineReconciliations,
                        request, &page, /*retry_request_id=*/"");
    if (sent != ExitCode::kOk) return sent;
    for (loyalty::v1::LedgerEntry& entry : *page.mutable_entries()) {
      *listed->add_entries() = std::move(entry);
    }
    listed->set_next_page_token(page.next_page_token());
    if (!flags.all || page.next_page_token().empty()) return ExitCode::kOk;
    if (page.next_page_token() == request.page_token()) {
      return ReportBadResponse(
          "reconciliations: the server answered a page with the same page "
          "token; stopping to avoid a loop");
    }
    request.set_page_token(page.next_page_token());
  }
  return ReportBadResponse(absl::StrCat(
      "reconciliations: stopped after ", kReconciliationPagesMax,
      " pages; continue with --page-token ", request.page_token()));
}

void PrintReconciliations(const ListOfflineReconciliationsResponse& listed) {
  if (listed.entries().empty()) {
    std::cout << "No offline redemption needed reconciling.\n";
  } else {
    Table table({{"SEQUENCE", Table::Align::kRight},
                 {"SALE AT", Table::Align::kLeft},
                 {"MEMBER", Table::Align::kLeft},
                 {"STORE", Table::Align::kLeft},
                 {"TERMINAL", Table::Align::kLeft},
                 {"ORDER", Table::Align::kLeft},
                 {"TAKEN", Table::Align::kRight},
                 {"OUTCOME", Table::Align::kLeft}});
    for (const loyalty::v1::LedgerEntry& entry : listed.entries()) {
      table.AddRow({absl::StrCat(entry.sequence()),
                    FormatTimeUtc(entry.occurred_at_ms()), entry.member_id(),
                    OrDash(entry.store_id()), OrDash(entry.terminal_id()),
                    OrDash(entry.order_id()),
                    FormatPointsDelta(entry.points_delta()),
                    OfflineOutcomeText(entry.offline_redemption())});
    }
    table.Print(std::cout);
  }
  if (!listed.next_page_token().empty()) {
    std::cout << "next page token: " << listed.next_page_token() << "\n";
  }
}

ExitCode RunReconciliations(const GlobalFlags& global,
                            const ReconciliationsFlags& flags) {
  const Connection connection(global);
  ListOfflineReconciliationsResponse listed;
  const ExitCode fetched = FetchReconciliations(connection, flags, &listed);
  if (fetched != ExitCode::kOk) return fetched;
  return PrintResponse(global, listed, &PrintReconciliations);
}

}  // namespace

Command DefineReconciliationsCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<ReconciliationsFlags>();
  CLI::App* command = app->add_subcommand(
      "reconciliations",
      "List offline redemptions taken into debt, written off or refused, "
      "oldest first (AdminService.ListOfflineReconciliations)");
  command
      ->add_option("--page-size", flags->page_size,
                   "Rows per page (default 0: the server's default)")
      ->type_name("N")
      ->transform(DecimalIntegerCheck(INT32_MIN, INT32_MAX));
  command
      ->add_option("--page-token", flags->page_token,
                   "Start at this page, from a previous 'next page token'")
      ->type_name("T");
  command->add_flag("--all", flags->all, "Follow page tokens to the last row");
  return {command,
          [global, flags] { return RunReconciliations(*global, *flags); }};
}

}  // namespace loyalty::ctl
