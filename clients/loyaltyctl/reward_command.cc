// File: clients/loyaltyctl/reward_command.cc
//
// `loyaltyctl reward`: the program's rewards catalog.
//   reward list [--member ID] [--channel CH]   the catalog with stock left;
//                                              with a member, what it holds
//                                              and whether it could redeem
//                                              each item now
//                                              (LoyaltyService.ListRewards)
//   reward redeem --member ID --item ID        points for a catalog item: the
//                                              points taken and its coupon or
//                                              voucher issued, both or neither
//                                              (RedeemReward)
//   reward cancel --member ID --code CODE      an unused reward given back for
//                                              its points (CancelReward)
// Codes are checked offline as coupon codes are: a mistyped code is bad
// input (exit 2) and is never sent.

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "clients/loyaltyctl/commands.h"
#include "clients/loyaltyctl/connection.h"
#include "clients/loyaltyctl/context_flags.h"
#include "clients/loyaltyctl/coupon_flags.h"
#include "clients/loyaltyctl/coupon_view.h"
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

struct RewardFlags {
  ContextFlags context;
  std::string member_id;
  std::string item_id;
  std::string code;
  std::string channel;  // reward list only: the channel asking.
};

// What an item issues, for people: "coupon free-coffee" or "voucher
// coffee-12 x5".
std::string IssuesText(const loyalty::v1::RewardItem& item) {
  if (!item.coupon_template_id().empty()) {
    return absl::StrCat("coupon ", item.coupon_template_id());
  }
  return absl::StrCat("voucher ", item.voucher_product_id(), " x",
                      item.voucher_units());
}

std::string RefusalText(loyalty::v1::ErrorReason reason) {
  if (reason == loyalty::v1::ERROR_REASON_UNSPECIFIED) return "yes";
  std::string name = loyalty::v1::ErrorReason_Name(reason);
  constexpr absl::string_view kPrefix = "ERROR_REASON_";
  if (absl::string_view(name).substr(0, kPrefix.size()) == kPrefix) {
    name = name.substr(kPrefix.size());
  }
  return absl::StrCat("no: ", name);
}

void PrintCatalog(const loyalty::v1::ListRewardsResponse& response) {
  // Member columns only when the listing was for a member: every offer
  // then says whether it could be redeemed.
  bool for_member = false;
  for (const auto& offer : response.offers()) {
    for_member = for_member || offer.member_held() > 0 ||
                 offer.refusal() != loyalty::v1::ERROR_REASON_UNSPECIFIED;
  }
  std::vector<Table::Column> columns = {
      {"ITEM", Table::Align::kLeft},     {"POINTS", Table::Align::kRight},
      {"ISSUES", Table::Align::kLeft},   {"STOCK LEFT", Table::Align::kRight},
      {"MIN TIER", Table::Align::kLeft}, {"CANCEL", Table::Align::kLeft}};
  if (for_member) {
    columns.push_back({"HELD", Table::Align::kRight});
    columns.push_back({"REDEEMABLE", Table::Align::kLeft});
  }
  Table table(columns);
  for (const auto& offer : response.offers()) {
    const loyalty::v1::RewardItem& item = offer.item();
    std::vector<std::string> row = {item.item_id(),
                                    absl::StrCat(item.points_price()),
                                    IssuesText(item),
                                    offer.stock_left() < 0
                                        ? std::string("no limit")
                                        : absl::StrCat(offer.stock_left()),
                                    OrDash(item.min_tier_id()),
                                    item.cancellable() ? "yes" : "no"};
    if (for_member) {
      row.push_back(absl::StrCat(offer.member_held()));
      row.push_back(RefusalText(offer.refusal()));
    }
    table.AddRow(std::move(row));
  }
  if (table.empty()) {
    std::cout << "The program's rewards catalog is empty.\n";
    return;
  }
  table.Print(std::cout);
}

void PrintEntry(const loyalty::v1::LedgerEntry& entry) {
  PrintFields(std::cout,
              {{"entry", absl::StrCat(EntryKindLabel(entry.kind()), " on ",
                                      entry.member_id(), ", ",
                                      FormatPointsChange(entry.points_delta()),
                                      ", ", FormatEntryPlace(entry))}});
}

template <typename Response>
void PrintReward(const Response& response) {
  if (response.has_coupon()) {
    PrintFields(std::cout, CouponFields(response.coupon()));
  } else {
    PrintFields(std::cout, VoucherFields(response.voucher()));
  }
  PrintFields(
      std::cout,
      {{"available", FormatPoints(response.balance().available_points())}});
}

void PrintRedeemed(const loyalty::v1::RedeemRewardResponse& response) {
  PrintReplayedNote(response.replayed());
  PrintReward(response);
  for (const auto& entry : response.entries()) PrintEntry(entry);
}

void PrintCancelled(const loyalty::v1::CancelRewardResponse& response) {
  PrintReplayedNote(response.replayed());
  PrintReward(response);
  PrintEntry(response.entry());
}

ExitCode RunList(const GlobalFlags& global, const RewardFlags& flags) {
  loyalty::v1::ListRewardsRequest request;
  request.set_member_id(flags.member_id);
  if (!flags.channel.empty()) {
    absl::StatusOr<loyalty::v1::Channel> channel =
        ParseChannelName(flags.channel);
    if (!channel.ok()) return ReportBadInput(channel.status());
    request.set_channel(*channel);
  }
  const Connection connection(global);
  loyalty::v1::ListRewardsResponse response;
  const ExitCode sent = connection.Call(&LoyaltyService::Stub::ListRewards,
                                        request, &response, /*request_id=*/"");
  if (sent != ExitCode::kOk) return sent;
  return PrintResponse(global, response, &PrintCatalog);
}

ExitCode RunRedeem(const GlobalFlags& global, const RewardFlags& flags) {
  absl::StatusOr<loyalty::v1::RequestContext> context =
      BuildRequestContext(flags.context);
  if (!context.ok()) return ReportBadInput(context.status());
  loyalty::v1::RedeemRewardRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  request.set_item_id(flags.item_id);
  return SendWrite(global, request, &LoyaltyService::Stub::RedeemReward,
                   &PrintRedeemed);
}

ExitCode RunCancel(const GlobalFlags& global, const RewardFlags& flags) {
  absl::Status code = CheckCouponCodeOffline("--code", flags.code);
  if (!code.ok()) return ReportBadInput(code);
  absl::StatusOr<loyalty::v1::RequestContext> context =
      BuildRequestContext(flags.context);
  if (!context.ok()) return ReportBadInput(context.status());
  loyalty::v1::CancelRewardRequest request;
  *request.mutable_context() = *std::move(context);
  request.set_member_id(flags.member_id);
  request.set_code(flags.code);
  return SendWrite(global, request, &LoyaltyService::Stub::CancelReward,
                   &PrintCancelled);
}

void AddMemberFlag(CLI::App* command, RewardFlags* flags,
                   const char* description, bool required) {
  CLI::Option* option =
      command->add_option("--member", flags->member_id, description)
          ->type_name("ID")
          ->check(NotEmptyCheck());
  if (required) option->required();
}

void AddWriteFlags(CLI::App* command, RewardFlags* flags) {
  AddChannelFlag(command, &flags->context);
  AddContextFlags(command, &flags->context);
}

void ListFlags(CLI::App* command, RewardFlags* flags) {
  AddMemberFlag(command, flags,
                "Member asking: show what it holds and could redeem",
                /*required=*/false);
  command
      ->add_option("--channel", flags->channel,
                   "Channel asking (pos, app, web, partner): items it does "
                   "not offer show as not redeemable")
      ->type_name("CH");
}

void RedeemFlags(CLI::App* command, RewardFlags* flags) {
  AddMemberFlag(command, flags, "Member spending the points",
                /*required=*/true);
  command->add_option("--item", flags->item_id, "Catalog item id")
      ->type_name("ID")
      ->required()
      ->check(NotEmptyCheck());
  AddWriteFlags(command, flags);
}

void CancelFlags(CLI::App* command, RewardFlags* flags) {
  AddMemberFlag(command, flags, "Member who holds the reward",
                /*required=*/true);
  command
      ->add_option("--code", flags->code, "The reward's coupon or voucher code")
      ->type_name("CODE")
      ->required();
  AddWriteFlags(command, flags);
}

using Runner = ExitCode (*)(const GlobalFlags&, const RewardFlags&);

Command Define(CLI::App* reward, const GlobalFlags* global, const char* name,
               const char* description, Runner run,
               void (*add_flags)(CLI::App*, RewardFlags*)) {
  auto flags = std::make_shared<RewardFlags>();
  CLI::App* command = reward->add_subcommand(name, description);
  add_flags(command, flags.get());
  return {command, [global, flags, run] { return run(*global, *flags); }};
}

}  // namespace

Command DefineRewardCommand(CLI::App* app, const GlobalFlags* global) {
  CLI::App* command = app->add_subcommand(
      "reward",
      "The rewards catalog: list, redeem, cancel (see loyaltyctl reward "
      "SUBCOMMAND --help)");
  command->require_subcommand(1);
  std::vector<Command> subcommands = {
      Define(command, global, "list",
             "The catalog with stock left; with --member, what the member "
             "holds and could redeem (LoyaltyService.ListRewards)",
             &RunList, &ListFlags),
      Define(command, global, "redeem",
             "Exchange a member's points for a catalog item: the points "
             "taken and its coupon or voucher issued, both or neither "
             "(LoyaltyService.RedeemReward)",
             &RunRedeem, &RedeemFlags),
      Define(command, global, "cancel",
             "Give an unused reward back for its points "
             "(LoyaltyService.CancelReward)",
             &RunCancel, &CancelFlags),
  };
  return {command, [subcommands = std::move(subcommands)] {
            return RunParsedSubcommand("reward", subcommands);
          }};
}

}  // namespace loyalty::ctl
