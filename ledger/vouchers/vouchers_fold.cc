#include "ledger/vouchers/vouchers_fold.h"

#include <algorithm>
#include <utility>

#include "ledger/common/status_util.h"
#include "ledger/coupons/codes.h"
#include "ledger/engine/fold_support.h"
#include "ledger/vouchers/products.h"

namespace loyalty::fold {

using loyalty::storage::v1::MemberRecord;
using loyalty::storage::v1::VoucherDue;
using loyalty::storage::v1::VoucherGiftRecord;
using loyalty::storage::v1::VoucherRecord;
using loyalty::v1::LedgerEntry;

bool IsVoucherEntry(loyalty::v1::EntryKind kind) {
  return kind >= loyalty::v1::ENTRY_KIND_VOUCHER_ISSUE &&
         kind <= loyalty::v1::ENTRY_KIND_VOUCHER_EXPIRE;
}

bool IsVoucherGiftEntry(loyalty::v1::EntryKind kind) {
  return kind == loyalty::v1::ENTRY_KIND_VOUCHER_GIFT ||
         kind == loyalty::v1::ENTRY_KIND_VOUCHER_GIFT_CLAIMED ||
         kind == loyalty::v1::ENTRY_KIND_VOUCHER_CLAIM ||
         kind == loyalty::v1::ENTRY_KIND_VOUCHER_GIFT_RETURN;
}

const std::string& VoucherCodeOf(const LedgerEntry& entry) {
  switch (entry.kind()) {
    case loyalty::v1::ENTRY_KIND_VOUCHER_ISSUE:
      return entry.voucher_issued().code();
    case loyalty::v1::ENTRY_KIND_VOUCHER_REDEEM:
      return entry.voucher_redeemed().code();
    case loyalty::v1::ENTRY_KIND_VOUCHER_TRANSFER_OUT:
    case loyalty::v1::ENTRY_KIND_VOUCHER_TRANSFER_IN:
      return entry.voucher_transferred().code();
    case loyalty::v1::ENTRY_KIND_VOUCHER_CLAIM:
      return entry.voucher_gift().claimed_code();
    case loyalty::v1::ENTRY_KIND_VOUCHER_REFUND:
      return entry.voucher_refunded().code();
    case loyalty::v1::ENTRY_KIND_VOUCHER_EXPIRE:
      return entry.voucher_expired().code();
    default:
      return entry.voucher_gift().code();
  }
}

absl::Status CheckVoucherEntryShape(const LedgerEntry& entry) {
  LedgerEntry::DetailsCase expected = LedgerEntry::DETAILS_NOT_SET;
  switch (entry.kind()) {
    case loyalty::v1::ENTRY_KIND_VOUCHER_ISSUE:
      expected = LedgerEntry::kVoucherIssued;
      break;
    case loyalty::v1::ENTRY_KIND_VOUCHER_REDEEM:
      expected = LedgerEntry::kVoucherRedeemed;
      break;
    case loyalty::v1::ENTRY_KIND_VOUCHER_TRANSFER_OUT:
    case loyalty::v1::ENTRY_KIND_VOUCHER_TRANSFER_IN:
      expected = LedgerEntry::kVoucherTransferred;
      break;
    case loyalty::v1::ENTRY_KIND_VOUCHER_GIFT:
    case loyalty::v1::ENTRY_KIND_VOUCHER_GIFT_CLAIMED:
    case loyalty::v1::ENTRY_KIND_VOUCHER_CLAIM:
    case loyalty::v1::ENTRY_KIND_VOUCHER_GIFT_RETURN:
      expected = LedgerEntry::kVoucherGift;
      break;
    case loyalty::v1::ENTRY_KIND_VOUCHER_REFUND:
      expected = LedgerEntry::kVoucherRefunded;
      break;
    case loyalty::v1::ENTRY_KIND_VOUCHER_EXPIRE:
      expected = LedgerEntry::kVoucherExpired;
      break;
    default:
      break;
  }
  if (entry.details_case() != expected) {
    return Broken(entry, "the entry's details are not of its kind");
  }
  if (IsVoucherEntry(entry.kind()) && entry.points_delta() != 0) {
    return Broken(entry, "a voucher entry moves points");
  }
  return absl::OkStatus();
}

bool VoucherUnitsConserved(const VoucherRecord& v) {
  const int64_t terms[] = {v.units_redeemed(),       v.units_transferred_out(),
                           v.units_gifted_claimed(), v.units_gifted_pending(),
                           v.units_refunded(),       v.units_expired(),
                           v.units_cancelled(),      v.units_left()};
  int64_t sum = 0;
  for (int64_t term : terms) {
    // Each term is at most units_bought <= kVoucherUnitsMax: no overflow.
    if (term < 0 || term > kVoucherUnitsMax) return false;
    sum += term;
  }
  return v.units_bought() >= 0 && v.units_bought() == sum;
}

int64_t RefundMinorFor(const VoucherRecord& voucher, int64_t units) {
  // Invariant: a bought voucher (units_bought >= 1) and units it has left.
  LEDGER_CHECK(voucher.units_bought() >= 1);
  LEDGER_CHECK(units >= 0 && units <= voucher.units_left());
  // price <= 10^12 and units <= 10^4: the products fit in int64.
  const int64_t price = voucher.price_minor();
  const int64_t before = voucher.units_refunded();
  const int64_t after = before + units;
  return price * after / voucher.units_bought() -
         price * before / voucher.units_bought();
}

namespace {

// A voucher entry that creates `voucher` (ISSUE, TRANSFER_IN, CLAIM).
absl::Status CheckNewCode(const LedgerEntry& entry,
                          const VoucherRecord& voucher, const std::string& code,
                          int64_t units, int64_t expires_at_ms) {
  if (!voucher.code().empty()) {
    return Broken(entry, "a voucher code created twice");
  }
  if (code.size() != kCouponCodeCharacters || units < 1 ||
      units > kVoucherUnitsMax || expires_at_ms <= 0) {
    return Broken(entry, "a new voucher without a code, units or expiry");
  }
  return absl::OkStatus();
}

// The voucher an entry names exists and is of the product it says.
absl::Status CheckKnown(const LedgerEntry& entry, const VoucherRecord& voucher,
                        const std::string& code,
                        const std::string& product_id) {
  if (voucher.code().empty() || voucher.code() != code ||
      voucher.product_id() != product_id) {
    return Broken(entry, "an entry of a voucher never created");
  }
  return absl::OkStatus();
}

// Units leaving a live voucher (REDEEM, TRANSFER_OUT, GIFT, REFUND).
absl::Status CheckTaken(const LedgerEntry& entry, const VoucherRecord& voucher,
                        const std::string& code, const std::string& product_id,
                        int64_t units, int64_t units_left_after) {
  LEDGER_RETURN_IF_ERROR(CheckKnown(entry, voucher, code, product_id));
  if (units < 1 || units > voucher.units_left()) {
    return Broken(entry, "more units taken than the voucher has left");
  }
  if (units_left_after != voucher.units_left() - units) {
    return Broken(entry,
                  "a voucher entry's units_left_after is not the fold's");
  }
  if (entry.recorded_at_ms() >= voucher.expires_at_ms()) {
    return Broken(entry, "units taken from a voucher after its expiry");
  }
  return absl::OkStatus();
}

// A new voucher from `units` of another (TRANSFER_IN, CLAIM).
void Create(const LedgerEntry& entry, const std::string& code,
            const std::string& product_id, const std::string& sku,
            int64_t units, int64_t expires_at_ms,
            const std::string& source_code, VoucherRecord* next) {
  next->set_code(code);
  next->set_product_id(product_id);
  next->set_sku(sku);
  next->set_member_id(entry.member_id());
  next->set_units_bought(units);
  next->set_units_left(units);
  next->set_expires_at_ms(expires_at_ms);
  next->set_issued_sequence(entry.sequence());
  next->set_source_code(source_code);
}

absl::Status FoldIssue(const LedgerEntry& entry, VoucherRecord* next) {
  const loyalty::v1::VoucherIssued& issued = entry.voucher_issued();
  LEDGER_RETURN_IF_ERROR(CheckNewCode(entry, *next, issued.code(),
                                      issued.units(), issued.expires_at_ms()));
  // A reward (bought with points) has no order, price or refund.
  const bool reward = !issued.reward_item_id().empty();
  if (reward ? (issued.price_minor() != 0 || issued.refundable() ||
                issued.reward_points() <= 0 || issued.product_id().empty())
             : (issued.price_minor() < 0 || issued.currency().empty() ||
                issued.product_id().empty() || entry.order_id().empty())) {
    return Broken(entry, "a VOUCHER_ISSUE without a product, order or price");
  }
  next->set_code(issued.code());
  next->set_product_id(issued.product_id());
  next->set_sku(issued.sku());
  next->set_member_id(entry.member_id());
  next->set_units_bought(issued.units());
  next->set_units_left(issued.units());
  next->set_price_minor(issued.price_minor());
  next->set_currency(issued.currency());
  next->set_expires_at_ms(issued.expires_at_ms());
  next->set_refundable(issued.refundable());
  next->set_issued_sequence(entry.sequence());
  next->set_order_id(entry.order_id());
  next->set_reward_item_id(issued.reward_item_id());
  next->set_reward_points(issued.reward_points());
  next->set_reward_cancellable(issued.reward_cancellable());
  return absl::OkStatus();
}

absl::Status FoldTransfer(const LedgerEntry& entry, VoucherRecord* next) {
  const loyalty::v1::VoucherTransferred& moved = entry.voucher_transferred();
  if (moved.counterpart_code().size() != kCouponCodeCharacters ||
      moved.counterpart_code() == moved.code() ||
      entry.counterparty_member_id().empty()) {
    return Broken(entry, "a voucher transfer without its other side");
  }
  if (entry.kind() == loyalty::v1::ENTRY_KIND_VOUCHER_TRANSFER_IN) {
    LEDGER_RETURN_IF_ERROR(CheckNewCode(entry, *next, moved.code(),
                                        moved.units(), moved.expires_at_ms()));
    if (moved.units_left_after() != moved.units()) {
      return Broken(entry, "a VOUCHER_TRANSFER_IN's units_left_after differs");
    }
    Create(entry, moved.code(), moved.product_id(), moved.sku(), moved.units(),
           moved.expires_at_ms(), moved.counterpart_code(), next);
    return absl::OkStatus();
  }
  LEDGER_RETURN_IF_ERROR(CheckTaken(entry, *next, moved.code(),
                                    moved.product_id(), moved.units(),
                                    moved.units_left_after()));
  if (moved.expires_at_ms() != next->expires_at_ms()) {
    return Broken(entry,
                  "a VOUCHER_TRANSFER_OUT's expiry is not the voucher's");
  }
  next->set_units_left(next->units_left() - moved.units());
  next->set_units_transferred_out(next->units_transferred_out() +
                                  moved.units());
  return absl::OkStatus();
}

absl::Status FoldGift(const LedgerEntry& entry, VoucherRecord* next,
                      VoucherGiftRecord* gift) {
  const loyalty::v1::VoucherGifted& g = entry.voucher_gift();
  if (entry.kind() == loyalty::v1::ENTRY_KIND_VOUCHER_GIFT) {
    LEDGER_RETURN_IF_ERROR(CheckTaken(entry, *next, g.code(), g.product_id(),
                                      g.units(), g.units_left_after()));
    if (!gift->claim_code().empty()) {
      return Broken(entry, "a claim code created twice");
    }
    if (g.claim_code().size() != kCouponCodeCharacters ||
        g.expires_at_ms() != next->expires_at_ms() ||
        g.claim_expires_at_ms() > next->expires_at_ms() ||
        g.claim_expires_at_ms() <= entry.recorded_at_ms()) {
      return Broken(entry, "a VOUCHER_GIFT without a claim code or window");
    }
    gift->set_claim_code(g.claim_code());
    gift->set_voucher_code(g.code());
    gift->set_giver_member_id(entry.member_id());
    gift->set_product_id(g.product_id());
    gift->set_sku(next->sku());
    gift->set_units(g.units());
    gift->set_claim_expires_at_ms(g.claim_expires_at_ms());
    gift->set_voucher_expires_at_ms(g.expires_at_ms());
    gift->set_state(loyalty::v1::VOUCHER_GIFT_STATE_PENDING);
    gift->set_gift_sequence(entry.sequence());
    next->set_units_left(next->units_left() - g.units());
    next->set_units_gifted_pending(next->units_gifted_pending() + g.units());
    return absl::OkStatus();
  }
  if (gift->claim_code().empty() || gift->claim_code() != g.claim_code() ||
      gift->units() != g.units() || gift->product_id() != g.product_id()) {
    return Broken(entry, "an entry of a gift never made");
  }
  if (entry.kind() == loyalty::v1::ENTRY_KIND_VOUCHER_CLAIM) {
    // After its GIFT_CLAIMED, in the same batch.
    if (gift->state() != loyalty::v1::VOUCHER_GIFT_STATE_CLAIMED ||
        gift->claimed_by_member_id() != entry.member_id() ||
        gift->claimed_code() != g.claimed_code() ||
        g.code() != gift->voucher_code() || g.units_left_after() != g.units() ||
        g.expires_at_ms() != gift->voucher_expires_at_ms()) {
      return Broken(entry, "a VOUCHER_CLAIM of a gift not claimed by it");
    }
    LEDGER_RETURN_IF_ERROR(CheckNewCode(entry, *next, g.claimed_code(),
                                        g.units(), g.expires_at_ms()));
    Create(entry, g.claimed_code(), g.product_id(), gift->sku(), g.units(),
           g.expires_at_ms(), g.code(), next);
    return absl::OkStatus();
  }
  // GIFT_CLAIMED and GIFT_RETURN: the giver's voucher gets the pending
  // units' fate.
  LEDGER_RETURN_IF_ERROR(CheckKnown(entry, *next, g.code(), g.product_id()));
  if (gift->state() != loyalty::v1::VOUCHER_GIFT_STATE_PENDING ||
      gift->voucher_code() != g.code() ||
      next->units_gifted_pending() < g.units()) {
    return Broken(entry, "an entry of a gift that is not pending");
  }
  next->set_units_gifted_pending(next->units_gifted_pending() - g.units());
  if (entry.kind() == loyalty::v1::ENTRY_KIND_VOUCHER_GIFT_CLAIMED) {
    if (entry.recorded_at_ms() >= gift->claim_expires_at_ms() ||
        g.claimed_code().size() != kCouponCodeCharacters ||
        g.claimed_code() == g.code() ||
        entry.counterparty_member_id().empty()) {
      return Broken(entry, "a gift claimed late or without its claimer");
    }
    gift->set_state(loyalty::v1::VOUCHER_GIFT_STATE_CLAIMED);
    gift->set_claimed_by_member_id(entry.counterparty_member_id());
    gift->set_claimed_code(g.claimed_code());
    next->set_units_gifted_claimed(next->units_gifted_claimed() + g.units());
    return absl::OkStatus();
  }
  // GIFT_RETURN: due when the claim code expired.
  if (entry.occurred_at_ms() != gift->claim_expires_at_ms() ||
      entry.recorded_at_ms() < gift->claim_expires_at_ms() ||
      g.units_left_after() != next->units_left() + g.units()) {
    return Broken(entry, "a gift returned before its claim code expired");
  }
  gift->set_state(loyalty::v1::VOUCHER_GIFT_STATE_RETURNED);
  next->set_units_left(next->units_left() + g.units());
  return absl::OkStatus();
}

absl::Status FoldRefund(const LedgerEntry& entry, VoucherRecord* next) {
  const loyalty::v1::VoucherRefunded& refunded = entry.voucher_refunded();
  LEDGER_RETURN_IF_ERROR(CheckTaken(entry, *next, refunded.code(),
                                    refunded.product_id(), refunded.units(),
                                    refunded.units_left_after()));
  if (!next->refundable() || next->order_id().empty()) {
    return Broken(entry, "a refund of a voucher that allows none");
  }
  if (refunded.refund_minor() != RefundMinorFor(*next, refunded.units()) ||
      refunded.currency() != next->currency()) {
    return Broken(entry, "a refund that is not the units' share of the price");
  }
  next->set_units_left(next->units_left() - refunded.units());
  next->set_units_refunded(next->units_refunded() + refunded.units());
  next->set_refunded_minor(next->refunded_minor() + refunded.refund_minor());
  return absl::OkStatus();
}

absl::Status FoldExpire(const LedgerEntry& entry, VoucherRecord* next) {
  const loyalty::v1::VoucherExpired& expired = entry.voucher_expired();
  LEDGER_RETURN_IF_ERROR(
      CheckKnown(entry, *next, expired.code(), expired.product_id()));
  if (expired.units() < 1 || expired.units() != next->units_left()) {
    return Broken(entry, "a VOUCHER_EXPIRE of other than the units left");
  }
  if (entry.occurred_at_ms() != next->expires_at_ms() ||
      entry.recorded_at_ms() < next->expires_at_ms()) {
    return Broken(entry, "a voucher expired before its expiry");
  }
  next->set_units_left(0);
  next->set_units_expired(next->units_expired() + expired.units());
  return absl::OkStatus();
}

// The order of voucher_dues (records.proto): due time, gifts first, code.
bool DueBefore(const VoucherDue& a, const VoucherDue& b) {
  if (a.due_ms() != b.due_ms()) return a.due_ms() < b.due_ms();
  if (a.is_gift() != b.is_gift()) return a.is_gift();
  return a.code() < b.code();
}

int FindDue(const MemberRecord& member, const std::string& code, bool is_gift) {
  for (int i = 0; i < member.voucher_dues_size(); ++i) {
    const VoucherDue& due = member.voucher_dues(i);
    if (due.code() == code && due.is_gift() == is_gift) return i;
  }
  return -1;
}

absl::Status AddDue(const LedgerEntry& entry, int64_t due_ms,
                    const std::string& code, bool is_gift, MemberRecord* m) {
  if (FindDue(*m, code, is_gift) >= 0) {
    return Broken(entry, "a voucher or gift falls due twice");
  }
  VoucherDue due;
  due.set_due_ms(due_ms);
  due.set_code(code);
  due.set_is_gift(is_gift);
  auto* dues = m->mutable_voucher_dues();
  auto at = std::upper_bound(dues->begin(), dues->end(), due, DueBefore);
  const int index = static_cast<int>(at - dues->begin());
  *dues->Add() = std::move(due);
  for (int i = dues->size() - 1; i > index; --i) dues->SwapElements(i, i - 1);
  return absl::OkStatus();
}

absl::Status RemoveDue(const LedgerEntry& entry, const std::string& code,
                       bool is_gift, MemberRecord* m) {
  const int index = FindDue(*m, code, is_gift);
  if (index < 0) return Broken(entry, "a voucher or gift the member lacks");
  auto* dues = m->mutable_voucher_dues();
  for (int i = index; i + 1 < dues->size(); ++i) dues->SwapElements(i, i + 1);
  dues->RemoveLast();
  return absl::OkStatus();
}

// Units left a voucher: it falls due no more once it has none.
absl::Status TakenFrom(const LedgerEntry& entry, const std::string& code,
                       int64_t units_left_after, MemberRecord* m) {
  if (units_left_after > 0) return absl::OkStatus();
  return RemoveDue(entry, code, false, m);
}

}  // namespace

absl::Status FoldVoucherEntry(const LedgerEntry& entry, VoucherRecord* voucher,
                              VoucherGiftRecord* gift) {
  LEDGER_RETURN_IF_ERROR(CheckVoucherEntryShape(entry));
  if (IsVoucherGiftEntry(entry.kind()) && gift == nullptr) {
    return Broken(entry, "a gift entry without its gift");
  }
  VoucherRecord next = *voucher;
  VoucherGiftRecord next_gift;
  if (gift != nullptr) next_gift = *gift;
  absl::Status folded;
  switch (entry.kind()) {
    case loyalty::v1::ENTRY_KIND_VOUCHER_ISSUE:
      folded = FoldIssue(entry, &next);
      break;
    case loyalty::v1::ENTRY_KIND_VOUCHER_REDEEM: {
      const loyalty::v1::VoucherRedeemed& redeemed = entry.voucher_redeemed();
      folded = CheckTaken(entry, next, redeemed.code(), redeemed.product_id(),
                          redeemed.units(), redeemed.units_left_after());
      if (folded.ok()) {
        next.set_units_left(next.units_left() - redeemed.units());
        next.set_units_redeemed(next.units_redeemed() + redeemed.units());
      }
      break;
    }
    case loyalty::v1::ENTRY_KIND_VOUCHER_TRANSFER_OUT:
    case loyalty::v1::ENTRY_KIND_VOUCHER_TRANSFER_IN:
      folded = FoldTransfer(entry, &next);
      break;
    case loyalty::v1::ENTRY_KIND_VOUCHER_GIFT:
    case loyalty::v1::ENTRY_KIND_VOUCHER_GIFT_CLAIMED:
    case loyalty::v1::ENTRY_KIND_VOUCHER_CLAIM:
    case loyalty::v1::ENTRY_KIND_VOUCHER_GIFT_RETURN:
      folded = FoldGift(entry, &next, &next_gift);
      break;
    case loyalty::v1::ENTRY_KIND_VOUCHER_REFUND:
      folded = FoldRefund(entry, &next);
      break;
    case loyalty::v1::ENTRY_KIND_VOUCHER_EXPIRE:
      folded = FoldExpire(entry, &next);
      break;
    default:
      return Broken(entry, "not a voucher entry");
  }
  if (!folded.ok()) return folded;
  // Invariant: units are conserved, per voucher.
  if (!VoucherUnitsConserved(next)) {
    return Broken(entry, "a voucher's units do not add up");
  }
  *voucher = std::move(next);
  if (gift != nullptr) *gift = std::move(next_gift);
  return absl::OkStatus();
}

absl::Status FoldVoucherDues(const LedgerEntry& entry, MemberRecord* m) {
  switch (entry.kind()) {
    case loyalty::v1::ENTRY_KIND_VOUCHER_ISSUE:
      return AddDue(entry, entry.voucher_issued().expires_at_ms(),
                    entry.voucher_issued().code(), false, m);
    case loyalty::v1::ENTRY_KIND_VOUCHER_REDEEM:
      return TakenFrom(entry, entry.voucher_redeemed().code(),
                       entry.voucher_redeemed().units_left_after(), m);
    case loyalty::v1::ENTRY_KIND_VOUCHER_TRANSFER_OUT:
      return TakenFrom(entry, entry.voucher_transferred().code(),
                       entry.voucher_transferred().units_left_after(), m);
    case loyalty::v1::ENTRY_KIND_VOUCHER_TRANSFER_IN:
      return AddDue(entry, entry.voucher_transferred().expires_at_ms(),
                    entry.voucher_transferred().code(), false, m);
    case loyalty::v1::ENTRY_KIND_VOUCHER_GIFT: {
      const loyalty::v1::VoucherGifted& g = entry.voucher_gift();
      LEDGER_RETURN_IF_ERROR(
          TakenFrom(entry, g.code(), g.units_left_after(), m));
      return AddDue(entry, g.claim_expires_at_ms(), g.claim_code(), true, m);
    }
    case loyalty::v1::ENTRY_KIND_VOUCHER_GIFT_CLAIMED:
      return RemoveDue(entry, entry.voucher_gift().claim_code(), true, m);
    case loyalty::v1::ENTRY_KIND_VOUCHER_CLAIM:
      return AddDue(entry, entry.voucher_gift().expires_at_ms(),
                    entry.voucher_gift().claimed_code(), false, m);
    case loyalty::v1::ENTRY_KIND_VOUCHER_GIFT_RETURN: {
      const loyalty::v1::VoucherGifted& g = entry.voucher_gift();
      LEDGER_RETURN_IF_ERROR(RemoveDue(entry, g.claim_code(), true, m));
      // The voucher had no units left before: it falls due again.
      if (g.units_left_after() == g.units()) {
        return AddDue(entry, g.expires_at_ms(), g.code(), false, m);
      }
      return absl::OkStatus();
    }
    case loyalty::v1::ENTRY_KIND_VOUCHER_REFUND:
      return TakenFrom(entry, entry.voucher_refunded().code(),
                       entry.voucher_refunded().units_left_after(), m);
    case loyalty::v1::ENTRY_KIND_VOUCHER_EXPIRE:
      return RemoveDue(entry, entry.voucher_expired().code(), false, m);
    // Rewards catalog: a cancelled voucher's units are gone.
    case loyalty::v1::ENTRY_KIND_REWARD_CANCEL:
      return RemoveDue(entry, entry.reward_cancelled().code(), false, m);
    default:
      return Broken(entry, "not a voucher entry");
  }
}

absl::Status MergeVoucherDues(
    const LedgerEntry& entry,
    const google::protobuf::RepeatedPtrField<VoucherDue>& source_dues,
    MemberRecord* member) {
  for (const VoucherDue& due : source_dues) {
    LEDGER_RETURN_IF_ERROR(
        AddDue(entry, due.due_ms(), due.code(), due.is_gift(), member));
  }
  return absl::OkStatus();
}

}  // namespace loyalty::fold
