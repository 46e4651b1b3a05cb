// File: clients/loyaltyctl/return_command.cc
//
// `loyaltyctl return`: a return of part or all of an earned order, by lines
// or by amount (LoyaltyService.Return).

#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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
using loyalty::v1::ReturnRequest;
using loyalty::v1::ReturnResponse;

struct ReturnFlags {
  ContextFlags context;
  std::string member_id;
  std::string order_id;
  std::vector<std::string> lines;  // "SKU,QUANTITY"
  int64_t amount_minor = 0;
};

// "SKU,QUANTITY" -> a ReturnLine; the server checks the ranges.
absl::StatusOr<loyalty::v1::ReturnLine> ParseReturnLine(
    const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, ',');
  loyalty::v1::ReturnLine line;
  int64_t quantity = 0;
  if (parts.size() != 2 || parts[0].empty() ||
      !absl::SimpleAtoi(parts[1], &quantity)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--line \"", text, "\": expected SKU,QUANTITY (e.g. MUG,1)"));
  }
  line.set_sku(parts[0]);
  line.set_quantity(quantity);
  return line;
}

absl::StatusOr<ReturnRequest> BuildReturnRequest(const ReturnFlags& flags) {
  absl::StatusOr<loyalty::v1::RequestContext> context =
      BuildRequestContext(flags.context);
  if (!context.ok()) return context.status();
  if (flags.lines.empty() && flags.amount_minor == 0) {
    return absl::InvalidArgumentError(
        "give the returned lines (--line SKU,QTY) or --amount");
  }
  ReturnRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  request.set_order_id(flags.order_id);
  for (const std::string& text : flags.lines) {
    absl::StatusOr<loyalty::v1::ReturnLine> line = ParseReturnLine(text);
    if (!line.ok()) return line.status();
    *request.add_lines() = *std::move(line);
  }
  request.set_amount_minor(flags.amount_minor);
  return request;
}

void PrintReturned(const ReturnResponse& response) {
  PrintReplayedNote(response.replayed());
  const loyalty::v1::Balance& balance = response.balance();
  PrintFields(
      std::cout,
      {
          {"member", balance.member_id()},
          {"reversed", FormatPoints(response.points_reversed())},
          {"forgiven", FormatPoints(response.points_forgiven())},
          {"restored", FormatPoints(response.points_restored())},
          {"available", FormatPoints(balance.available_points())},
          {"pending", FormatPoints(balance.pending_points())},
          {"entry", response.entries().empty()
                        ? std::string("none")
                        : FormatEntryPlace(response.entries(0))},
      });
}

ExitCode RunReturn(const GlobalFlags& global, const ReturnFlags& flags) {
  absl::StatusOr<ReturnRequest> request = BuildReturnRequest(flags);
  if (!request.ok()) return ReportBadInput(request.status());
  const std::string& request_id = request->context().request_id();
  AnnounceRequestId(global, request_id);

  const Connection connection(global);
  ReturnResponse response;
  const ExitCode sent = connection.Call(&LoyaltyService::Stub::Return, *request,
                                        &response, request_id);
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, response, &PrintReturned);
}

}  // namespace

Command DefineReturnCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<ReturnFlags>();
  CLI::App* command = app->add_subcommand(
      "return",
      "Return part or all of an earned order (LoyaltyService.Return)");
  command->add_option("--member", flags->member_id, "Member id")
      ->type_name("ID")
      ->required();
  command->add_option("--order", flags->order_id, "The order that earned")
      ->type_name("ID")
      ->required();
  CLI::Option* lines =
      command->add_option("--line", flags->lines,
                          "A returned line, SKU,QUANTITY (repeatable)")
          ->type_name("SKU,QTY");
  CLI::Option* amount =
      command
          ->add_option("--amount", flags->amount_minor,
                       "Or: the returned amount of the order's total, in "
                       "minor units of its currency")
          ->type_name("MINOR")
          ->transform(DecimalIntegerCheck(INT64_MIN, INT64_MAX));
  lines->excludes(amount);
  amount->excludes(lines);
  AddChannelFlag(command, &flags->context);
  AddContextFlags(command, &flags->context);
  return {command, [global, flags] { return RunReturn(*global, *flags); }};
}

}  // namespace loyalty::ctl
