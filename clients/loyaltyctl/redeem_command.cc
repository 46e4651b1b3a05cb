// File: clients/loyaltyctl/redeem_command.cc
//
// `loyaltyctl redeem`: spends points against an order, in one phase
// (LoyaltyService.Redeem).

#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/context_flags.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/flag_checks.h"
#include "clients/loyaltyctl/format.h"
#include "clients/loyaltyctl/output.h"
#include "clients/loyaltyctl/table.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::LoyaltyService;
using loyalty::v1::RedeemRequest;
using loyalty::v1::RedeemResponse;

struct RedeemFlags {
  ContextFlags context;
  std::string member_id;
  std::string order_id;
  int64_t points = 0;
  bool offline = false;
};

absl::StatusOr<RedeemRequest> BuildRedeemRequest(const RedeemFlags& flags) {
  absl::StatusOr<loyalty::v1::RequestContext> context =
      BuildRequestContext(flags.context);
  if (!context.ok()) return context.status();
  RedeemRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  request.set_order_id(flags.order_id);
  request.set_points(flags.points);
  request.set_offline(flags.offline);
  return request;
}

void PrintRedeemed(const RedeemResponse& response) {
  PrintReplayedNote(response.replayed());
  const loyalty::v1::LedgerEntry& entry = response.entry();
  std::vector<Field> fields = {
      {"member", entry.member_id()},
      {"order", entry.order_id()},
      {"change", FormatPointsChange(entry.points_delta())},
      {"available", FormatPoints(response.balance().available_points())},
      {"entry", FormatEntryPlace(entry)},
  };
  if (entry.has_offline_redemption()) {
    fields.push_back(
        {"reconciled", OfflineOutcomeText(entry.offline_redemption())});
  }
  PrintFields(std::cout, fields);
}

ExitCode RunRedeem(const GlobalFlags& global, const RedeemFlags& flags) {
  absl::StatusOr<RedeemRequest> request = BuildRedeemRequest(flags);
  if (!request.ok()) return ReportBadInput(request.status());
  const std::string& request_id = request->context().request_id();
  AnnounceRequestId(global, request_id);

  const Connection connection(global);
  RedeemResponse response;
  const ExitCode sent = connection.Call(&LoyaltyService::Stub::Redeem, *request,
                                        &response, request_id);
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, response, &PrintRedeemed);
}

}  // namespace

Command DefineRedeemCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<RedeemFlags>();
  CLI::App* command = app->add_subcommand(
      "redeem", "Spend points against an order (LoyaltyService.Redeem)");
  command->add_option("--member", flags->member_id, "Member id")
      ->type_name("ID")
      ->required();
  command->add_option("--order", flags->order_id, "Order id")
      ->type_name("ID")
      ->required();
  command->add_option("--points", flags->points, "Points to spend")
      ->type_name("N")
      ->transform(DecimalIntegerCheck(INT64_MIN, INT64_MAX))
      ->required();
  command->add_flag("--offline", flags->offline,
                    "A till's offline redemption, synced (reconciled by the "
                    "program's offline rules; give --occurred-at-ms)");
  AddChannelFlag(command, &flags->context);
  AddContextFlags(command, &flags->context);
  return {command, [global, flags] { return RunRedeem(*global, *flags); }};
}

}  // namespace loyalty::ctl
