// File: clients/loyaltyctl/coupon_command.cc
//
// `loyaltyctl coupon`: coupons of the program's templates.
//   coupon issue --member ID --template ID   a new coupon for the member
//                                            (LoyaltyService.IssueCoupon)
//   coupon show --code CODE                  the coupon as it is now
//                                            (LoyaltyService.GetCoupon)
//   coupon validate --member ID --code CODE [--currency CUR --line L ...]
//                                            whether a redemption would be
//                                            accepted now, or with a basket
//                                            what the coupon would take off
//                                            that order; writes nothing
//                                            (LoyaltyService.ValidateCoupon)
//   coupon redeem --member ID --code CODE --order ID
//                                            one use of it
//                                            (LoyaltyService.RedeemCoupon)
//   coupon reserve --member ID --code CODE [--order ID] [--timeout-ms N]
//                                            set one use aside for an order
//                                            waiting for payment; prints the
//                                            reservation id
//                                            (LoyaltyService.ReserveCoupon)
//   coupon commit --member ID --reservation ID
//   coupon release --member ID --reservation ID
//                                            make the reserved use a use, or
//                                            give it back (Commit/Release-
//                                            Coupon); unsettled, it is given
//                                            back at its timeout
//   coupon generate --template ID --count N --batch-id ID --out FILE
//                                            a batch of bearer codes, any
//                                            member's, into a CSV; the same
//                                            batch id resumes it
//                                            (AdminService.GenerateCoupons,
//                                            coupon_generate.h)
// Codes are accepted as printed or typed (any case, with or without
// dashes). loyaltyctl checks the check character itself, as a till would
// (loyalty/v1/coupon_code.h): a mistyped code is bad input (exit 2) and is
// never sent.

#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/context_flags.h"
#include "clients/loyaltyctl/coupon_flags.h"
#include "clients/loyaltyctl/coupon_generate.h"
#include "clients/loyaltyctl/coupon_view.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/flag_checks.h"
#include "clients/loyaltyctl/format.h"
#include "clients/loyaltyctl/output.h"
#include "clients/loyaltyctl/table.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::Coupon;
using loyalty::v1::LoyaltyService;

// A code as typed, checked offline: a typo never reaches the server.
absl::Status CheckCodeOffline(const std::string& code) {
  return CheckCouponCodeOffline("--code", code);
}

void PrintCoupon(const Coupon& coupon) {
  PrintFields(std::cout, CouponFields(coupon));
}

template <typename Response>
void PrintCouponChange(const Response& response) {
  PrintReplayedNote(response.replayed());
  PrintCoupon(response.coupon());
  PrintFields(std::cout, {{"entry", FormatEntryPlace(response.entry())}});
}

struct IssueFlags {
  ContextFlags context;
  std::string member_id;
  std::string template_id;
};

ExitCode RunIssue(const GlobalFlags& global, const IssueFlags& flags) {
  absl::StatusOr<loyalty::v1::RequestContext> context =
      BuildRequestContext(flags.context);
  if (!context.ok()) return ReportBadInput(context.status());
  loyalty::v1::IssueCouponRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  request.set_template_id(flags.template_id);
  const std::string& request_id = request.context().request_id();
  AnnounceRequestId(global, request_id);
  const Connection connection(global);
  loyalty::v1::IssueCouponResponse response;
  const ExitCode sent = connection.Call(&LoyaltyService::Stub::IssueCoupon,
                                        request, &response, request_id);
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, response,
                       &PrintCouponChange<loyalty::v1::IssueCouponResponse>);
}

struct ShowFlags {
  std::string code;
};

ExitCode RunShow(const GlobalFlags& global, const ShowFlags& flags) {
  absl::Status code = CheckCodeOffline(flags.code);
  if (!code.ok()) return ReportBadInput(code);
  loyalty::v1::GetCouponRequest request;
  request.set_code(flags.code);
  const Connection connection(global);
  Coupon response;
  const ExitCode sent = connection.Call(&LoyaltyService::Stub::GetCoupon,
                                        request, &response, /*request_id=*/"");
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, response, &PrintCoupon);
}

// With a basket, what the coupon would do to that order comes first.
void PrintValidated(const loyalty::v1::ValidateCouponResponse& response) {
  std::vector<Field> fields;
  if (response.has_applied()) {
    fields.push_back(AppliedCouponField(response.applied()));
  }
  for (Field& field : CouponFields(response.coupon())) {
    fields.push_back(std::move(field));
  }
  PrintFields(std::cout, fields);
}

struct ValidateFlags {
  ContextFlags context;
  std::string member_id;
  std::string code;
  // The optional basket, both or neither: as `earn` takes them.
  std::string currency;
  std::vector<std::string> lines;
};

ExitCode RunValidate(const GlobalFlags& global, const ValidateFlags& flags) {
  absl::Status code = CheckCodeOffline(flags.code);
  if (!code.ok()) return ReportBadInput(code);
  absl::StatusOr<loyalty::v1::RequestContext> context =
      BuildRequestContext(flags.context);
  if (!context.ok()) return ReportBadInput(context.status());
  loyalty::v1::ValidateCouponRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  request.set_code(flags.code);
  absl::Status basket =
      AddValidationBasket(flags.currency, flags.lines, &request);
  if (!basket.ok()) return ReportBadInput(basket);
  const Connection connection(global);
  loyalty::v1::ValidateCouponResponse response;
  const ExitCode sent = connection.Call(&LoyaltyService::Stub::ValidateCoupon,
                                        request, &response, /*request_id=*/"");
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, response, &PrintValidated);
}

struct RedeemFlags {
  ContextFlags context;
  std::string member_id;
  std::string code;
  std::string order_id;
};

ExitCode RunRedeem(const GlobalFlags& global, const RedeemFlags& flags) {
  absl::Status code = CheckCodeOffline(flags.code);
  if (!code.ok()) return ReportBadInput(code);
  absl::StatusOr<loyalty::v1::RequestContext> context =
      BuildRequestContext(flags.context);
  if (!context.ok()) return ReportBadInput(context.status());
  loyalty::v1::RedeemCouponRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  request.set_code(flags.code);
  request.set_order_id(flags.order_id);
  const std::string& request_id = request.context().request_id();
  AnnounceRequestId(global, request_id);
  const Connection connection(global);
  loyalty::v1::RedeemCouponResponse response;
  const ExitCode sent = connection.Call(&LoyaltyService::Stub::RedeemCoupon,
                                        request, &response, request_id);
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, response,
                       &PrintCouponChange<loyalty::v1::RedeemCouponResponse>);
}

void PrintReserved(const loyalty::v1::ReserveCouponResponse& response) {
  PrintReplayedNote(response.replayed());
  PrintFields(std::cout,
              {{"reservation", response.reservation_id()},
               {"expires", FormatTimeUtc(response.expires_at_ms())}});
  PrintCouponChange(response);
}

struct ReserveFlags {
  ContextFlags context;
  std::string member_id;
  std::string code;
  std::string order_id;
  int64_t timeout_ms = 15 * 60 * 1000;
};

ExitCode RunReserve(const GlobalFlags& global, const ReserveFlags& flags) {
  absl::Status code = CheckCodeOffline(flags.code);
  if (!code.ok()) return ReportBadInput(code);
  absl::StatusOr<loyalty::v1::RequestContext> context =
      BuildRequestContext(flags.context);
  if (!context.ok()) return ReportBadInput(context.status());
  loyalty::v1::ReserveCouponRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  request.set_code(flags.code);
  request.set_order_id(flags.order_id);
  request.set_timeout_ms(flags.timeout_ms);
  const std::string& request_id = request.context().request_id();
  AnnounceRequestId(global, request_id);
  const Connection connection(global);
  loyalty::v1::ReserveCouponResponse response;
  const ExitCode sent = connection.Call(&LoyaltyService::Stub::ReserveCoupon,
                                        request, &response, request_id);
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, response, &PrintReserved);
}

struct SettleFlags {
  ContextFlags context;
  std::string member_id;
  std::string reservation_id;
};

// `commit`: CommitCoupon, else ReleaseCoupon.
ExitCode RunSettle(const GlobalFlags& global, const SettleFlags& flags,
                   bool commit) {
  absl::StatusOr<loyalty::v1::RequestContext> context =
      BuildRequestContext(flags.context);
  if (!context.ok()) return ReportBadInput(context.status());
  loyalty::v1::SettleCouponReservationRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  request.set_reservation_id(flags.reservation_id);
  const std::string& request_id = request.context().request_id();
  AnnounceRequestId(global, request_id);
  const Connection connection(global);
  loyalty::v1::SettleCouponReservationResponse response;
  const ExitCode sent =
      connection.Call(commit ? &LoyaltyService::Stub::CommitCoupon
                             : &LoyaltyService::Stub::ReleaseCoupon,
                      request, &response, request_id);
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(
      global, response,
      &PrintCouponChange<loyalty::v1::SettleCouponReservationResponse>);
}

Command DefineIssue(CLI::App* coupon, const GlobalFlags* global) {
  auto flags = std::make_shared<IssueFlags>();
  CLI::App* command = coupon->add_subcommand(
      "issue",
      "Issue a coupon of a program template to a member "
      "(LoyaltyService.IssueCoupon)");
  command->add_option("--member", flags->member_id, "Member id")
      ->type_name("ID")
      ->required();
  command->add_option("--template", flags->template_id, "Coupon template id")
      ->type_name("ID")
      ->required();
  AddChannelFlag(command, &flags->context);
  AddContextFlags(command, &flags->context);
  return {command, [global, flags] { return RunIssue(*global, *flags); }};
}

Command DefineShow(CLI::App* coupon, const GlobalFlags* global) {
  auto flags = std::make_shared<ShowFlags>();
  CLI::App* command = coupon->add_subcommand(
      "show", "Show a coupon by its code (LoyaltyService.GetCoupon)");
  command->add_option("--code", flags->code, "The coupon's code")
      ->type_name("CODE")
      ->required();
  return {command, [global, flags] { return RunShow(*global, *flags); }};
}

// --member and --code: who presents which coupon (validate, redeem).
void AddPresentedCouponFlags(CLI::App* command, std::string* member_id,
                             std::string* code) {
  command->add_option("--member", *member_id, "Member presenting it")
      ->type_name("ID")
      ->required();
  command->add_option("--code", *code, "The coupon's code")
      ->type_name("CODE")
      ->required();
}

Command DefineValidate(CLI::App* coupon, const GlobalFlags* global) {
  auto flags = std::make_shared<ValidateFlags>();
  CLI::App* command = coupon->add_subcommand(
      "validate",
      "Say whether a redemption of a member's coupon would be accepted now, "
      "or with a basket (--currency and --line) what it would take off that "
      "order; writes nothing (LoyaltyService.ValidateCoupon)");
  AddPresentedCouponFlags(command, &flags->member_id, &flags->code);
  command
      ->add_option("--currency", flags->currency,
                   "With --line: ISO 4217 code of the basket's prices")
      ->type_name("CUR")
      ->check(NotEmptyCheck());
  command
      ->add_option("--line", flags->lines,
                   "With --currency: a basket line, as for earn; repeat for "
                   "each line")
      ->type_name("SKU,CATEGORY,QTY,UNIT_PRICE_MINOR");
  AddChannelFlag(command, &flags->context);
  AddContextFlags(command, &flags->context);
  return {command, [global, flags] { return RunValidate(*global, *flags); }};
}

Command DefineRedeem(CLI::App* coupon, const GlobalFlags* global) {
  auto flags = std::make_shared<RedeemFlags>();
  CLI::App* command = coupon->add_subcommand(
      "redeem",
      "Use a member's coupon once, on an order (LoyaltyService.RedeemCoupon)");
  AddPresentedCouponFlags(command, &flags->member_id, &flags->code);
  command->add_option("--order", flags->order_id, "Order id")
      ->type_name("ID")
      ->required();
  AddChannelFlag(command, &flags->context);
  AddContextFlags(command, &flags->context);
  return {command, [global, flags] { return RunRedeem(*global, *flags); }};
}

Command DefineReserve(CLI::App* coupon, const GlobalFlags* global) {
  auto flags = std::make_shared<ReserveFlags>();
  CLI::App* command = coupon->add_subcommand(
      "reserve",
      "Set one use of a member's coupon aside for an order waiting for "
      "payment; commit or release it by the reservation id printed, or it "
      "is given back at its timeout (LoyaltyService.ReserveCoupon)");
  AddPresentedCouponFlags(command, &flags->member_id, &flags->code);
  command->add_option("--order", flags->order_id, "Order id (optional)")
      ->type_name("ID");
  command
      ->add_option("--timeout-ms", flags->timeout_ms,
                   "How long the use stays reserved, in milliseconds "
                   "(1000 .. the program's hold_timeout_max_ms)")
      ->type_name("MS")
      ->capture_default_str();
  AddChannelFlag(command, &flags->context);
  AddContextFlags(command, &flags->context);
  return {command, [global, flags] { return RunReserve(*global, *flags); }};
}

Command DefineSettle(CLI::App* coupon, const GlobalFlags* global,
                     bool commit) {
  auto flags = std::make_shared<SettleFlags>();
  CLI::App* command = coupon->add_subcommand(
      commit ? "commit" : "release",
      commit ? "Make a reserved use of a coupon a use, once "
               "(LoyaltyService.CommitCoupon)"
             : "Give a reserved use of a coupon back, once "
               "(LoyaltyService.ReleaseCoupon)");
  command->add_option("--member", flags->member_id, "Member id")
      ->type_name("ID")
      ->required();
  command
      ->add_option("--reservation", flags->reservation_id,
                   "Reservation id, as coupon reserve printed it")
      ->type_name("ID")
      ->required();
  AddChannelFlag(command, &flags->context);
  AddContextFlags(command, &flags->context);
  return {command, [global, flags, commit] {
            return RunSettle(*global, *flags, commit);
          }};
}

}  // namespace

Command DefineCouponCommand(CLI::App* app, const GlobalFlags* global) {
  CLI::App* command = app->add_subcommand(
      "coupon",
      "Issue, show, validate, redeem, reserve and generate coupons: issue, "
      "show, validate, redeem, reserve, commit, release, generate (see "
      "loyaltyctl coupon SUBCOMMAND --help)");
  command->require_subcommand(1);
  std::vector<Command> subcommands = {
      DefineIssue(command, global),
      DefineShow(command, global),
      DefineValidate(command, global),
      DefineRedeem(command, global),
      DefineReserve(command, global),
      DefineSettle(command, global, /*commit=*/true),
      DefineSettle(command, global, /*commit=*/false),
      DefineCouponGenerate(command, global),
  };
  return {command, [subcommands = std::move(subcommands)] {
            return RunParsedSubcommand("coupon", subcommands);
          }};
}

}  // namespace loyalty::ctl
