#include "clients/loyaltyctl/voucher_view.h"

#include "absl/strings/str_cat.h"
#include "clients/loyaltyctl/format.h"

namespace loyalty::ctl {

using loyalty::v1::Voucher;
using loyalty::v1::VoucherGift;

std::string VoucherStateText(loyalty::v1::VoucherState state) {
  switch (state) {
    case loyalty::v1::VOUCHER_STATE_USABLE:
      return "usable";
    case loyalty::v1::VOUCHER_STATE_USED_UP:
      return "used up";
    case loyalty::v1::VOUCHER_STATE_EXPIRED:
      return "expired";
    case loyalty::v1::VOUCHER_STATE_CANCELLED:
      return "cancelled (a reward given back for its points)";
    default:
      return "-";
  }
}

namespace {

std::string GiftStateText(loyalty::v1::VoucherGiftState state) {
  switch (state) {
    case loyalty::v1::VOUCHER_GIFT_STATE_PENDING:
      return "waiting to be claimed";
    case loyalty::v1::VOUCHER_GIFT_STATE_CLAIMED:
      return "claimed";
    case loyalty::v1::VOUCHER_GIFT_STATE_RETURNED:
      return "returned to the giver unclaimed";
    default:
      return "-";
  }
}

}  // namespace

std::vector<Field> VoucherFields(const Voucher& voucher) {
  std::vector<Field> fields = {
      {"code", voucher.code()},
      {"product", voucher.product_id()},
      {"name", OrDash(voucher.display_name())},
      {"sku", voucher.sku()},
      {"member", voucher.member_id()},
      {"units left",
       absl::StrCat(voucher.units_left(), " of ", voucher.units_bought())},
  };
  // Where the other units went: only the ways some did.
  const std::pair<const char*, int64_t> gone[] = {
      {"picked up", voucher.units_redeemed()},
      {"transferred", voucher.units_transferred_out()},
      {"gifted, claimed", voucher.units_gifted_claimed()},
      {"gifted, unclaimed", voucher.units_gifted_pending()},
      {"refunded", voucher.units_refunded()},
      {"expired", voucher.units_expired()},
      {"cancelled", voucher.units_cancelled()},
  };
  for (const auto& [label, units] : gone) {
    if (units > 0) fields.push_back({label, absl::StrCat(units, " units")});
  }
  if (!voucher.reward_item_id().empty()) {
    fields.push_back({"reward", voucher.reward_item_id()});
  } else if (voucher.source_code().empty()) {
    fields.push_back(
        {"price paid", FormatMinorUnits(voucher.price_paid().amount_minor(),
                                        voucher.price_paid().currency())});
    if (voucher.units_refunded() > 0) {
      fields.push_back(
          {"paid back", FormatMinorUnits(voucher.refunded().amount_minor(),
                                         voucher.refunded().currency())});
    }
    fields.push_back({"order", voucher.order_id()});
  } else {
    fields.push_back({"received from voucher", voucher.source_code()});
  }
  fields.push_back({"expires", FormatTimeUtc(voucher.expires_at_ms())});
  fields.push_back({"refundable", voucher.refundable() ? "yes" : "no"});
  fields.push_back({"state", VoucherStateText(voucher.state())});
  return fields;
}

std::vector<Field> VoucherGiftFields(const VoucherGift& gift) {
  return {
      {"claim code", gift.claim_code()},
      {"product", gift.product_id()},
      {"units", absl::StrCat(gift.units())},
      {"claimable until", FormatTimeUtc(gift.claim_expires_at_ms())},
      {"state", GiftStateText(gift.state())},
      {"giver", gift.giver_member_id()},
      {"claimed by", OrDash(gift.claimed_by_member_id())},
  };
}

}  // namespace loyalty::ctl
