#include "ledger/vouchers/products.h"

#include <algorithm>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/coupons/codes.h"

namespace loyalty {
namespace {

using loyalty::v1::VoucherProduct;

absl::Status ValidateProduct(const VoucherProduct& product,
                             const std::string& path) {
  LEDGER_RETURN_IF_ERROR(
      ValidateId(product.product_id(), path + ".product_id"));
  LEDGER_RETURN_IF_ERROR(ValidateText(
      product.display_name(), path + ".display_name", kDisplayNameBytesMax));
  LEDGER_RETURN_IF_ERROR(
      ValidateToken(product.sku(), path + ".sku", kIdLengthMax, true));
  if (product.units_per_voucher_max() < 1 ||
      product.units_per_voucher_max() > kVoucherUnitsMax) {
    return InvalidField(
        path + ".units_per_voucher_max",
        absl::StrCat("must be between 1 and ", kVoucherUnitsMax));
  }
  const bool fixed = product.valid_until_ms() != 0;
  if (fixed == (product.valid_days_after_issue() != 0)) {
    return InvalidField(path + ".valid_days_after_issue",
                        "set either valid_days_after_issue or valid_until_ms");
  }
  if (fixed && product.valid_until_ms() < 0) {
    return InvalidField(path + ".valid_until_ms", "must be positive");
  }
  if (!fixed && (product.valid_days_after_issue() < 1 ||
                 product.valid_days_after_issue() > kVoucherValidDaysMax)) {
    return InvalidField(
        path + ".valid_days_after_issue",
        absl::StrCat("must be between 1 and ", kVoucherValidDaysMax));
  }
  if (product.gift_claim_days() < 0 ||
      product.gift_claim_days() > kVoucherGiftClaimDaysMax) {
    return InvalidField(path + ".gift_claim_days",
                        absl::StrCat("must be between 0 (no gifts) and ",
                                     kVoucherGiftClaimDaysMax));
  }
  return absl::OkStatus();
}

// The start of the day `days` days after the day of `at_ms` in `time_zone`.
int64_t DaysLaterMs(int64_t at_ms, int32_t days, absl::TimeZone time_zone) {
  const absl::CivilDay on =
      absl::ToCivilDay(absl::FromUnixMillis(at_ms), time_zone);
  // The end of day on + N is the start of day on + N + 1.
  return absl::ToUnixMillis(absl::FromCivil(on + days + 1, time_zone));
}

}  // namespace

absl::Status ValidateVoucherProducts(
    const loyalty::v1::ProgramConfig& program) {
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < program.voucher_products_size(); ++i) {
    const VoucherProduct& product = program.voucher_products(i);
    const std::string path = absl::StrCat("voucher_products[", i, "]");
    LEDGER_RETURN_IF_ERROR(ValidateProduct(product, path));
    if (!ids.insert(product.product_id()).second) {
      return InvalidField(path + ".product_id",
                          absl::StrCat("\"", product.product_id(),
                                       "\" is used by an earlier product"));
    }
  }
  return absl::OkStatus();
}

const VoucherProduct* FindVoucherProduct(
    const loyalty::v1::ProgramConfig& program, absl::string_view product_id) {
  for (const VoucherProduct& product : program.voucher_products()) {
    if (product.product_id() == product_id) return &product;
  }
  return nullptr;
}

int64_t VoucherExpiresAtMs(const VoucherProduct& product,
                           absl::TimeZone time_zone, int64_t issued_at_ms) {
  if (product.valid_days_after_issue() == 0) return product.valid_until_ms();
  return DaysLaterMs(issued_at_ms, product.valid_days_after_issue(), time_zone);
}

int64_t GiftClaimExpiresAtMs(const VoucherProduct& product,
                             absl::TimeZone time_zone, int64_t gifted_at_ms,
                             int64_t voucher_expires_at_ms) {
  return std::min(
      DaysLaterMs(gifted_at_ms, product.gift_claim_days(), time_zone),
      voucher_expires_at_ms);
}

loyalty::v1::VoucherGift VoucherGiftView(
    const loyalty::storage::v1::VoucherGiftRecord& record,
    const VoucherProduct* product) {
  loyalty::v1::VoucherGift gift;
  gift.set_claim_code(FormatCouponCode(record.claim_code()));
  gift.set_product_id(record.product_id());
  if (product != nullptr) gift.set_display_name(product->display_name());
  gift.set_sku(record.sku());
  gift.set_units(record.units());
  gift.set_claim_expires_at_ms(record.claim_expires_at_ms());
  gift.set_voucher_expires_at_ms(record.voucher_expires_at_ms());
  gift.set_state(record.state());
  gift.set_giver_member_id(record.giver_member_id());
  gift.set_claimed_by_member_id(record.claimed_by_member_id());
  return gift;
}

loyalty::v1::Voucher VoucherView(
    const loyalty::storage::v1::VoucherRecord& record,
    const VoucherProduct* product, int64_t now_ms) {
  loyalty::v1::Voucher voucher;
  voucher.set_code(FormatCouponCode(record.code()));
  voucher.set_product_id(record.product_id());
  if (product != nullptr) voucher.set_display_name(product->display_name());
  voucher.set_sku(record.sku());
  voucher.set_member_id(record.member_id());
  voucher.set_units_bought(record.units_bought());
  voucher.set_units_left(record.units_left());
  voucher.set_units_redeemed(record.units_redeemed());
  voucher.set_units_transferred_out(record.units_transferred_out());
  voucher.set_units_gifted_pending(record.units_gifted_pending());
  voucher.set_units_gifted_claimed(record.units_gifted_claimed());
  voucher.set_units_refunded(record.units_refunded());
  voucher.set_units_expired(record.units_expired());
  voucher.mutable_refunded()->set_amount_minor(record.refunded_minor());
  voucher.mutable_refunded()->set_currency(record.currency());
  voucher.mutable_price_paid()->set_amount_minor(record.price_minor());
  voucher.mutable_price_paid()->set_currency(record.currency());
  voucher.set_expires_at_ms(record.expires_at_ms());
  voucher.set_refundable(record.refundable());
  voucher.set_issued_sequence(record.issued_sequence());
  voucher.set_order_id(record.order_id());
  if (!record.source_code().empty()) {
    voucher.set_source_code(FormatCouponCode(record.source_code()));
  }
  voucher.set_units_cancelled(record.units_cancelled());
  voucher.set_reward_item_id(record.reward_item_id());
  if (record.units_cancelled() > 0) {
    voucher.set_state(loyalty::v1::VOUCHER_STATE_CANCELLED);
  } else if (now_ms >= record.expires_at_ms()) {
    voucher.set_state(loyalty::v1::VOUCHER_STATE_EXPIRED);
  } else if (record.units_left() == 0) {
    voucher.set_state(loyalty::v1::VOUCHER_STATE_USED_UP);
  } else {
    voucher.set_state(loyalty::v1::VOUCHER_STATE_USABLE);
  }
  return voucher;
}

}  // namespace loyalty
