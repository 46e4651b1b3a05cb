// File: clients/loyaltyctl/close_command.cc
//
// `loyaltyctl member close`: closes a member for good
// (AdminService.CloseMember). One CLOSE entry forfeits the points still
// available, or writes off a debt, with the reason and the operator on
// record; with --erase-personal-data it also removes every identifier, which
// frees them for other members. Prints the CLOSE entry and the member as
// closed.
//
// A close cannot be undone, so it always asks on the terminal first, saying
// how many points it forfeits, unless --yes. Without a terminal and without
// --yes nothing is sent: not the close, and not the balance read that the
// question needs.

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "clients/loyaltyctl/confirmation.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/context_flags.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/flag_checks.h"
#include "clients/loyaltyctl/format.h"
#include "clients/loyaltyctl/member_commands.h"
#include "clients/loyaltyctl/member_view.h"
#include "clients/loyaltyctl/output.h"
#include "clients/loyaltyctl/table.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::AdminService;
using loyalty::v1::Balance;
using loyalty::v1::CloseMemberRequest;
using loyalty::v1::CloseMemberResponse;
using loyalty::v1::LoyaltyService;

struct CloseFlags {
  ContextFlags context;
  std::string member_id;
  std::string reason_code;
  std::string operator_id;
  std::string note;
  bool erase_personal_data = false;
  // Close without asking.
  bool yes = false;
};

absl::StatusOr<CloseMemberRequest> BuildCloseRequest(const CloseFlags& flags) {
  absl::StatusOr<loyalty::v1::RequestContext> context =
      BuildAdminRequestContext(flags.context);
  if (!context.ok()) return context.status();
  CloseMemberRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  request.set_reason_code(flags.reason_code);
  request.set_operator_id(flags.operator_id);
  request.set_note(flags.note);
  request.set_erase_personal_data(flags.erase_personal_data);
  return request;
}

// "forfeiting 120 points", or "writing off a debt of 5 points" when a
// return left the member below zero.
std::string WhatClosingTakes(const Balance& balance) {
  if (balance.available_points() >= 0) {
    return absl::StrCat("forfeiting ",
                        FormatPoints(balance.available_points()));
  }
  return absl::StrCat("writing off a debt of ",
                      FormatPoints(balance.debt_points()));
}

std::string CloseQuestion(const CloseFlags& flags, const Balance& balance) {
  return absl::StrCat(
      "Close member ", flags.member_id, " for good, ",
      WhatClosingTakes(balance),
      flags.erase_personal_data ? " and erasing its identifiers" : "", "?");
}

// Asks the operator, after reading the balance the question quotes. The
// balance may still change before the close arrives (pending points
// maturing, another channel's write); the CLOSE entry then says what was
// really forfeited. Returns kOk to go on, else the exit code of the failure,
// already reported.
ExitCode ConfirmClose(const Connection& connection, const CloseFlags& flags) {
  loyalty::v1::GetBalanceRequest request;
  request.set_member_id(flags.member_id);
  Balance balance;
  const ExitCode read =
      connection.Call(&LoyaltyService::Stub::GetBalance, request, &balance,
                      /*retry_request_id=*/"");
  if (read != ExitCode::kOk) return read;
  const absl::Status agreed = AskOperator(
      std::cin, std::cerr, CloseQuestion(flags, balance), "not closed");
  if (!agreed.ok()) return ReportBadInput(agreed);
  return ExitCode::kOk;
}

// "-120 points (forfeited)", "+5 points (debt written off)" or "0 points".
std::string ClosedPointsLabel(int64_t points_delta) {
  const std::string change = FormatPointsChange(points_delta);
  if (points_delta < 0) return absl::StrCat(change, " (forfeited)");
  if (points_delta > 0) return absl::StrCat(change, " (debt written off)");
  return change;
}

void PrintClosed(const CloseMemberResponse& response) {
  PrintReplayedNote(response.replayed());
  const loyalty::v1::LedgerEntry& entry = response.entry();
  std::vector<Field> fields = {
      {"closed", entry.member_id()},
      {"points", ClosedPointsLabel(entry.points_delta())},
      {"reason", entry.reason_code()},
      {"operator", entry.operator_id()},
  };
  if (!entry.note().empty()) fields.push_back({"note", entry.note()});
  if (entry.personal_data_erased()) {
    fields.push_back({"erased", IdentifiersLabel(entry.identifiers())});
  }
  fields.push_back({"entry", FormatEntryPlace(entry)});
  PrintFields(std::cout, fields);
  std::cout << '\n';
  PrintMember(response.member());
}

ExitCode RunClose(const GlobalFlags& global, const CloseFlags& flags) {
  absl::StatusOr<CloseMemberRequest> request = BuildCloseRequest(flags);
  if (!request.ok()) return ReportBadInput(request.status());
  if (!flags.yes) {
    const absl::Status can_answer = CheckOperatorCanAnswer(absl::StrCat(
        "member close: closing member ", flags.member_id, " cannot be undone"));
    if (!can_answer.ok()) return ReportBadInput(can_answer);
  }

  const Connection connection(global);
  if (!flags.yes) {
    const ExitCode confirmed = ConfirmClose(connection, flags);
    if (confirmed != ExitCode::kOk) return confirmed;
  }
  const std::string& request_id = request->context().request_id();
  AnnounceRequestId(global, request_id);
  CloseMemberResponse response;
  const ExitCode sent = connection.Call(&AdminService::Stub::CloseMember,
                                        *request, &response, request_id);
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, response, &PrintClosed);
}

}  // namespace

Command DefineMemberCloseCommand(CLI::App* member, const GlobalFlags* global) {
  auto flags = std::make_shared<CloseFlags>();
  CLI::App* command = member->add_subcommand(
      "close",
      "Close a member for good, forfeiting its available points; asks first "
      "unless --yes (AdminService.CloseMember)");
  command->add_option("--member", flags->member_id, "Member id")
      ->type_name("ID")
      ->required()
      ->check(NotEmptyCheck());
  command
      ->add_option("--reason", flags->reason_code,
                   "Reason code, e.g. MEMBER_REQUEST")
      ->type_name("CODE")
      ->required()
      ->check(NotEmptyCheck());
  command
      ->add_option("--operator", flags->operator_id,
                   "The person closing the member")
      ->type_name("NAME")
      ->required()
      ->check(NotEmptyCheck());
  command->add_option("--note", flags->note, "Free-text note for the record")
      ->type_name("TEXT");
  command->add_flag(
      "--erase-personal-data", flags->erase_personal_data,
      "Also remove every identifier (card, phone, ...): lookups no longer "
      "find the member and the identifiers are free for others");
  command->add_flag("--yes", flags->yes,
                    "Close without asking (needed when stdin is not a "
                    "terminal)");
  AddContextFlags(command, &flags->context);
  return {command, [global, flags] { return RunClose(*global, *flags); }};
}

}  // namespace loyalty::ctl
