#include "ledger/rewards/catalog.h"

#include <algorithm>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/coupons/templates.h"
#include "ledger/vouchers/products.h"

namespace loyalty {
namespace {

using loyalty::v1::RewardItem;

// Where `tier_id` is in the program's tiers (lowest first), or -1.
int TierRank(const loyalty::v1::ProgramConfig& program,
             absl::string_view tier_id) {
  const auto& tiers = program.tier_rules().tiers();
  for (int i = 0; i < tiers.size(); ++i) {
    if (tiers[i].tier_id() == tier_id) return i;
  }
  return -1;
}

absl::Status Refused(loyalty::v1::ErrorReason reason, std::string message) {
  return WithReason(absl::FailedPreconditionError(std::move(message)), reason);
}

absl::Status ValidateItem(const loyalty::v1::ProgramConfig& program,
                          const RewardItem& item, const std::string& path) {
  LEDGER_RETURN_IF_ERROR(ValidateId(item.item_id(), path + ".item_id"));
  LEDGER_RETURN_IF_ERROR(ValidateText(
      item.display_name(), path + ".display_name", kDisplayNameBytesMax));
  if (item.points_price() < 1 || item.points_price() > kRewardPointsPriceMax) {
    return InvalidField(
        path + ".points_price",
        absl::StrCat("must be between 1 and ", kRewardPointsPriceMax));
  }
  const bool coupon = !item.coupon_template_id().empty();
  if (coupon == !item.voucher_product_id().empty()) {
    return InvalidField(path + ".coupon_template_id",
                        "set either coupon_template_id or voucher_product_id");
  }
  if (coupon) {
    if (FindCouponTemplate(program, item.coupon_template_id()) == nullptr) {
      return InvalidField(path + ".coupon_template_id",
                          absl::StrCat("\"", item.coupon_template_id(),
                                       "\" is not one of coupon_templates"));
    }
    if (item.voucher_units() != 0) {
      return InvalidField(path + ".voucher_units", "is for voucher items only");
    }
  } else {
    const loyalty::v1::VoucherProduct* product =
        FindVoucherProduct(program, item.voucher_product_id());
    if (product == nullptr) {
      return InvalidField(path + ".voucher_product_id",
                          absl::StrCat("\"", item.voucher_product_id(),
                                       "\" is not one of voucher_products"));
    }
    if (item.voucher_units() < 1 ||
        item.voucher_units() > product->units_per_voucher_max()) {
      return InvalidField(path + ".voucher_units",
                          absl::StrCat("must be between 1 and the product's "
                                       "units_per_voucher_max (",
                                       product->units_per_voucher_max(), ")"));
    }
  }
  if (item.stock() < 0 || item.stock() > kRewardStockMax) {
    return InvalidField(
        path + ".stock",
        absl::StrCat("must be between 0 (no limit) and ", kRewardStockMax));
  }
  if (item.per_member_limit() < 0 ||
      item.per_member_limit() > kRewardPerMemberLimitMax) {
    return InvalidField(path + ".per_member_limit",
                        absl::StrCat("must be between 0 (no limit) and ",
                                     kRewardPerMemberLimitMax));
  }
  if (!item.min_tier_id().empty() &&
      TierRank(program, item.min_tier_id()) < 0) {
    return InvalidField(path + ".min_tier_id",
                        absl::StrCat("\"", item.min_tier_id(),
                                     "\" is not one of tier_rules.tiers"));
  }
  absl::flat_hash_set<int> channels;
  for (int channel : item.channels()) {
    if (channel == loyalty::v1::CHANNEL_UNSPECIFIED ||
        !loyalty::v1::Channel_IsValid(channel)) {
      return InvalidField(path + ".channels", "names an unknown channel");
    }
    if (!channels.insert(channel).second) {
      return InvalidField(path + ".channels", "names a channel twice");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateRewardItems(const loyalty::v1::ProgramConfig& program) {
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < program.reward_items_size(); ++i) {
    const RewardItem& item = program.reward_items(i);
    const std::string path = absl::StrCat("reward_items[", i, "]");
    LEDGER_RETURN_IF_ERROR(ValidateItem(program, item, path));
    if (!ids.insert(item.item_id()).second) {
      return InvalidField(
          path + ".item_id",
          absl::StrCat("\"", item.item_id(), "\" is used by an earlier item"));
    }
  }
  return absl::OkStatus();
}

const RewardItem* FindRewardItem(const loyalty::v1::ProgramConfig& program,
                                 absl::string_view item_id) {
  for (const RewardItem& item : program.reward_items()) {
    if (item.item_id() == item_id) return &item;
  }
  return nullptr;
}

int64_t RewardsHeld(const loyalty::storage::v1::RewardCount& count) {
  return count.redeemed() - count.cancelled();
}

int64_t RewardStockLeft(const RewardItem& item,
                        const loyalty::storage::v1::RewardCount& item_count) {
  if (item.stock() == 0) return -1;
  return std::max<int64_t>(0, item.stock() - RewardsHeld(item_count));
}

absl::Status CheckRewardOffered(
    const loyalty::v1::ProgramConfig& program, const RewardItem& item,
    loyalty::v1::Channel channel, absl::string_view tier_id,
    const loyalty::storage::v1::RewardCount& item_count, int64_t member_held) {
  const auto& channels = item.channels();
  if (channel != loyalty::v1::CHANNEL_UNSPECIFIED && !channels.empty() &&
      std::find(channels.begin(), channels.end(), channel) == channels.end()) {
    return Refused(
        loyalty::v1::ERROR_REASON_REWARD_WRONG_CHANNEL,
        absl::StrCat("reward \"", item.item_id(), "\" is not offered on ",
                     loyalty::v1::Channel_Name(channel)));
  }
  if (!item.min_tier_id().empty() &&
      TierRank(program, tier_id) < TierRank(program, item.min_tier_id())) {
    return Refused(loyalty::v1::ERROR_REASON_REWARD_TIER_TOO_LOW,
                   absl::StrCat("reward \"", item.item_id(), "\" needs tier \"",
                                item.min_tier_id(), "\" or higher"));
  }
  if (RewardStockLeft(item, item_count) == 0) {
    return Refused(
        loyalty::v1::ERROR_REASON_REWARD_OUT_OF_STOCK,
        absl::StrCat("reward \"", item.item_id(), "\" is out of stock"));
  }
  if (item.per_member_limit() != 0 && member_held >= item.per_member_limit()) {
    return Refused(
        loyalty::v1::ERROR_REASON_REWARD_LIMIT_REACHED,
        absl::StrCat("the member holds ", member_held, " of reward \"",
                     item.item_id(), "\", its limit"));
  }
  return absl::OkStatus();
}

}  // namespace loyalty
