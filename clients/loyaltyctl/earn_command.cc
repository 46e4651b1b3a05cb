// File: clients/loyaltyctl/earn_command.cc
//
// `loyaltyctl earn`: sends a purchase's basket; the server computes the points
// with the program's rules (LoyaltyService.Earn). `loyaltyctl quote` sends
// the same basket to LoyaltyService.QuoteEarn: the same points and breakdown,
// nothing written. Both take the member's coupons (--coupon, up to 5, each
// checked offline first): the server prices their discounts on the basket
// and, for earn, records one use of each with the order.

#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "clients/loyaltyctl/basket_line.h"
#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/context_flags.h"
#include "clients/loyaltyctl/coupon_flags.h"
#include "clients/loyaltyctl/coupon_view.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/format.h"
#include "clients/loyaltyctl/output.h"
#include "clients/loyaltyctl/table.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::EarnRequest;
using loyalty::v1::EarnResponse;
using loyalty::v1::LoyaltyService;
using loyalty::v1::QuoteEarnResponse;
using BreakdownLines =
    google::protobuf::RepeatedPtrField<loyalty::v1::EarnBreakdownLine>;

struct EarnFlags {
  ContextFlags context;
  std::string member_id;
  std::string order_id;
  std::string currency;
  // Each "SKU,CATEGORY,QTY,UNIT_PRICE_MINOR".
  std::vector<std::string> lines;
  // Coupon codes as typed, in the order they are applied.
  std::vector<std::string> coupon_codes;
};

absl::StatusOr<EarnRequest> BuildEarnRequest(const EarnFlags& flags) {
  EarnRequest request;
  absl::Status lines_status =
      AddBasketLines(flags.lines, request.mutable_lines());
  if (!lines_status.ok()) return lines_status;
  absl::Status coupons_status = AddCouponCodes(flags.coupon_codes, &request);
  if (!coupons_status.ok()) return coupons_status;
  absl::StatusOr<loyalty::v1::RequestContext> context =
      BuildRequestContext(flags.context);
  if (!context.ok()) return context.status();
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  request.set_order_id(flags.order_id);
  request.set_currency(flags.currency);
  return request;
}

// The rules that granted the points, one row each.
void PrintBreakdown(const BreakdownLines& breakdown) {
  if (breakdown.empty()) return;
  Table table({{"RULE", Table::Align::kLeft},
               {"DESCRIPTION", Table::Align::kLeft},
               {"POINTS", Table::Align::kRight}});
  for (const loyalty::v1::EarnBreakdownLine& line : breakdown) {
    table.AddRow({line.rule_id(), OrDash(line.description()),
                  FormatPointsDelta(line.points())});
  }
  std::cout << '\n';
  table.Print(std::cout);
}

void PrintEarned(const EarnResponse& response) {
  PrintReplayedNote(response.replayed());
  const loyalty::v1::LedgerEntry& entry = response.entry();
  std::vector<Field> fields = {
      {"member", entry.member_id()},
      {"order", entry.order_id()},
      {"earned",
       FormatPoints(response.points_earned()) +
           (entry.bucket() == loyalty::v1::BUCKET_PENDING
                ? " (pending until " + FormatTimeUtc(entry.matures_at_ms()) +
                      ")"
                : "")},
  };
  if (!response.coupons().empty()) {
    fields.push_back(
        {"discount", FormatMinorUnits(response.discount_minor(), "")});
  }
  fields.push_back(
      {"available", FormatPoints(response.balance().available_points())});
  fields.push_back({"entry", FormatEntryPlace(entry)});
  PrintFields(std::cout, fields);
  PrintBreakdown(response.breakdown());
  PrintAppliedCoupons(std::cout, response.coupons());
  PrintIssuedCoupons(std::cout, response.issued_coupons());
}

void PrintQuote(const QuoteEarnResponse& response) {
  std::vector<Field> fields = {
      {"points", FormatPoints(response.points())},
      {"spend", FormatMinorUnits(response.spend_minor(), "")},
  };
  if (!response.coupons().empty()) {
    fields.push_back(
        {"discount", FormatMinorUnits(response.discount_minor(), "")});
    // What the member pays: spend_minor is the basket before discounts.
    fields.push_back(
        {"to pay", FormatMinorUnits(
                       response.spend_minor() - response.discount_minor(), "")});
  }
  fields.push_back({"eligible spend",
                    FormatMinorUnits(response.eligible_spend_minor(), "")});
  fields.push_back({"order time", FormatTimeUtc(response.order_time_ms())});
  PrintFields(std::cout, fields);
  PrintBreakdown(response.breakdown());
  PrintAppliedCoupons(std::cout, response.coupons());
}

ExitCode RunEarn(const GlobalFlags& global, const EarnFlags& flags) {
  absl::StatusOr<EarnRequest> request = BuildEarnRequest(flags);
  if (!request.ok()) return ReportBadInput(request.status());
  const std::string& request_id = request->context().request_id();
  AnnounceRequestId(global, request_id);

  const Connection connection(global);
  EarnResponse response;
  const ExitCode sent = connection.Call(&LoyaltyService::Stub::Earn, *request,
                                        &response, request_id);
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, response, &PrintEarned);
}

ExitCode RunQuote(const GlobalFlags& global, const EarnFlags& flags) {
  absl::StatusOr<EarnRequest> request = BuildEarnRequest(flags);
  if (!request.ok()) return ReportBadInput(request.status());
  const Connection connection(global);
  QuoteEarnResponse response;
  const ExitCode sent =
      connection.Call(&LoyaltyService::Stub::QuoteEarn, *request, &response,
                      request->context().request_id());
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, response, &PrintQuote);
}

// The flags earn and quote share; only --order differs (a quote may come
// before the order has an id).
void AddBasketFlags(CLI::App* command, EarnFlags* flags, bool order_required) {
  command->add_option("--member", flags->member_id, "Member id")
      ->type_name("ID")
      ->required();
  command->add_option("--order", flags->order_id, "Order id")
      ->type_name("ID")
      ->required(order_required);
  command
      ->add_option("--currency", flags->currency,
                   "ISO 4217 code of the prices, e.g. EUR")
      ->type_name("CUR")
      ->required();
  // Both "--line A --line B" and "--line A B" give two lines.
  command
      ->add_option("--line", flags->lines,
                   "Basket line; repeat for each line. CATEGORY may be "
                   "empty: SKU,,2,1999")
      ->type_name("SKU,CATEGORY,QTY,UNIT_PRICE_MINOR")
      ->required();
  command
      ->add_option("--coupon", flags->coupon_codes,
                   "A coupon code of the member's to use on the order, any "
                   "spelling; repeat for each, up to 5 (applied in this "
                   "order)")
      ->type_name("CODE");
  AddChannelFlag(command, &flags->context);
  AddContextFlags(command, &flags->context);
}

}  // namespace

Command DefineQuoteCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<EarnFlags>();
  CLI::App* command = app->add_subcommand(
      "quote",
      "Show what a basket would earn, with the breakdown; writes nothing "
      "(LoyaltyService.QuoteEarn)");
  AddBasketFlags(command, flags.get(), /*order_required=*/false);
  return {command, [global, flags] { return RunQuote(*global, *flags); }};
}

Command DefineEarnCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<EarnFlags>();
  CLI::App* command = app->add_subcommand(
      "earn", "Grant points for a purchase (LoyaltyService.Earn)");
  AddBasketFlags(command, flags.get(), /*order_required=*/true);
  return {command, [global, flags] { return RunEarn(*global, *flags); }};
}

}  // namespace loyalty::ctl
