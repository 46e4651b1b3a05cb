// File: clients/loyaltyctl/voucher_command.cc
//
// `loyaltyctl voucher`: prepaid vouchers of the program's products.
//   voucher issue --member ID --product ID --units N --price MINOR
//                 --currency CUR --order ID      a voucher bought online
//                                                (LoyaltyService.IssueVoucher)
//   voucher show --code CODE                     the voucher as it is now
//                                                (LoyaltyService.GetVoucher)
//   voucher redeem --member ID --code CODE --units N [--order ID]
//                                                pick units up
//                                                (RedeemVoucherUnits)
//   voucher transfer --member ID --code CODE --to ID --units N [--note T]
//                                                give units to a member
//                                                (TransferVoucherUnits)
//   voucher gift --member ID --code CODE --units N [--note T]
//                                                set units aside under a
//                                                claim code for a friend
//                                                (GiftVoucherUnits)
//   voucher claim --member ID --claim-code CODE  claim a gift
//                                                (ClaimVoucherGift)
//   voucher refund --member ID --code CODE --units N
//                                                return unused units for
//                                                their share of the price
//                                                (RefundVoucherUnits)
// Codes are accepted as printed or typed (any case, with or without
// dashes), and checked offline as coupon codes are: a mistyped code is bad
// input (exit 2) and is never sent.

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/context_flags.h"
#include "clients/loyaltyctl/coupon_flags.h"
#include "clients/loyaltyctl/errors.h"
#include "clients/loyaltyctl/flag_checks.h"
#include "clients/loyaltyctl/format.h"
#include "clients/loyaltyctl/output.h"
#include "clients/loyaltyctl/send_write.h"
#include "clients/loyaltyctl/table.h"
#include "clients/loyaltyctl/voucher_view.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::LoyaltyService;
using loyalty::v1::Voucher;

void PrintVoucher(const Voucher& voucher) {
  PrintFields(std::cout, VoucherFields(voucher));
}

void PrintEntry(const loyalty::v1::LedgerEntry& entry) {
  PrintFields(std::cout,
              {{"entry", absl::StrCat(EntryKindLabel(entry.kind()), " on ",
                                      entry.member_id(), ", ",
                                      FormatEntryPlace(entry))}});
}

// A voucher command's answer: the voucher after it, then its entry.
template <typename Response>
void PrintVoucherChange(const Response& response) {
  PrintReplayedNote(response.replayed());
  PrintVoucher(response.voucher());
  PrintEntry(response.entry());
}

void PrintTransferred(const loyalty::v1::TransferVoucherUnitsResponse& r) {
  PrintReplayedNote(r.replayed());
  std::cout << "giver's voucher\n";
  PrintVoucher(r.voucher());
  std::cout << "\nreceiver's voucher\n";
  PrintVoucher(r.received());
  PrintEntry(r.entry_out());
  PrintEntry(r.entry_in());
}

void PrintGifted(const loyalty::v1::GiftVoucherUnitsResponse& r) {
  PrintReplayedNote(r.replayed());
  PrintFields(std::cout, VoucherGiftFields(r.gift()));
  std::cout << "\ngiver's voucher\n";
  PrintVoucher(r.voucher());
  PrintEntry(r.entry());
}

void PrintClaimed(const loyalty::v1::ClaimVoucherGiftResponse& r) {
  PrintReplayedNote(r.replayed());
  PrintFields(std::cout, VoucherGiftFields(r.gift()));
  std::cout << "\nclaimer's voucher\n";
  PrintVoucher(r.voucher());
  PrintEntry(r.entry_claimed());
  PrintEntry(r.entry());
}

void PrintRefunded(const loyalty::v1::RefundVoucherUnitsResponse& r) {
  PrintReplayedNote(r.replayed());
  PrintFields(std::cout, {{"refund", FormatMinorUnits(r.refund().amount_minor(),
                                                      r.refund().currency())}});
  PrintVoucher(r.voucher());
  PrintEntry(r.entry());
}

// What every voucher write names: the member acting, the voucher and how
// many units (issue and claim name no voucher; claim no units).
struct VoucherFlags {
  ContextFlags context;
  std::string member_id;
  std::string code;
  int64_t units = 0;
  std::string order_id;
  std::string to_member_id;
  std::string note;
  std::string claim_code;
  std::string product_id;
  int64_t price_minor = 0;
  std::string currency;
};

// The context and the offline code check shared by the writes.
absl::StatusOr<loyalty::v1::RequestContext> Prepare(const VoucherFlags& flags,
                                                    bool names_code) {
  if (names_code) {
    absl::Status code = CheckCouponCodeOffline("--code", flags.code);
    if (!code.ok()) return code;
  }
  return BuildRequestContext(flags.context);
}

ExitCode RunIssue(const GlobalFlags& global, const VoucherFlags& flags) {
  absl::StatusOr<loyalty::v1::RequestContext> context = Prepare(flags, false);
  if (!context.ok()) return ReportBadInput(context.status());
  loyalty::v1::IssueVoucherRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  request.set_product_id(flags.product_id);
  request.set_units(flags.units);
  request.mutable_price_paid()->set_amount_minor(flags.price_minor);
  request.mutable_price_paid()->set_currency(flags.currency);
  request.set_order_id(flags.order_id);
  return SendWrite(global, request, &LoyaltyService::Stub::IssueVoucher,
                   &PrintVoucherChange<loyalty::v1::IssueVoucherResponse>);
}

ExitCode RunShow(const GlobalFlags& global, const VoucherFlags& flags) {
  absl::Status code = CheckCouponCodeOffline("--code", flags.code);
  if (!code.ok()) return ReportBadInput(code);
  loyalty::v1::GetVoucherRequest request;
  request.set_code(flags.code);
  const Connection connection(global);
  Voucher response;
  const ExitCode sent = connection.Call(&LoyaltyService::Stub::GetVoucher,
                                        request, &response, /*request_id=*/"");
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, response, &PrintVoucher);
}

ExitCode RunRedeem(const GlobalFlags& global, const VoucherFlags& flags) {
  absl::StatusOr<loyalty::v1::RequestContext> context = Prepare(flags, true);
  if (!context.ok()) return ReportBadInput(context.status());
  loyalty::v1::RedeemVoucherUnitsRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  request.set_code(flags.code);
  request.set_units(flags.units);
  request.set_order_id(flags.order_id);
  return SendWrite(
      global, request, &LoyaltyService::Stub::RedeemVoucherUnits,
      &PrintVoucherChange<loyalty::v1::RedeemVoucherUnitsResponse>);
}

ExitCode RunTransfer(const GlobalFlags& global, const VoucherFlags& flags) {
  absl::StatusOr<loyalty::v1::RequestContext> context = Prepare(flags, true);
  if (!context.ok()) return ReportBadInput(context.status());
  loyalty::v1::TransferVoucherUnitsRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  request.set_code(flags.code);
  request.set_to_member_id(flags.to_member_id);
  request.set_units(flags.units);
  request.set_note(flags.note);
  return SendWrite(global, request, &LoyaltyService::Stub::TransferVoucherUnits,
                   &PrintTransferred);
}

ExitCode RunGift(const GlobalFlags& global, const VoucherFlags& flags) {
  absl::StatusOr<loyalty::v1::RequestContext> context = Prepare(flags, true);
  if (!context.ok()) return ReportBadInput(context.status());
  loyalty::v1::GiftVoucherUnitsRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  request.set_code(flags.code);
  request.set_units(flags.units);
  request.set_note(flags.note);
  return SendWrite(global, request, &LoyaltyService::Stub::GiftVoucherUnits,
                   &PrintGifted);
}

ExitCode RunClaim(const GlobalFlags& global, const VoucherFlags& flags) {
  absl::Status code = CheckCouponCodeOffline("--claim-code", flags.claim_code);
  if (!code.ok()) return ReportBadInput(code);
  absl::StatusOr<loyalty::v1::RequestContext> context = Prepare(flags, false);
  if (!context.ok()) return ReportBadInput(context.status());
  loyalty::v1::ClaimVoucherGiftRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  request.set_claim_code(flags.claim_code);
  return SendWrite(global, request, &LoyaltyService::Stub::ClaimVoucherGift,
                   &PrintClaimed);
}

ExitCode RunRefund(const GlobalFlags& global, const VoucherFlags& flags) {
  absl::StatusOr<loyalty::v1::RequestContext> context = Prepare(flags, true);
  if (!context.ok()) return ReportBadInput(context.status());
  loyalty::v1::RefundVoucherUnitsRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  request.set_code(flags.code);
  request.set_units(flags.units);
  return SendWrite(global, request, &LoyaltyService::Stub::RefundVoucherUnits,
                   &PrintRefunded);
}

void AddMemberFlag(CLI::App* command, VoucherFlags* flags,
                   const char* description) {
  command->add_option("--member", flags->member_id, description)
      ->type_name("ID")
      ->required()
      ->check(NotEmptyCheck());
}

void AddCodeFlag(CLI::App* command, VoucherFlags* flags) {
  command->add_option("--code", flags->code, "The voucher's code")
      ->type_name("CODE")
      ->required();
}

// Units are counted by --units, never signed: a sign could only be a
// mistake, refused here before anything is sent.
void AddUnitsFlag(CLI::App* command, VoucherFlags* flags,
                  const char* description) {
  command->add_option("--units", flags->units, description)
      ->type_name("N")
      ->transform(DecimalIntegerCheck(1, INT64_MAX))
      ->required();
}

void AddWriteFlags(CLI::App* command, VoucherFlags* flags) {
  AddChannelFlag(command, &flags->context);
  AddContextFlags(command, &flags->context);
}

using Runner = ExitCode (*)(const GlobalFlags&, const VoucherFlags&);

Command Define(CLI::App* voucher, const GlobalFlags* global, const char* name,
               const char* description, Runner run,
               void (*add_flags)(CLI::App*, VoucherFlags*)) {
  auto flags = std::make_shared<VoucherFlags>();
  CLI::App* command = voucher->add_subcommand(name, description);
  add_flags(command, flags.get());
  return {command, [global, flags, run] { return run(*global, *flags); }};
}

void IssueFlags(CLI::App* command, VoucherFlags* flags) {
  AddMemberFlag(command, flags, "Member who bought it");
  command->add_option("--product", flags->product_id, "Voucher product id")
      ->type_name("ID")
      ->required();
  AddUnitsFlag(command, flags, "Units bought");
  command
      ->add_option("--price", flags->price_minor,
                   "What was paid for them in all, in minor units")
      ->type_name("MINOR")
      ->transform(DecimalIntegerCheck(0, INT64_MAX))
      ->required();
  command->add_option("--currency", flags->currency, "ISO 4217 code")
      ->type_name("CUR")
      ->required()
      ->check(NotEmptyCheck());
  command->add_option("--order", flags->order_id, "The order that bought it")
      ->type_name("ID")
      ->required();
  AddWriteFlags(command, flags);
}

void ShowFlags(CLI::App* command, VoucherFlags* flags) {
  AddCodeFlag(command, flags);
}

void RedeemFlags(CLI::App* command, VoucherFlags* flags) {
  AddMemberFlag(command, flags, "Member presenting it");
  AddCodeFlag(command, flags);
  AddUnitsFlag(command, flags, "Units picked up");
  command->add_option("--order", flags->order_id, "The till's order, if any")
      ->type_name("ID");
  AddWriteFlags(command, flags);
}

void TransferFlags(CLI::App* command, VoucherFlags* flags) {
  AddMemberFlag(command, flags, "Member who gives (the owner)");
  AddCodeFlag(command, flags);
  command->add_option("--to", flags->to_member_id, "Member who receives")
      ->type_name("ID")
      ->required()
      ->check(NotEmptyCheck());
  AddUnitsFlag(command, flags, "Units to give");
  command->add_option("--note", flags->note, "Free-text note")
      ->type_name("TEXT");
  AddWriteFlags(command, flags);
}

void GiftFlags(CLI::App* command, VoucherFlags* flags) {
  AddMemberFlag(command, flags, "Member who gives (the owner)");
  AddCodeFlag(command, flags);
  AddUnitsFlag(command, flags, "Units to set aside for the friend");
  command->add_option("--note", flags->note, "Free-text note")
      ->type_name("TEXT");
  AddWriteFlags(command, flags);
}

void ClaimFlags(CLI::App* command, VoucherFlags* flags) {
  AddMemberFlag(command, flags, "Member claiming it");
  command
      ->add_option("--claim-code", flags->claim_code,
                   "The gift's claim code, as the giver passed it on")
      ->type_name("CODE")
      ->required();
  AddWriteFlags(command, flags);
}

void RefundFlags(CLI::App* command, VoucherFlags* flags) {
  AddMemberFlag(command, flags, "Member who bought it");
  AddCodeFlag(command, flags);
  AddUnitsFlag(command, flags, "Unused units to return");
  AddWriteFlags(command, flags);
}

}  // namespace

Command DefineVoucherCommand(CLI::App* app, const GlobalFlags* global) {
  CLI::App* command = app->add_subcommand(
      "voucher",
      "Prepaid vouchers: issue, show, redeem, transfer, gift, claim, refund "
      "(see loyaltyctl voucher SUBCOMMAND --help)");
  command->require_subcommand(1);
  std::vector<Command> subcommands = {
      Define(command, global, "issue",
             "Issue a voucher bought online (LoyaltyService.IssueVoucher)",
             &RunIssue, &IssueFlags),
      Define(command, global, "show",
             "Show a voucher by its code (LoyaltyService.GetVoucher)", &RunShow,
             &ShowFlags),
      Define(command, global, "redeem",
             "Pick up units of a member's voucher at any store "
             "(LoyaltyService.RedeemVoucherUnits)",
             &RunRedeem, &RedeemFlags),
      Define(command, global, "transfer",
             "Give units of a voucher to another member, who gets a voucher "
             "of their own (LoyaltyService.TransferVoucherUnits)",
             &RunTransfer, &TransferFlags),
      Define(command, global, "gift",
             "Set units aside under a claim code for a friend; unclaimed, "
             "they come back when it expires "
             "(LoyaltyService.GiftVoucherUnits)",
             &RunGift, &GiftFlags),
      Define(command, global, "claim",
             "Claim a gift by its claim code, once "
             "(LoyaltyService.ClaimVoucherGift)",
             &RunClaim, &ClaimFlags),
      Define(command, global, "refund",
             "Return unused units of a bought voucher for their share of the "
             "price (LoyaltyService.RefundVoucherUnits)",
             &RunRefund, &RefundFlags),
  };
  return {command, [subcommands = std::move(subcommands)] {
            return RunParsedSubcommand("voucher", subcommands);
          }};
}

}  // namespace loyalty::ctl
