// File: clients/loyaltyctl/balance_command.cc
//
// `loyaltyctl balance`: a member's points and totals
// (LoyaltyService.GetBalance).

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/format.h"
#include "clients/loyaltyctl/output.h"
#include "clients/loyaltyctl/table.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::Balance;
using loyalty::v1::LoyaltyService;

struct BalanceFlags {
  std::string member_id;
};

void PrintBalance(const Balance& balance) {
  std::vector<std::string> expiring;
  for (const loyalty::v1::ExpiringPoints& next : balance.next_expiring()) {
    expiring.push_back(absl::StrCat(FormatPoints(next.points()), " at ",
                                    FormatTimeUtc(next.expires_at_ms())));
  }
  PrintFields(
      std::cout,
      {
          {"member", balance.member_id()},
          {"available", FormatPoints(balance.available_points())},
          {"pending", FormatPoints(balance.pending_points()) +
                          " (inside the return window)"},
          {"held", FormatPoints(balance.held_points())},
          {"expiring",
           expiring.empty() ? "nothing" : absl::StrJoin(expiring, "; ")},
          {"expired", FormatPoints(balance.expired_points_total()) +
                          " in total"},
          {"earned", FormatPoints(balance.earned_points_total()) + " in total"},
          {"redeemed",
           FormatPoints(balance.redeemed_points_total()) + " in total"},
          {"adjusted", FormatPoints(balance.adjusted_points_total()) + " net"},
          {"entries", absl::StrCat(balance.entry_count(), ", newest sequence ",
                                   balance.last_sequence())},
      });
}

ExitCode RunBalance(const GlobalFlags& global, const BalanceFlags& flags) {
  loyalty::v1::GetBalanceRequest request;
  request.set_member_id(flags.member_id);

  const Connection connection(global);
  Balance balance;
  const ExitCode sent =
      connection.Call(connection.loyalty(), &LoyaltyService::Stub::GetBalance,
                      request, &balance, /*retry_request_id=*/"");
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, balance, &PrintBalance);
}

}  // namespace

Command DefineBalanceCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<BalanceFlags>();
  CLI::App* command = app->add_subcommand(
      "balance", "Show a member's points (LoyaltyService.GetBalance)");
  command->add_option("--member", flags->member_id, "Member id")
      ->type_name("ID")
      ->required();
  return {command, [global, flags] { return RunBalance(*global, *flags); }};
}

}  // namespace loyalty::ctl
