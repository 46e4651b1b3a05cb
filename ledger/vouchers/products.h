// File: ledger/vouchers/products.h
//
// The program's voucher products: their validation (at start, with
// field-named errors), lookup, what a product gives a voucher issued from
// it (its expiry), and the contract's view of a voucher.
#ifndef LOYALTY_LEDGER_VOUCHERS_PRODUCTS_H_
#define LOYALTY_LEDGER_VOUCHERS_PRODUCTS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty {

inline constexpr int64_t kVoucherUnitsMax = 10'000;
inline constexpr int32_t kVoucherValidDaysMax = 3650;
inline constexpr int64_t kVoucherPriceMinorMax = 1'000'000'000'000;  // 10^12
inline constexpr int32_t kVoucherGiftClaimDaysMax = 365;

// Every product of `program` (voucher_products[i].field: problem).
absl::Status ValidateVoucherProducts(const loyalty::v1::ProgramConfig& program);

// The product with `product_id`, or null.
const loyalty::v1::VoucherProduct* FindVoucherProduct(
    const loyalty::v1::ProgramConfig& program, absl::string_view product_id);

// When the units of a voucher of `product` issued at `issued_at_ms` can no
// longer be picked up: the product's fixed end, or the end of the day
// valid_days_after_issue days later in `time_zone` (1 = until the end of
// the day after issue), as coupons count days.
int64_t VoucherExpiresAtMs(const loyalty::v1::VoucherProduct& product,
                           absl::TimeZone time_zone, int64_t issued_at_ms);

// When a gift's claim code made at `gifted_at_ms` expires: the end of the
// day gift_claim_days days later in `time_zone`, or the voucher's expiry
// if that comes first (the units could not be used after it anyway).
// `product` has gift_claim_days > 0.
int64_t GiftClaimExpiresAtMs(const loyalty::v1::VoucherProduct& product,
                             absl::TimeZone time_zone, int64_t gifted_at_ms,
                             int64_t voucher_expires_at_ms);

// The gift as the contract shows it; `product` may be null.
loyalty::v1::VoucherGift VoucherGiftView(
    const loyalty::storage::v1::VoucherGiftRecord& record,
    const loyalty::v1::VoucherProduct* product);

// The voucher as the contract shows it at `now_ms`; `product` may be null
// (a product the program no longer has: no display name).
loyalty::v1::Voucher VoucherView(
    const loyalty::storage::v1::VoucherRecord& record,
    const loyalty::v1::VoucherProduct* product, int64_t now_ms);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_VOUCHERS_PRODUCTS_H_
