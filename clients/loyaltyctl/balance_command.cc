// File: clients/loyaltyctl/balance_command.cc
//
// `loyaltyctl balance`: a member's points and totals
// (LoyaltyService.GetBalance), in the same lines `member show` prints them.

#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/member_view.h"
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
  std::vector<Field> fields = {{"member", balance.member_id()}};
  if (!balance.requested_member_id().empty()) {
    fields.push_back({"asked for", absl::StrCat(balance.requested_member_id(),
                                                " (merged into ",
                                                balance.member_id(), ")")});
  }
  for (Field& field : BalanceFields(balance)) {
    fields.push_back(std::move(field));
  }
  PrintFields(std::cout, fields);
}

ExitCode RunBalance(const GlobalFlags& global, const BalanceFlags& flags) {
  loyalty::v1::GetBalanceRequest request;
  request.set_member_id(flags.member_id);

  const Connection connection(global);
  Balance balance;
  const ExitCode sent =
      connection.Call(&LoyaltyService::Stub::GetBalance, request, &balance,
                      /*retry_request_id=*/"");
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
