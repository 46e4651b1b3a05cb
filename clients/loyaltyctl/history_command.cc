// File: clients/loyaltyctl/history_command.cc
//
// `loyaltyctl history`: a member's statement, newest first, one page or, with
// --all, every page (LoyaltyService.ListEntries).

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

using loyalty::v1::LedgerEntry;
using loyalty::v1::ListEntriesRequest;
using loyalty::v1::ListEntriesResponse;
using loyalty::v1::LoyaltyService;

// --all stops here, so a server that never ends its token chain cannot keep
// the CLI fetching forever. At the largest page size that is 5 million
// entries, far beyond any one member's statement.
constexpr int kHistoryPagesMax = 10000;

struct HistoryFlags {
  std::string member_id;
  // 0 lets the server choose.
  int32_t page_size = 0;
  std::string page_token;
  bool all = false;
};

// Moves the entries of `page` to the end of *history and takes its token.
void AppendPage(ListEntriesResponse page, ListEntriesResponse* history) {
  for (LedgerEntry& entry : *page.mutable_entries()) {
    *history->add_entries() = std::move(entry);
  }
  history->set_next_page_token(page.next_page_token());
}

// Fetches one page, or with --all every page from --page-token on, into
// *history; its next_page_token is that of the last page fetched. Returns kOk,
// or the reported failure's exit code.
ExitCode FetchHistory(const Connection& connection, const HistoryFlags& flags,
                      ListEntriesResponse* history) {
  ListEntriesRequest request;
  request.set_member_id(flags.member_id);
  request.set_page_size(flags.page_size);
  request.set_page_token(flags.page_token);
  for (int page_count = 0; page_count < kHistoryPagesMax; ++page_count) {
    ListEntriesResponse page;
    const ExitCode sent = connection.Call(
        connection.loyalty(), &LoyaltyService::Stub::ListEntries, request,
        &page, /*retry_request_id=*/"");
    if (sent != ExitCode::kOk) return sent;
    const std::string next_page_token = page.next_page_token();
    AppendPage(std::move(page), history);
    if (!flags.all || next_page_token.empty()) return ExitCode::kOk;
    if (next_page_token == request.page_token()) {
      return ReportBadResponse(
          "history: the server answered a page with the same page token; "
          "stopping to avoid a loop");
    }
    request.set_page_token(next_page_token);
  }
  return ReportBadResponse(absl::StrCat(
      "history: stopped after ", kHistoryPagesMax,
      " pages; continue with --page-token ", request.page_token()));
}

void PrintHistory(const ListEntriesResponse& history) {
  if (history.entries().empty()) {
    std::cout << "no entries\n";
  } else {
    Table table({{"SEQUENCE", Table::Align::kRight},
                 {"RECORDED_UTC", Table::Align::kLeft},
                 {"KIND", Table::Align::kLeft},
                 {"POINTS", Table::Align::kRight},
                 {"AVAILABLE_AFTER", Table::Align::kRight},
                 {"CHANNEL", Table::Align::kLeft},
                 {"STORE", Table::Align::kLeft},
                 {"ORDER", Table::Align::kLeft},
                 {"PRINCIPAL", Table::Align::kLeft}});
    for (const LedgerEntry& entry : history.entries()) {
      table.AddRow({absl::StrCat(entry.sequence()),
                    FormatTimeUtc(entry.recorded_at_ms()),
                    EntryKindLabel(entry.kind()),
                    FormatPointsDelta(entry.points_delta()),
                    absl::StrCat(entry.available_after_points()),
                    ChannelLabel(entry.channel()), OrDash(entry.store_id()),
                    OrDash(entry.order_id()), OrDash(entry.principal())});
    }
    table.Print(std::cout);
  }
  if (!history.next_page_token().empty()) {
    std::cout << "next page token: " << history.next_page_token() << '\n';
  }
}

ExitCode RunHistory(const GlobalFlags& global, const HistoryFlags& flags) {
  const Connection connection(global);
  ListEntriesResponse history;
  const ExitCode fetched = FetchHistory(connection, flags, &history);
  if (fetched != ExitCode::kOk) return fetched;
  return PrintResponse(global, history, &PrintHistory);
}

}  // namespace

Command DefineHistoryCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<HistoryFlags>();
  CLI::App* command = app->add_subcommand(
      "history",
      "List a member's entries, newest first (LoyaltyService.ListEntries)");
  command->add_option("--member", flags->member_id, "Member id")
      ->type_name("ID")
      ->required();
  command
      ->add_option("--page-size", flags->page_size,
                   "Entries per page (default 0: the server's default)")
      ->type_name("N")
      ->transform(DecimalIntegerCheck(INT32_MIN, INT32_MAX));
  command
      ->add_option("--page-token", flags->page_token,
                   "Start at this page, from a previous 'next page token'")
      ->type_name("T");
  command->add_flag("--all", flags->all,
                    "Follow page tokens to the oldest entry");
  return {command, [global, flags] { return RunHistory(*global, *flags); }};
}

}  // namespace loyalty::ctl
