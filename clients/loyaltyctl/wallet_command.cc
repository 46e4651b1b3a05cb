// File: clients/loyaltyctl/wallet_command.cc
//
// `loyaltyctl wallet`: a member's coupons and vouchers with what each is
// worth, what it applies to and when it expires, oldest first
// (LoyaltyService.ListWallet). Usable ones by default; --include-unusable
// adds the used up, expired and cancelled ones. One page, or with --all
// every page, as `history` pages a statement.
//   wallet --member ID [--include-unusable] [--page-size N]
//          [--page-token T] [--all]

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
#include "clients/loyaltyctl/output.h"
#include "clients/loyaltyctl/wallet_view.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::ListWalletRequest;
using loyalty::v1::ListWalletResponse;
using loyalty::v1::LoyaltyService;

// Fetching stops here, so a server that never ends its token chain cannot
// keep the CLI fetching forever (a page may be short or even empty when the
// server skips unusable items, so pages are counted, not items).
constexpr int kWalletPagesMax = 10000;

struct WalletFlags {
  std::string member_id;
  bool include_unusable = false;
  // 0 lets the server choose.
  int32_t page_size = 0;
  std::string page_token;
  bool all = false;
};

// Fetches one page, or with flags.all every page from flags.page_token on,
// into *wallet; its next_page_token is where the last page fetched ended.
ExitCode FetchWallet(const Connection& connection, const WalletFlags& flags,
                     ListWalletResponse* wallet) {
  ListWalletRequest request;
  request.set_member_id(flags.member_id);
  request.set_page_size(flags.page_size);
  request.set_include_unusable(flags.include_unusable);
  request.set_page_token(flags.page_token);
  for (int page_count = 0; page_count < kWalletPagesMax; ++page_count) {
    ListWalletResponse page;
    const ExitCode sent =
        connection.Call(&LoyaltyService::Stub::ListWallet, request, &page,
                        /*retry_request_id=*/"");
    if (sent != ExitCode::kOk) return sent;
    for (loyalty::v1::WalletItem& item : *page.mutable_items()) {
      *wallet->add_items() = std::move(item);
    }
    wallet->set_next_page_token(page.next_page_token());
    if (!flags.all || page.next_page_token().empty()) return ExitCode::kOk;
    if (page.next_page_token() == request.page_token()) {
      return ReportBadResponse(
          "wallet: the server answered a page with the same page token; "
          "stopping to avoid a loop");
    }
    request.set_page_token(page.next_page_token());
  }
  return ReportBadResponse(absl::StrCat(
      "wallet: stopped after ", kWalletPagesMax,
      " pages; continue with --page-token ", request.page_token()));
}

void PrintWalletToStdout(const ListWalletResponse& wallet) {
  PrintWallet(std::cout, wallet);
}

ExitCode RunWallet(const GlobalFlags& global, const WalletFlags& flags) {
  const Connection connection(global);
  ListWalletResponse wallet;
  const ExitCode fetched = FetchWallet(connection, flags, &wallet);
  if (fetched != ExitCode::kOk) return fetched;
  return PrintResponse(global, wallet, &PrintWalletToStdout);
}

}  // namespace

Command DefineWalletCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<WalletFlags>();
  CLI::App* command =
      app->add_subcommand("wallet",
                          "List a member's coupons and vouchers, oldest first "
                          "(LoyaltyService.ListWallet)");
  command->add_option("--member", flags->member_id, "Member id")
      ->type_name("ID")
      ->required();
  command->add_flag("--include-unusable", flags->include_unusable,
                    "Also list used up, expired and cancelled ones");
  command
      ->add_option("--page-size", flags->page_size,
                   "Rows per page (default 0: the server's default)")
      ->type_name("N")
      ->transform(DecimalIntegerCheck(INT32_MIN, INT32_MAX));
  command
      ->add_option("--page-token", flags->page_token,
                   "Start at this page, from a previous 'next page token'")
      ->type_name("T");
  command->add_flag("--all", flags->all, "Follow page tokens to the last item");
  return {command, [global, flags] { return RunWallet(*global, *flags); }};
}

}  // namespace loyalty::ctl
