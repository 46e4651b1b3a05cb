#include "ledger/engine/fold.h"

#include <algorithm>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "ledger/coupons/coupons_fold.h"
#include "ledger/engine/fold_support.h"
#include "ledger/members/members_fold.h"
#include "ledger/offline/offline_fold.h"
#include "ledger/points/lots.h"
#include "ledger/points/points_fold.h"
#include "ledger/rewards/rewards_fold.h"
#include "ledger/vouchers/vouchers_fold.h"

namespace loyalty {
namespace {

using loyalty::storage::v1::Hold;
using loyalty::storage::v1::Lot;
using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;
using fold::Broken;
using fold::SumOf;

// The bucket totals equal their lots and holds (see records.proto).
absl::Status CheckBuckets(const LedgerEntry& entry, const MemberRecord& m) {
  if (m.debt_points() < 0 || (m.debt_points() > 0 && m.lots_size() > 0)) {
    return Broken(entry, "debt beside available lots");
  }
  if (SumOf(m.lots()) - m.debt_points() != m.available_points()) {
    return Broken(entry, "available points differ from their lots");
  }
  if (SumOf(m.pending_lots()) != m.pending_points()) {
    return Broken(entry, "pending points differ from their lots");
  }
  int64_t held = 0;
  for (const Hold& hold : m.holds()) held += hold.points();
  if (held != m.held_points()) {
    return Broken(entry, "held points differ from the open holds");
  }
  for (const Lot& lot : m.lots()) {
    if (lot.points() <= 0) return Broken(entry, "an empty lot is kept");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status FoldEntryInPlace(const LedgerEntry& entry,
                              const loyalty::storage::v1::EntryStorageFields& storage,
                              MemberRecord* member) {
  // Checks read `*member` before any change; the fold writes through `next`.
  MemberRecord& next = *member;
  // Entry details (a oneof) must be those of the entry's kind, or none.
  const bool offline = fold::IsOfflineRedemptionEntry(entry);
  LEDGER_RETURN_IF_ERROR(
      offline                             ? fold::CheckOfflineEntryShape(entry)
      : fold::IsVoucherEntry(entry.kind()) ? fold::CheckVoucherEntryShape(entry)
      : fold::IsRewardEntry(entry.kind())  ? fold::CheckRewardEntryShape(entry)
                                           : fold::CheckCouponEntryShape(entry));
  // Bulk coupon codes: entries of no member never reach a member's state.
  if (fold::IsMemberlessEntry(entry.kind())) {
    return Broken(entry, "an entry of no member folded into a member");
  }
  if (entry.kind() == loyalty::v1::ENTRY_KIND_ENROLL) {
    LEDGER_RETURN_IF_ERROR(fold::FoldEnroll(entry, &next));
  } else {
    if (member->member_id() != entry.member_id()) {
      return Broken(entry, "entry for a member that was never enrolled");
    }
    if (member->status() == loyalty::v1::MEMBER_STATUS_CLOSED) {
      return Broken(entry, "an entry after the member was closed");
    }
    if (member->status() == loyalty::v1::MEMBER_STATUS_MERGED) {
      return Broken(entry, "an entry after the member was merged");
    }
    // Each domain folds its own entries; TIER is the points domain's too.
    absl::Status s;
    if (fold::IsMemberEntry(entry.kind())) {
      s = fold::FoldMemberEntry(entry, storage, &next);
    } else if (offline) {
      // Points, possibly into debt, and the sale day's allowance
      // (offline/offline_fold.h).
      s = fold::FoldOfflineRedemption(entry, &next);
    } else if (entry.kind() == loyalty::v1::ENTRY_KIND_TIER) {
      s = fold::FoldTier(entry, &next);
    } else if (fold::IsCouponEntry(entry.kind())) {
      // A coupon's state is its own record (coupons/coupons_fold.h); the
      // member's points do not move, its open reservations may.
      s = fold::FoldCouponEntryOnMember(entry, &next);
    } else if (fold::IsVoucherEntry(entry.kind())) {
      // Likewise a voucher's state is its own record
      // (vouchers/vouchers_fold.h); the member keeps what falls due.
      s = fold::FoldVoucherDues(entry, &next);
    } else if (fold::IsRewardEntry(entry.kind())) {
      // Points, and a cancelled voucher's expiry (rewards/rewards_fold.h).
      s = fold::FoldRewardEntryOnMember(entry, &next);
    } else {
      s = fold::FoldPointsEntry(entry, &next);
    }
    if (!s.ok()) return s;
    s = fold::AddQualifying(entry, &next);
    if (!s.ok()) return s;
    s = AddCampaignLines(entry, next.mutable_campaign_points(),
                         Accumulate::kChecked);
    if (!s.ok()) return s;
  }
  // Invariant: no entry takes a member below zero (promise 5), except a
  // return under ALLOW_NEGATIVE_BALANCE or an offline redemption under
  // OFFLINE_SHORTFALL_POLICY_DEBT, which is debt.
  if (next.available_points() < -next.debt_points() ||
      next.pending_points() < 0 || next.held_points() < 0) {
    return Broken(entry, "a balance below zero");
  }
  LEDGER_RETURN_IF_ERROR(CheckBuckets(entry, next));
  if (next.available_points() != entry.available_after_points() ||
      next.pending_points() != entry.pending_after_points() ||
      next.held_points() != entry.held_after_points() ||
      next.debt_points() != entry.debt_after_points()) {
    return Broken(
        entry,
        absl::StrCat("the entry says available/pending/held ",
                     entry.available_after_points(), "/",
                     entry.pending_after_points(), "/",
                     entry.held_after_points(), " but replay gives ",
                     next.available_points(), "/", next.pending_points(), "/",
                     next.held_points()));
  }
  next.set_next_due_ms(NextDueMs(next));
  next.set_entry_count(next.entry_count() + 1);
  next.set_last_sequence(entry.sequence());
  return absl::OkStatus();
}

absl::Status FoldEntry(const LedgerEntry& entry,
                       const loyalty::storage::v1::EntryStorageFields& storage,
                       MemberRecord* member) {
  MemberRecord next = *member;
  LEDGER_RETURN_IF_ERROR(FoldEntryInPlace(entry, storage, &next));
  *member = std::move(next);
  return absl::OkStatus();
}

absl::Status FoldEntry(const LedgerEntry& entry, MemberRecord* member) {
  return FoldEntry(entry,
                   loyalty::storage::v1::EntryStorageFields::default_instance(),
                   member);
  return absl::OkStatus();
}

int64_t NextDueMs(const MemberRecord& member) {
  int64_t due = std::numeric_limits<int64_t>::max();
  for (const Hold& hold : member.holds()) due = std::min(due, hold.expires_at_ms());
  for (const loyalty::storage::v1::CouponReservation& reservation :
       member.coupon_reservations()) {
    due = std::min(due, reservation.expires_at_ms());
  }
  for (const Lot& lot : member.pending_lots()) {
    due = std::min(due, lot.matures_at_ms());
  }
  if (member.tier_evaluation_ms() != 0) {
    due = std::min(due, member.tier_evaluation_ms());
  }
  // Voucher dues are sorted: the first falls due first.
  if (member.voucher_dues_size() > 0) {
    due = std::min(due, member.voucher_dues(0).due_ms());
  }
  // Lots are sorted by expiry: the first one expires first (0 = never).
  if (member.lots_size() > 0 && member.lots(0).expires_at_ms() != 0) {
    due = std::min(due, member.lots(0).expires_at_ms());
  }
  return due == std::numeric_limits<int64_t>::max() ? 0 : due;
}

google::protobuf::RepeatedPtrField<loyalty::v1::TransferredLot> LotsTakenBy(
    const MemberRecord& member, int64_t points) {
  google::protobuf::RepeatedPtrField<loyalty::v1::TransferredLot> taken;
  // Same order as TakeFromLots: the lots are sorted soonest expiry first.
  for (const Lot& lot : member.lots()) {
    if (points == 0) break;
    const int64_t take = std::min(points, lot.points());
    loyalty::v1::TransferredLot* piece = taken.Add();
    piece->set_points(take);
    piece->set_expires_at_ms(lot.expires_at_ms());
    points -= take;
  }
  LEDGER_CHECK(points == 0);
  return taken;
}

loyalty::v1::Balance BalanceOf(const MemberRecord& member) {
  loyalty::v1::Balance balance;
  balance.set_member_id(member.member_id());
  balance.set_available_points(member.available_points());
  balance.set_earned_points_total(member.earned_points_total());
  balance.set_redeemed_points_total(member.redeemed_points_total());
  balance.set_adjusted_points_total(member.adjusted_points_total());
  balance.set_entry_count(member.entry_count());
  balance.set_last_sequence(member.last_sequence());
  balance.set_pending_points(member.pending_points());
  balance.set_held_points(member.held_points());
  balance.set_expired_points_total(member.expired_points_total());
  balance.set_debt_points(member.debt_points());
  balance.set_opening_points_total(member.opening_points_total());
  balance.set_transferred_out_points_total(
      member.transferred_out_points_total());
  balance.set_transferred_in_points_total(member.transferred_in_points_total());
  balance.set_forfeited_points_total(member.forfeited_points_total());
  for (const Lot& lot : member.lots()) {
    if (lot.expires_at_ms() == 0 ||
        balance.next_expiring_size() >= kNextExpiringShown) {
      break;
    }
    loyalty::v1::ExpiringPoints* expiring = balance.add_next_expiring();
    expiring->set_expires_at_ms(lot.expires_at_ms());
    expiring->set_points(lot.points());
  }
  return balance;
}

loyalty::v1::Balance BalanceOf(const MemberRecord& member, int64_t as_of_ms) {
  loyalty::v1::Balance balance = BalanceOf(member);
  balance.set_as_of_ms(as_of_ms);
  return balance;
}

}  // namespace loyalty
