// The model test's checks of the vouchers domain (see harness.h): the
// entries and voucher views of the voucher commands' answers against the
// model. The Ledger is called only from harness.cc; these methods judge
// what it answered.
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/coupons/codes.h"
#include "runner.h"

namespace loyalty::model {
std::string CompareVoucher(const VoucherState& want, const v1::Voucher& got,
                           int64_t now_ms) {
  std::string problem;
  auto check = [&](bool same, const char* field) {
    if (!same) absl::StrAppend(&problem, problem.empty() ? "" : ", ", field);
  };
  check(ModelCanonicalCode(got.code()) == want.code, "code");
  check(got.product_id() == want.product_id, "product_id");
  check(got.display_name() == want.product_id, "display_name");
  check(got.sku() == want.sku, "sku");
  check(got.member_id() == want.owner, "member_id");
  check(got.units_bought() == want.bought, "units_bought");
  check(got.units_left() == want.left, "units_left");
  check(got.units_redeemed() == want.redeemed, "units_redeemed");
  check(got.units_transferred_out() == want.transferred,
        "units_transferred_out");
  check(got.units_gifted_pending() == want.gifted_pending,
        "units_gifted_pending");
  check(got.units_gifted_claimed() == want.gifted_claimed,
        "units_gifted_claimed");
  check(got.units_refunded() == want.refunded, "units_refunded");
  check(got.units_expired() == want.expired, "units_expired");
  check(got.price_paid().amount_minor() == want.price_minor &&
            got.price_paid().currency() == want.currency,
        "price_paid");
  check(got.refunded().amount_minor() == want.refunded_minor, "refunded");
  check(got.expires_at_ms() == want.expires_at_ms, "expires_at_ms");
  check(got.refundable() == want.refundable, "refundable");
  check(got.issued_sequence() == want.issued_sequence, "issued_sequence");
  check(got.order_id() == want.order_id, "order_id");
  check(ModelCanonicalCode(got.source_code()) == want.source_code,
        "source_code");
  check(got.units_cancelled() == want.cancelled, "units_cancelled");
  check(got.reward_item_id() == want.reward_item_id, "reward_item_id");
  const v1::VoucherState state =
      want.cancelled > 0             ? v1::VOUCHER_STATE_CANCELLED
      : now_ms >= want.expires_at_ms ? v1::VOUCHER_STATE_EXPIRED
      : want.left == 0               ? v1::VOUCHER_STATE_USED_UP
                                     : v1::VOUCHER_STATE_USABLE;
  check(got.state() == state, "state");
  return problem;
}

std::string Runner::CompareVouchersOk(const Command& command,
                                      const Expected& expected,
                                      const Observed& observed) {
  const size_t own = command.request.index() == kTransferVoucherKind ||
                             command.request.index() == kClaimGiftKind
                         ? 2
                         : 1;
  if (observed.entries.size() != own) return "the response's entries differ";
  // A replay answers the first response, which Judge compares by hash.
  if (expected.replayed) return "";
  if (expected.entries.size() < own) return "the model wrote no entry";
  for (size_t i = 0; i < own; ++i) {
    const ExpectedEntry& want =
        expected.entries[expected.entries.size() - own + i];
    std::string problem = CompareEntry(want, observed.entries[i]);
    if (!problem.empty()) return "the response's " + problem;
  }
  const int64_t now_ms = clock_.NowMs();
  std::string problem =
      CompareVoucher(expected.voucher, observed.voucher, now_ms);
  if (!problem.empty()) return "the response's voucher differs: " + problem;
  if (command.request.index() == kTransferVoucherKind) {
    problem = CompareVoucher(expected.received, observed.received, now_ms);
    if (!problem.empty()) {
      return "the response's received voucher differs: " + problem;
    }
  }
  if (command.request.index() == kGiftVoucherKind ||
      command.request.index() == kClaimGiftKind) {
    auto gift = model_.voucher_gifts().find(
        ModelCanonicalCode(observed.gift.claim_code()));
    if (gift == model_.voucher_gifts().end()) {
      return "the response's gift is not the model's";
    }
    const VoucherGiftState& want = gift->second;
    if (observed.gift.units() != want.units ||
        observed.gift.claim_expires_at_ms() != want.claim_expires_at_ms ||
        observed.gift.state() != want.state ||
        observed.gift.giver_member_id() != want.giver ||
        observed.gift.claimed_by_member_id() != want.claimed_by) {
      return "the response's gift differs: " + observed.gift.ShortDebugString();
    }
  }
  if (command.request.index() == kRefundVoucherKind &&
      (observed.refund.amount_minor() !=
           observed.entry.voucher_refunded().refund_minor() ||
       observed.refund.currency() != expected.voucher.currency)) {
    return "the response's refund differs from its entry";
  }
  return "";
}

void Runner::CountVoucherEntry(const ExpectedEntry& entry) {
  switch (entry.kind) {
    case v1::ENTRY_KIND_VOUCHER_ISSUE:
      ++report_.vouchers_issued;
      break;
    case v1::ENTRY_KIND_VOUCHER_REDEEM:
      ++report_.voucher_pickups;
      break;
    case v1::ENTRY_KIND_VOUCHER_TRANSFER_OUT:
      ++report_.voucher_transfers;
      break;
    case v1::ENTRY_KIND_VOUCHER_GIFT:
      ++report_.voucher_gifts;
      break;
    case v1::ENTRY_KIND_VOUCHER_CLAIM:
      ++report_.voucher_claims;
      break;
    case v1::ENTRY_KIND_VOUCHER_GIFT_RETURN:
      ++report_.voucher_gift_returns;
      break;
    case v1::ENTRY_KIND_VOUCHER_REFUND:
      ++report_.voucher_refunds;
      break;
    case v1::ENTRY_KIND_VOUCHER_EXPIRE:
      ++report_.voucher_expiries;
      break;
    default:
      break;
  }
}

void Runner::CountVoucherRejection(v1::ErrorReason reason) {
  switch (reason) {
    case v1::ERROR_REASON_VOUCHER_NOT_FOUND:
      ++report_.voucher_refusals_not_found;
      break;
    case v1::ERROR_REASON_VOUCHER_UNITS_TOO_FEW:
      ++report_.voucher_refusals_too_few;
      break;
    case v1::ERROR_REASON_VOUCHER_EXPIRED:
      ++report_.voucher_refusals_expired;
      break;
    case v1::ERROR_REASON_VOUCHER_NOT_REFUNDABLE:
      ++report_.voucher_refusals_not_refundable;
      break;
    case v1::ERROR_REASON_VOUCHER_GIFT_NOT_CLAIMABLE:
      ++report_.voucher_refusals_not_claimable;
      break;
    case v1::ERROR_REASON_VOUCHER_GIFTS_NOT_ALLOWED:
      ++report_.voucher_refusals_gifts_not_allowed;
      break;
    case v1::ERROR_REASON_VOUCHER_PRODUCT_NOT_FOUND:
      ++report_.voucher_refusals_product;
      break;
    default:
      break;
  }
}

}  // namespace loyalty::model
