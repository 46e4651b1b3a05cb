// File: clients/loyaltyctl/adjust_command.cc
//
// `loyaltyctl adjust`: an operator's credit or debit, with the reason and the
// operator on record (AdminService.Adjust). Always CHANNEL_ADMIN. A change
// larger than --confirm-above points needs a "y" on the terminal or --yes,
// so a slipped digit does not reach a member's balance.

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/confirmation.h"
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

// Adjustments above this many points, either way, ask first by default.
constexpr int64_t kConfirmAbovePointsDefault = 10000;

struct AdjustFlags {
  ContextFlags context;
  std::string member_id;
  // Positive credits, negative debits.
  int64_t points_delta = 0;
  std::string reason_code;
  std::string operator_id;
  std::string note;
  // |points_delta| above this needs confirmation: --yes, or "y" typed at
  // the terminal.
  int64_t confirm_above_points = kConfirmAbovePointsDefault;
  bool yes = false;
};

// Whether the change is larger than the operator agreed to make unasked.
// Compared without negating points_delta, which overflows at INT64_MIN.
bool NeedsConfirmation(const AdjustFlags& flags) {
  return !flags.yes && (flags.points_delta > flags.confirm_above_points ||
                        flags.points_delta < -flags.confirm_above_points);
}

// OK to send, or kInvalidArgument explaining why not. Nothing has been sent
// when it is called.
absl::Status ConfirmLargeAdjustment(const AdjustFlags& flags) {
  if (!NeedsConfirmation(flags)) return absl::OkStatus();
  const absl::Status can_answer = CheckOperatorCanAnswer(
      absl::StrCat("adjust: --points ", flags.points_delta,
                   " is beyond --confirm-above ", flags.confirm_above_points));
  if (!can_answer.ok()) return can_answer;
  return AskOperator(
      std::cin, std::cerr,
      absl::StrCat("Adjust member ", flags.member_id, " by ",
                   FormatPointsDelta(flags.points_delta), " points (reason ",
                   flags.reason_code, ", operator ", flags.operator_id, ")?"),
      "not adjusted");
}

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
  const absl::Status confirmed = ConfirmLargeAdjustment(flags);
  if (!confirmed.ok()) return ReportBadInput(confirmed);
  const std::string& request_id = request->context().request_id();
  AnnounceRequestId(global, request_id);

  const Connection connection(global);
  AdjustResponse response;
  const ExitCode sent = connection.Call(&AdminService::Stub::Adjust, *request,
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
      ->required()
      ->check(NotEmptyCheck());
  command
      ->add_option("--operator", flags->operator_id,
                   "The person making the adjustment")
      ->type_name("NAME")
      ->required()
      ->check(NotEmptyCheck());
  command->add_option("--note", flags->note, "Free-text note for the record")
      ->type_name("TEXT");
  command
      ->add_option("--confirm-above", flags->confirm_above_points,
                   "Ask before adjusting by more than this many points either "
                   "way: on the terminal, or refuse without --yes when stdin "
                   "is not one")
      ->type_name("POINTS")
      ->transform(DecimalIntegerCheck(0, INT64_MAX))
      ->capture_default_str();
  command->add_flag("--yes", flags->yes,
                    "Adjust without asking, however large the change");
  AddContextFlags(command, &flags->context);
  return {command, [global, flags] { return RunAdjust(*global, *flags); }};
}

}  // namespace loyalty::ctl
