#include "ledger/coupons/reserve_coupon.h"

#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/limits.h"
#include "ledger/common/program.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/coupons/codes.h"
#include "ledger/coupons/coupon_rules.h"
#include "ledger/coupons/coupons_fold.h"
#include "ledger/coupons/templates.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/rule_support.h"
#include "ledger/points/settle.h"

namespace loyalty {

using loyalty::storage::v1::CouponRecord;
using loyalty::storage::v1::CouponReservation;
using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;

namespace {

absl::Status ValidateSettleCouponReservation(
    const loyalty::v1::SettleCouponReservationRequest& request,
    int64_t now_ms) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  if (!ParseCouponReservationId(request.reservation_id()).has_value()) {
    return InvalidField(
        "reservation_id",
        absl::StrCat("\"", absl::CHexEscape(request.reservation_id()),
                     "\" is not a coupon reservation id (\"R\" and digits, "
                     "as ReserveCoupon returned it)"));
  }
  return absl::OkStatus();
}

// The rule of CommitCoupon (`commit`) and ReleaseCoupon: both end the
// member's open reservation, one with a use, one without.
absl::Status DecideSettleCouponReservation(
    const Rules& rules, Batch& batch, const std::string& principal,
    loyalty::v1::SettleCouponReservationRequest& request, bool commit,
    loyalty::v1::SettleCouponReservationResponse* out) {
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_member_id(), batch));
  // Settling first ends a reservation that timed out: it is then no longer
  // open, as a hold past its timeout cannot be captured.
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), rules, batch));
  std::optional<CouponReservation> reservation;
  for (const CouponReservation& open : member->coupon_reservations()) {
    if (open.reservation_id() == request.reservation_id()) reservation = open;
  }
  if (!reservation.has_value()) {
    std::optional<uint64_t> sequence =
        ParseCouponReservationId(request.reservation_id());
    // Invariant: validation accepted only well-formed reservation ids.
    LEDGER_CHECK(sequence.has_value());
    LEDGER_ASSIGN_OR_RETURN(
        bool was_reservation,
        batch.IsEntryOf(*member, *sequence,
                        loyalty::v1::ENTRY_KIND_COUPON_RESERVE));
    if (!was_reservation) {
      return WithReason(
          absl::NotFoundError(absl::StrCat(
              "reservation_id: this member has no coupon reservation \"",
              request.reservation_id(), "\"")),
          loyalty::v1::ERROR_REASON_COUPON_RESERVATION_NOT_FOUND);
    }
    return WithReason(
        absl::FailedPreconditionError(absl::StrCat(
            "reservation_id: coupon reservation \"", request.reservation_id(),
            "\" is no longer open (committed, released or timed out)")),
        loyalty::v1::ERROR_REASON_COUPON_RESERVATION_NOT_ACTIVE);
  }
  const std::string coupon_key = CouponKey(reservation->code());
  LEDGER_ASSIGN_OR_RETURN(
      CouponRecord * coupon,
      batch.LoadRecord<CouponRecord>(Family::kCoupons, coupon_key));
  // Invariant: a member lists only reservations its coupon lists.
  LEDGER_CHECK(coupon->code() == reservation->code());

  LedgerEntry entry = EntryFor(request.context(), principal,
                               commit ? loyalty::v1::ENTRY_KIND_COUPON_REDEEM
                                      : loyalty::v1::ENTRY_KIND_COUPON_RELEASE,
                               request.member_id());
  entry.set_order_id(reservation->order_id());
  if (commit) {
    loyalty::v1::CouponRedeemed* redeemed = entry.mutable_coupon_redeemed();
    redeemed->set_code(coupon->code());
    redeemed->set_template_id(coupon->template_id());
    redeemed->set_uses_after(coupon->uses() + 1);
    redeemed->set_reservation_id(reservation->reservation_id());
  } else {
    loyalty::v1::CouponReleased* released = entry.mutable_coupon_released();
    released->set_code(coupon->code());
    released->set_template_id(coupon->template_id());
    released->set_reservation_id(reservation->reservation_id());
  }
  LedgerEntry appended = batch.Append(std::move(entry), member);
  // Invariant: the reservation is open on the coupon and has not expired
  // (the member was settled at this batch's now).
  LEDGER_CHECK(fold::FoldCouponEntry(appended, coupon, nullptr, nullptr).ok());
  batch.StageRecord(Family::kCoupons, coupon_key);

  loyalty::v1::SettleCouponReservationResponse response;
  *response.mutable_coupon() = CouponView(
      *coupon, FindCouponTemplate(rules.program, coupon->template_id()),
      batch.now_ms());
  *response.mutable_entry() = std::move(appended);
  *out = std::move(response);
  return absl::OkStatus();
}

}  // namespace

absl::Status ReserveCouponCommand::Prepare(const Rules& rules, int64_t now_ms,
                                           Request& request,
                                           Prepared& prepared) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  LEDGER_ASSIGN_OR_RETURN(std::string canonical,
                          ParseCouponCode(request.code(), "code"));
  request.set_code(std::move(canonical));
  if (!request.order_id().empty()) {
    LEDGER_RETURN_IF_ERROR(
        ValidateToken(request.order_id(), "order_id", kIdLengthMax, true));
  }
  const int64_t timeout_max_ms = HoldTimeoutMaxMs(rules.program);
  if (request.timeout_ms() < kHoldTimeoutMinMs ||
      request.timeout_ms() > timeout_max_ms) {
    return InvalidField(
        "timeout_ms",
        absl::StrCat("must be between ", kHoldTimeoutMinMs, " and ",
                     timeout_max_ms, " (the program's hold_timeout_max_ms)"));
  }
  return absl::OkStatus();
}

absl::Status ReserveCouponCommand::Decide(
    const Rules& rules, Batch& batch, Queued<ReserveCouponCommand>& command) {
  auto& request = command.request;
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_member_id(), batch));
  // The member first, as for every write (RedeemCoupon's order).
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), rules, batch));
  const std::string coupon_key = CouponKey(request.code());
  LEDGER_ASSIGN_OR_RETURN(
      CouponRecord * coupon,
      batch.LoadRecord<CouponRecord>(Family::kCoupons, coupon_key));
  if (coupon->code().empty()) return CouponNotFound();
  // A bearer code (any member's) has no owner to set a use aside for; its
  // per-member limit is checked when it is used.
  if (coupon->member_id().empty()) {
    return CouponRefused(
        loyalty::v1::ERROR_REASON_COUPON_BEARER_NOT_RESERVABLE,
        "code: a bearer code is used at once (RedeemCoupon, or on the "
        "order's Earn); only a member's own coupon can be reserved");
  }
  LEDGER_ASSIGN_OR_RETURN(std::string owner,
                          ResolveMemberId(coupon->member_id(), batch));
  if (owner != request.member_id()) return CouponNotFound();

  const loyalty::v1::CouponTemplate* coupon_template =
      FindCouponTemplate(rules.program, coupon->template_id());
  const int64_t now_ms = batch.now_ms();
  LEDGER_RETURN_IF_ERROR(CheckCouponRedeemable(*coupon, coupon_template, now_ms,
                                               request.context()));
  if (member->coupon_reservations_size() >= HoldsPerMemberMax(rules.program)) {
    return WithReason(
        absl::FailedPreconditionError(absl::StrCat(
            "this member already has ", member->coupon_reservations_size(),
            " open coupon reservations, the program's most "
            "(holds_per_member_max); commit or release one")),
        loyalty::v1::ERROR_REASON_TOO_MANY_COUPON_RESERVATIONS);
  }

  LedgerEntry entry =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_COUPON_RESERVE, request.member_id());
  entry.set_order_id(request.order_id());
  loyalty::v1::CouponReserved* reserved = entry.mutable_coupon_reserved();
  reserved->set_code(request.code());
  reserved->set_template_id(coupon->template_id());
  reserved->set_reservation_id(
      CouponReservationIdOf(batch.head().last_sequence() + 1));
  // Timeouts run on the server's clock, as holds' do.
  reserved->set_expires_at_ms(now_ms + request.timeout_ms());
  LedgerEntry appended = batch.Append(std::move(entry), member);
  // Invariant: the checks above are the fold's.
  LEDGER_CHECK(fold::FoldCouponEntry(appended, coupon, nullptr, nullptr).ok());
  batch.StageRecord(Family::kCoupons, coupon_key);

  loyalty::v1::ReserveCouponResponse response;
  response.set_reservation_id(appended.coupon_reserved().reservation_id());
  response.set_expires_at_ms(appended.coupon_reserved().expires_at_ms());
  *response.mutable_coupon() = CouponView(*coupon, coupon_template, now_ms);
  *response.mutable_entry() = std::move(appended);
  command.response = std::move(response);
  return absl::OkStatus();
}

absl::Status CommitCouponCommand::Prepare(const Rules& rules, int64_t now_ms,
                                          Request& request,
                                          Prepared& prepared) {
  return ValidateSettleCouponReservation(request, now_ms);
}

absl::Status CommitCouponCommand::Decide(const Rules& rules, Batch& batch,
                                         Queued<CommitCouponCommand>& command) {
  return DecideSettleCouponReservation(rules, batch, command.principal,
                                       command.request, /*commit=*/true,
                                       &command.response);
}

absl::Status ReleaseCouponCommand::Prepare(const Rules& rules, int64_t now_ms,
                                           Request& request,
                                           Prepared& prepared) {
  return ValidateSettleCouponReservation(request, now_ms);
}

absl::Status ReleaseCouponCommand::Decide(
    const Rules& rules, Batch& batch, Queued<ReleaseCouponCommand>& command) {
  return DecideSettleCouponReservation(rules, batch, command.principal,
                                       command.request, /*commit=*/false,
                                       &command.response);
}

}  // namespace loyalty
