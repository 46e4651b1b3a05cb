// File: clients/loyaltyctl/adjust_command.cc
//
// `loyaltyctl adjust`: an operator's credit or debit, with the reason and the
// operator on record (AdminService.Adjust). Always CHANNEL_ADMIN.

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <utility>

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

using loyalty::v1::AdjustRequest;
using loyalty::v1::AdjustResponse;
using loyalty::v1::AdminService;

struct AdjustFlags {
  ContextFlags context;
  std::string member_id;
  // Positive credits, negative debits.
  int64_t points_delta = 0;
  std::string reason_code;
  std::string operator_id;
  std::string note;
};

absl::StatusOr<AdjustRequest> BuildAdjustRequest(const AdjustFlags& flags) {
  absl::StatusOr<loyalty::v1::RequestContext> context =
      BuildAdminRequestContext(flags.context);
  if (!context.ok()) return context.status();
  AdjustRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  request.set_points_delta(flags.points_delta);
  request.set_reason_code(flags.reason_code);
  request.set_operator_id(flags.operator_id);
  request.set_note(flags.note);
  return request;
}

void PrintAdjusted(const AdjustResponse& response) {
  PrintReplayedNote(response.replayed());
  const loyalty::v1::LedgerEntry& entry = response.entry();
  PrintFields(
      std::cout,
      {
          {"member", entry.member_id()},
          {"change", FormatPointsChange(entry.points_delta())},
          {"reason", entry.reason_code()},
          {"operator", entry.operator_id()},
          {"available", FormatPoints(response.balance().available_points())},
          {"entry", FormatEntryPlace(entry)},
      });
}

ExitCode RunAdjust(const GlobalFlags& global, const AdjustFlags& flags) {
  absl::StatusOr<AdjustRequest> request = BuildAdjustRequest(flags);
  if (!request.ok()) return ReportBadInput(request.status());
  const std::string& request_id = request->context().request_id();
  AnnounceRequestId(global, request_id);

  const Connection connection(global);
  AdjustResponse response;
  const ExitCode sent =
      connection.Call(connection.admin(), &AdminService::Stub::Adjust, *request,
                      &response, request_id);
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, response, &PrintAdjusted);
}

}  // namespace

Command DefineAdjustCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<AdjustFlags>();
  CLI::App* command = app->add_subcommand(
      "adjust",
      "Credit or debit a member's points as an operator (AdminService.Adjust)");
  command->add_option("--member", flags->member_id, "Member id")
      ->type_name("ID")
      ->required();
  command
      ->add_option("--points", flags->points_delta,
                   "Points to add; negative to debit, e.g. --points -50")
      ->type_name("N")
      ->transform(DecimalIntegerCheck(INT64_MIN, INT64_MAX))
      ->required();
  command
      ->add_option("--reason", flags->reason_code, "Reason code, e.g. GOODWILL")
      ->type_name("CODE")
      ->required();
  command
      ->add_option("--operator", flags->operator_id,
                   "The person making the adjustment")
      ->type_name("NAME")
      ->required();
  command->add_option("--note", flags->note, "Free-text note for the record")
      ->type_name("TEXT");
  AddContextFlags(command, &flags->context);
  return {command, [global, flags] { return RunAdjust(*global, *flags); }};
}

}  // namespace loyalty::ctl
