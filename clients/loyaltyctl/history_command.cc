// File: clients/loyaltyctl/history_command.cc
//
// `loyaltyctl history`: a member's statement, newest first, one page or, with
// --all, every page (LoyaltyService.ListEntries). `member history` shows the
// same table with a --limit instead of page tokens; both fetch and print
// through statement.h.

#include <cstdint>
#include <memory>
#include <string>

#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/flag_checks.h"
#include "clients/loyaltyctl/output.h"
#include "clients/loyaltyctl/statement.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::ListEntriesResponse;

struct HistoryFlags {
  std::string member_id;
  // 0 lets the server choose.
  int32_t page_size = 0;
  std::string page_token;
  bool all = false;
};

ExitCode RunHistory(const GlobalFlags& global, const HistoryFlags& flags) {
  StatementQuery query;
  query.member_id = flags.member_id;
  query.page_token = flags.page_token;
  query.page_size = flags.page_size;
  query.follow_pages = flags.all;
  const Connection connection(global);
  ListEntriesResponse history;
  const ExitCode fetched = FetchStatement(connection, query, &history);
  if (fetched != ExitCode::kOk) return fetched;
  return PrintResponse(global, history, &PrintStatement);
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
