#include "ledger/coupons/coupons_fold.h"

#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/coupons/codes.h"
#include "ledger/engine/fold_support.h"

namespace loyalty::fold {

using loyalty::storage::v1::CouponRecord;
using loyalty::storage::v1::CouponReservation;
using loyalty::v1::LedgerEntry;

bool IsCouponEntry(loyalty::v1::EntryKind kind) {
  return kind == loyalty::v1::ENTRY_KIND_COUPON_ISSUE ||
         kind == loyalty::v1::ENTRY_KIND_COUPON_REDEEM ||
         kind == loyalty::v1::ENTRY_KIND_COUPON_RESTORE ||
         kind == loyalty::v1::ENTRY_KIND_COUPON_RESERVE ||
         kind == loyalty::v1::ENTRY_KIND_COUPON_RELEASE;
}

bool IsMemberlessEntry(loyalty::v1::EntryKind kind) {
  return kind == loyalty::v1::ENTRY_KIND_COUPON_GENERATE;
}

absl::Status CheckMemberlessEntryShape(const LedgerEntry& entry) {
  LEDGER_RETURN_IF_ERROR(CheckCouponEntryShape(entry));
  if (!IsMemberlessEntry(entry.kind())) {
    return Broken(entry, "an entry of a member's kind without a member");
  }
  if (!entry.member_id().empty()) {
    return Broken(entry, "an entry of no member names a member");
  }
  if (entry.points_delta() != 0 || entry.available_after_points() != 0 ||
      entry.pending_after_points() != 0 || entry.held_after_points() != 0 ||
      entry.debt_after_points() != 0) {
    return Broken(entry, "an entry of no member moves points");
  }
  return absl::OkStatus();
}

int32_t ActiveReservations(const CouponRecord& coupon, int64_t at_ms) {
  int32_t active = 0;
  for (const CouponReservation& reservation : coupon.reservations()) {
    if (reservation.expires_at_ms() > at_ms) ++active;
  }
  return active;
}

namespace {

// Where the reservation `reservation_id` is in `reservations`, or -1.
int FindReservation(
    const google::protobuf::RepeatedPtrField<CouponReservation>& reservations,
    const std::string& reservation_id) {
  for (int i = 0; i < reservations.size(); ++i) {
    if (reservations[i].reservation_id() == reservation_id) return i;
  }
  return -1;
}

// The reservation a commit or release ends: listed, and ended by the
// ledger exactly when (and only when) it had expired.
absl::Status CheckEnding(const LedgerEntry& entry,
                         const CouponReservation& reservation,
                         bool timed_out) {
  const bool expired = entry.recorded_at_ms() >= reservation.expires_at_ms();
  if (expired != timed_out) {
    return Broken(entry, timed_out
                             ? "a coupon reservation timed out before its time"
                             : "a coupon reservation ended after it expired");
  }
  return absl::OkStatus();
}

}  // namespace

const std::string& CouponCodeOf(const LedgerEntry& entry) {
  switch (entry.kind()) {
    case loyalty::v1::ENTRY_KIND_COUPON_ISSUE:
      return entry.coupon_issued().code();
    case loyalty::v1::ENTRY_KIND_COUPON_REDEEM:
      return entry.coupon_redeemed().code();
    case loyalty::v1::ENTRY_KIND_COUPON_RESERVE:
      return entry.coupon_reserved().code();
    case loyalty::v1::ENTRY_KIND_COUPON_RELEASE:
      return entry.coupon_released().code();
    default:
      return entry.coupon_restored().code();
  }
}

absl::Status CheckCouponEntryShape(const LedgerEntry& entry) {
  LedgerEntry::DetailsCase expected = LedgerEntry::DETAILS_NOT_SET;
  if (entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_ISSUE) {
    expected = LedgerEntry::kCouponIssued;
  } else if (entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_REDEEM) {
    expected = LedgerEntry::kCouponRedeemed;
  } else if (entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_RESTORE) {
    expected = LedgerEntry::kCouponRestored;
  } else if (entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_RESERVE) {
    expected = LedgerEntry::kCouponReserved;
  } else if (entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_RELEASE) {
    expected = LedgerEntry::kCouponReleased;
  } else if (entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_GENERATE) {
    expected = LedgerEntry::kCouponsGenerated;
  }
  if (entry.details_case() != expected) {
    return Broken(entry, "the entry's details are not of its kind");
  }
  if (IsCouponEntry(entry.kind()) && entry.points_delta() != 0) {
    return Broken(entry, "a coupon entry moves points");
  }
  return absl::OkStatus();
}

absl::Status FoldCouponEntry(const LedgerEntry& entry,
                             loyalty::storage::v1::CouponRecord* coupon,
                             loyalty::storage::v1::CouponCount* template_count,
                             loyalty::storage::v1::CouponCount* member_count) {
  LEDGER_RETURN_IF_ERROR(CheckCouponEntryShape(entry));
  if (entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_ISSUE) {
    const loyalty::v1::CouponIssued& issued = entry.coupon_issued();
    if (!coupon->code().empty()) {
      return Broken(entry, "a coupon code issued twice");
    }
    if (issued.code().size() != kCouponCodeCharacters ||
        issued.template_id().empty() || issued.uses_allowed() < 1 ||
        issued.valid_until_ms() <= issued.valid_from_ms()) {
      return Broken(entry, "a COUPON_ISSUE without a code, template, uses "
                           "or window");
    }
    // Coupons issued by program rules: a rule's coupon names its rule and
    // what kind of rule it is; any other coupon names neither.
    const bool by_tier = issued.rule_kind() == loyalty::v1::RULE_KIND_TIER;
    const bool by_bonus =
        issued.rule_kind() == loyalty::v1::RULE_KIND_SPEND_BONUS;
    if (issued.rule_id().empty() !=
        (issued.rule_kind() == loyalty::v1::RULE_KIND_UNSPECIFIED)) {
      return Broken(entry,
                    "a COUPON_ISSUE with a rule id but no rule kind, "
                    "or a rule kind but no rule id");
    }
    if (!issued.rule_id().empty() && !by_tier && !by_bonus) {
      return Broken(entry,
                    "a COUPON_ISSUE by a kind of rule that issues no "
                    "coupons");
    }
    coupon->set_code(issued.code());
    coupon->set_template_id(issued.template_id());
    coupon->set_member_id(entry.member_id());
    coupon->set_valid_from_ms(issued.valid_from_ms());
    coupon->set_valid_until_ms(issued.valid_until_ms());
    coupon->set_uses_allowed(issued.uses_allowed());
    coupon->set_uses(0);
    coupon->set_issued_sequence(entry.sequence());
    coupon->set_reward_item_id(issued.reward_item_id());
    coupon->set_reward_points(issued.reward_points());
    coupon->set_reward_cancellable(issued.reward_cancellable());
    coupon->set_rule_id(issued.rule_id());
    template_count->set_issued(template_count->issued() + 1);
    member_count->set_issued(member_count->issued() + 1);
    return absl::OkStatus();
  }
  if (entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_RESTORE) {
    const loyalty::v1::CouponRestored& restored = entry.coupon_restored();
    if (coupon->code().empty() || coupon->code() != restored.code() ||
        coupon->template_id() != restored.template_id()) {
      return Broken(entry, "a COUPON_RESTORE of a coupon never issued");
    }
    if (coupon->uses() < 1 || restored.uses_after() != coupon->uses() - 1) {
      return Broken(entry, "a COUPON_RESTORE that does not give one use back");
    }
    coupon->set_uses(coupon->uses() - 1);
    return absl::OkStatus();
  }
  if (entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_RESERVE) {
    const loyalty::v1::CouponReserved& reserved = entry.coupon_reserved();
    if (coupon->code().empty() || coupon->code() != reserved.code() ||
        coupon->template_id() != reserved.template_id()) {
      return Broken(entry, "a COUPON_RESERVE of a coupon never issued");
    }
    if (coupon->cancelled()) {
      return Broken(entry, "a cancelled coupon reserved");
    }
    if (reserved.reservation_id() != CouponReservationIdOf(entry.sequence()) ||
        reserved.expires_at_ms() <= entry.recorded_at_ms()) {
      return Broken(entry, "a COUPON_RESERVE with a foreign id or no time");
    }
    if (coupon->uses() + ActiveReservations(*coupon, entry.recorded_at_ms()) >=
        coupon->uses_allowed()) {
      return Broken(entry, "a coupon reserved beyond the uses it has left");
    }
    if (entry.recorded_at_ms() < coupon->valid_from_ms() ||
        entry.recorded_at_ms() >= coupon->valid_until_ms()) {
      return Broken(entry, "a coupon reserved outside its window");
    }
    CouponReservation* reservation = coupon->add_reservations();
    reservation->set_reservation_id(reserved.reservation_id());
    reservation->set_code(reserved.code());
    reservation->set_sequence(entry.sequence());
    reservation->set_expires_at_ms(reserved.expires_at_ms());
    reservation->set_order_id(entry.order_id());
    return absl::OkStatus();
  }
  if (entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_RELEASE) {
    const loyalty::v1::CouponReleased& released = entry.coupon_released();
    if (coupon->code().empty() || coupon->code() != released.code() ||
        coupon->template_id() != released.template_id()) {
      return Broken(entry, "a COUPON_RELEASE of a coupon never issued");
    }
    const int at =
        FindReservation(coupon->reservations(), released.reservation_id());
    if (at < 0) {
      return Broken(entry, "a COUPON_RELEASE of a reservation not open");
    }
    LEDGER_RETURN_IF_ERROR(
        CheckEnding(entry, coupon->reservations(at), released.timed_out()));
    coupon->mutable_reservations()->DeleteSubrange(at, 1);
    return absl::OkStatus();
  }
  const loyalty::v1::CouponRedeemed& redeemed = entry.coupon_redeemed();
  if (coupon->code().empty() || coupon->code() != redeemed.code() ||
      coupon->template_id() != redeemed.template_id()) {
    return Broken(entry, "a COUPON_REDEEM of a coupon never issued");
  }
  if (coupon->cancelled()) return Broken(entry, "a cancelled coupon used");
  if (coupon->uses() >= coupon->uses_allowed()) {
    return Broken(entry, "a coupon used more often than it allows");
  }
  if (redeemed.uses_after() != coupon->uses() + 1) {
    return Broken(entry, "a COUPON_REDEEM's uses_after is not the next use");
  }
  if (!redeemed.reservation_id().empty()) {
    // A commit: the reservation checked the window and kept the use.
    const int at =
        FindReservation(coupon->reservations(), redeemed.reservation_id());
    if (at < 0) {
      return Broken(entry, "a COUPON_REDEEM of a reservation not open");
    }
    LEDGER_RETURN_IF_ERROR(
        CheckEnding(entry, coupon->reservations(at), /*timed_out=*/false));
    coupon->mutable_reservations()->DeleteSubrange(at, 1);
  } else {
    if (coupon->uses() + ActiveReservations(*coupon, entry.recorded_at_ms()) >=
        coupon->uses_allowed()) {
      return Broken(entry, "a coupon used while its uses left are reserved");
    }
    if (entry.recorded_at_ms() < coupon->valid_from_ms() ||
        entry.recorded_at_ms() >= coupon->valid_until_ms()) {
      return Broken(entry, "a coupon used outside its window");
    }
  }
  if (redeemed.discount_minor() < 0 ||
      (redeemed.discount_minor() > 0) == redeemed.currency().empty()) {
    return Broken(entry, "a COUPON_REDEEM's discount has no currency, or a "
                         "currency without a discount");
  }
  if (redeemed.discount_minor() > 0) {
    if (template_count == nullptr) {
      return Broken(entry, "a coupon discount without its template's count");
    }
    int64_t given = template_count->discount_given_minor();
    if (__builtin_add_overflow(given, redeemed.discount_minor(), &given)) {
      return Broken(entry, "a template's discounts overflow");
    }
    template_count->set_discount_given_minor(given);
  }
  coupon->set_uses(coupon->uses() + 1);
  return absl::OkStatus();
}

absl::Status FoldCouponEntryOnMember(const LedgerEntry& entry,
                                     loyalty::storage::v1::MemberRecord* member) {
  std::string ending;
  if (entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_RESERVE) {
    const loyalty::v1::CouponReserved& reserved = entry.coupon_reserved();
    if (FindReservation(member->coupon_reservations(),
                        reserved.reservation_id()) >= 0) {
      return Broken(entry, "a coupon reservation id listed twice");
    }
    CouponReservation* reservation = member->add_coupon_reservations();
    reservation->set_reservation_id(reserved.reservation_id());
    reservation->set_code(reserved.code());
    reservation->set_sequence(entry.sequence());
    reservation->set_expires_at_ms(reserved.expires_at_ms());
    reservation->set_order_id(entry.order_id());
    return absl::OkStatus();
  }
  if (entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_RELEASE) {
    ending = entry.coupon_released().reservation_id();
  } else if (entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_REDEEM) {
    ending = entry.coupon_redeemed().reservation_id();
  }
  if (ending.empty()) return absl::OkStatus();
  const int at = FindReservation(member->coupon_reservations(), ending);
  if (at < 0 || member->coupon_reservations(at).code() != CouponCodeOf(entry)) {
    return Broken(entry, "a coupon reservation ended that the member lacks");
  }
  member->mutable_coupon_reservations()->DeleteSubrange(at, 1);
  return absl::OkStatus();
}

}  // namespace loyalty::fold
