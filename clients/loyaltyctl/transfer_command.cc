// File: clients/loyaltyctl/transfer_command.cc
//
// `loyaltyctl transfer`: one member gives points to another, atomically on
// both sides, the points keeping their expiry dates
// (LoyaltyService.TransferPoints). Prints both entries (TRANSFER_OUT on the
// giver, TRANSFER_IN on the receiver) and both balances after.

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/context_flags.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/flag_checks.h"
#include "clients/loyaltyctl/format.h"
#include "clients/loyaltyctl/output.h"
#include "clients/loyaltyctl/statement.h"
#include "clients/loyaltyctl/table.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::LoyaltyService;
using loyalty::v1::TransferPointsRequest;
using loyalty::v1::TransferPointsResponse;

struct TransferFlags {
  ContextFlags context;
  std::string from_member_id;
  std::string to_member_id;
  int64_t points = 0;
  std::string note;
};

absl::StatusOr<TransferPointsRequest> BuildTransferRequest(
    const TransferFlags& flags) {
  absl::StatusOr<loyalty::v1::RequestContext> context =
      BuildRequestContext(flags.context);
  if (!context.ok()) return context.status();
  TransferPointsRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_from_member_id(flags.from_member_id);
  request.set_to_member_id(flags.to_member_id);
  request.set_points(flags.points);
  request.set_note(flags.note);
  return request;
}

// "alice: 200 points available": a member's balance after the transfer.
std::string BalanceAfter(const loyalty::v1::Balance& balance) {
  return absl::StrCat(balance.member_id(), ": ",
                      FormatPoints(balance.available_points()), " available");
}

// "300 points expiring <time>; 20 points never": the lots that moved.
std::string MovedLots(const loyalty::v1::LedgerEntry& entry) {
  std::vector<std::string> lots;
  for (const loyalty::v1::TransferredLot& lot : entry.transferred_lots()) {
    lots.push_back(absl::StrCat(FormatPoints(lot.points()), " expiring ",
                                lot.expires_at_ms() == 0
                                    ? "never"
                                    : FormatTimeUtc(lot.expires_at_ms())));
  }
  return OrDash(absl::StrJoin(lots, "; "));
}

void PrintTransferred(const TransferPointsResponse& response) {
  PrintReplayedNote(response.replayed());
  std::vector<Field> fields = {
      {"from", BalanceAfter(response.from_balance())},
      {"to", BalanceAfter(response.to_balance())},
  };
  if (!response.entries().empty()) {
    fields.push_back({"lots", MovedLots(response.entries(0))});
  }
  PrintFields(std::cout, fields);
  std::cout << '\n';
  loyalty::v1::ListEntriesResponse entries;
  *entries.mutable_entries() = response.entries();
  PrintStatement(entries);
}

ExitCode RunTransfer(const GlobalFlags& global, const TransferFlags& flags) {
  absl::StatusOr<TransferPointsRequest> request = BuildTransferRequest(flags);
  if (!request.ok()) return ReportBadInput(request.status());
  const std::string& request_id = request->context().request_id();
  AnnounceRequestId(global, request_id);

  const Connection connection(global);
  TransferPointsResponse response;
  const ExitCode sent = connection.Call(&LoyaltyService::Stub::TransferPoints,
                                        *request, &response, request_id);
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, response, &PrintTransferred);
}

}  // namespace

Command DefineTransferCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<TransferFlags>();
  CLI::App* command = app->add_subcommand(
      "transfer",
      "Give points from one member to another within the program's transfer "
      "limits (LoyaltyService.TransferPoints)");
  command->add_option("--from", flags->from_member_id, "Member who gives")
      ->type_name("ID")
      ->required()
      ->check(NotEmptyCheck());
  command->add_option("--to", flags->to_member_id, "Member who receives")
      ->type_name("ID")
      ->required()
      ->check(NotEmptyCheck());
  // Which way the points go is --from/--to, so a sign could only be a
  // mistake: refused here, before anything is sent.
  command
      ->add_option("--points", flags->points,
                   "Points to give, a positive number")
      ->type_name("N")
      ->transform(DecimalIntegerCheck(1, INT64_MAX))
      ->required();
  command
      ->add_option("--note", flags->note,
                   "Free-text note, recorded on both entries")
      ->type_name("TEXT");
  AddChannelFlag(command, &flags->context);
  AddContextFlags(command, &flags->context);
  return {command, [global, flags] { return RunTransfer(*global, *flags); }};
}

}  // namespace loyalty::ctl
