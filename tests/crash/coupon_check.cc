#include "tests/crash/coupon_check.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/crash/check_support.h"

namespace loyalty::crash {
void CouponCheck::AddBearer(const std::string& printed_code,
                            const std::string& template_id,
                            int32_t uses_allowed) {
  const std::string key = CanonicalCode(printed_code);
  if (coupons_.count(key) > 0) return;
  coupons_[key] =
      Issued{"a generated code", printed_code, "", template_id, uses_allowed};
}

void CouponCheck::Learn(const std::vector<SentRequest>& requests,
                        Failures* failures) {
  // Issues first: a redemption in this batch of answers may name a code
  // whose issue comes later in the list (another client's).
  for (const SentRequest& request : requests) {
    if (request.method != Method::kIssueCoupon ||
        request.outcome.code != grpc::StatusCode::OK) {
      continue;
    }
    loyalty::v1::IssueCouponResponse response;
    if (!response.ParseFromString(request.outcome.response)) {
      failures->push_back(
          absl::StrCat(RequestName(request), ": the answer does not decode"));
      continue;
    }
    const loyalty::v1::Coupon& coupon = response.coupon();
    const std::string key = CanonicalCode(coupon.code());
    if (coupons_.count(key) > 0) {
      failures->push_back(absl::StrCat(RequestName(request), ": code ",
                                       coupon.code(),
                                       " was issued to an earlier request too"));
      continue;
    }
    coupons_[key] = Issued{RequestName(request), coupon.code(),
                           coupon.member_id(), coupon.template_id(),
                           coupon.uses_allowed()};
    ++counts_.issued;
  }
  // Reservations next: a commit in this batch may name one made later in
  // the list.
  for (const SentRequest& request : requests) {
    if (request.method != Method::kReserveCoupon ||
        request.outcome.code != grpc::StatusCode::OK) {
      continue;
    }
    loyalty::v1::ReserveCouponResponse response;
    if (!response.ParseFromString(request.outcome.response)) {
      failures->push_back(
          absl::StrCat(RequestName(request), ": the answer does not decode"));
      continue;
    }
    const std::string code = CanonicalCode(response.coupon().code());
    if (reservations_.count(response.reservation_id()) > 0) {
      failures->push_back(absl::StrCat(RequestName(request), ": reservation ",
                                       response.reservation_id(),
                                       " was acknowledged to another request "
                                       "too"));
      continue;
    }
    reservations_[response.reservation_id()] =
        Reservation{RequestName(request), code, response.expires_at_ms()};
    auto known = coupons_.find(code);
    if (known != coupons_.end()) known->second.reserved = true;
    ++counts_.reservations;
  }
  for (const SentRequest& request : requests) {
    if (request.method != Method::kCommitCoupon &&
        request.method != Method::kReleaseCoupon) {
      continue;
    }
    loyalty::v1::SettleCouponReservationRequest sent;
    sent.ParseFromString(request.request);
    auto reservation = reservations_.find(sent.reservation_id());
    if (reservation == reservations_.end()) continue;  // No longer known.
    Reservation& known = reservation->second;
    const bool commit = request.method == Method::kCommitCoupon;
    if (request.outcome.code == grpc::StatusCode::OK) {
      // One answer per request (a re-sent one that had applied answers as
      // a replay): two OK answers for one reservation are two requests.
      if (known.committed || known.released) {
        failures->push_back(absl::StrCat(
            RequestName(request), ": reservation ", sent.reservation_id(),
            " of ", known.name, " was ended a second time"));
      }
      (commit ? known.committed : known.released) = true;
      (commit ? counts_.commits : counts_.releases) += 1;
      if (commit) {
        auto coupon = coupons_.find(known.code);
        if (coupon != coupons_.end()) ++coupon->second.ok_uses;
        ++counts_.uses;
      }
    } else if (request.outcome.reason == reason::kCouponReservationNotActive) {
      known.refused_not_active = true;
    }
  }
  for (const SentRequest& request : requests) {
    // A use: RedeemCoupon, or an Earn with the code (whose EARN and
    // COUPON_REDEEM are one batch: both or neither).
    std::string member_id;
    std::string code;
    if (request.method == Method::kRedeemCoupon) {
      loyalty::v1::RedeemCouponRequest sent;
      sent.ParseFromString(request.request);
      member_id = sent.member_id();
      code = sent.code();
    } else if (request.method == Method::kEarn) {
      loyalty::v1::EarnRequest sent;
      sent.ParseFromString(request.request);
      if (sent.coupon_codes_size() == 0) continue;
      member_id = sent.member_id();
      code = sent.coupon_codes(0);
    } else if (request.method == Method::kReturn &&
               request.outcome.code == grpc::StatusCode::OK) {
      // A whole return gives uses back by the template's return policy.
      loyalty::v1::ReturnResponse response;
      response.ParseFromString(request.outcome.response);
      for (const loyalty::v1::LedgerEntry& entry : response.entries()) {
        if (entry.kind() != loyalty::v1::ENTRY_KIND_COUPON_RESTORE) continue;
        auto known = coupons_.find(entry.coupon_restored().code());
        if (known == coupons_.end()) continue;
        ++known->second.restores;
        ++counts_.restores;
      }
      continue;
    } else {
      continue;
    }
    const bool at_checkout = request.method == Method::kEarn;
    auto known = coupons_.find(CanonicalCode(code));
    if (request.outcome.reason == reason::kCouponNotFound) {
      ++counts_.not_found;
      if (known != coupons_.end() && member_id == known->second.member_id) {
        failures->push_back(absl::StrCat(RequestName(request), ": its owner ",
                                         member_id, " was told coupon ", code,
                                         " does not exist"));
      }
      if (known != coupons_.end() && known->second.member_id.empty()) {
        failures->push_back(absl::StrCat(RequestName(request), ": bearer code ",
                                         code, " was told it does not exist"));
      }
      continue;
    }
    if (known == coupons_.end()) continue;  // Its issue is no longer known.
    if (request.outcome.code == grpc::StatusCode::OK) {
      ++known->second.ok_uses;
      ++counts_.uses;
      counts_.bearer_uses += known->second.member_id.empty();
      counts_.checkout_uses += at_checkout;
    } else if (request.outcome.reason == reason::kCouponUsedUp) {
      known->second.used_up_answered = true;
      ++counts_.used_up;
    }
  }
}

void CouponCheck::Check(LedgerClient& client, Failures* failures) {
  counts_.fully_used = 0;
  counts_.timed_out = 0;
  for (const auto& [id, reservation] : reservations_) {
    counts_.timed_out += reservation.refused_not_active &&
                         !reservation.committed && !reservation.released;
  }
  for (const auto& [key, issued] : coupons_) {
    const std::string& code = issued.printed_code;
    // Read before the coupon: the server's now is no earlier, so at most
    // the reservations open and unexpired now may show as reserved.
    const int64_t now_ms = absl::ToUnixMillis(absl::Now());
    int32_t may_be_reserved = 0;
    for (const auto& [id, reservation] : reservations_) {
      may_be_reserved += reservation.code == key && !reservation.committed &&
                         !reservation.released &&
                         reservation.expires_at_ms > now_ms;
    }
    absl::StatusOr<loyalty::v1::Coupon> coupon = client.GetCoupon(code);
    if (!coupon.ok()) {
      failures->push_back(absl::StrCat("coupon ", code, " of ", issued.name,
                                       ": ", coupon.status().ToString()));
      continue;
    }
    const std::string where = absl::StrCat("coupon ", code, " (", issued.name,
                                           "): ");
    if (coupon->member_id() != issued.member_id ||
        coupon->template_id() != issued.template_id ||
        coupon->uses_allowed() != issued.uses_allowed) {
      failures->push_back(where + "owner, template or uses allowed changed: " +
                          coupon->ShortDebugString());
    }
    if (coupon->uses() > coupon->uses_allowed()) {
      failures->push_back(absl::StrCat(where, "used ", coupon->uses(),
                                       " times of ", coupon->uses_allowed()));
    }
    if (coupon->uses() != issued.ok_uses - issued.restores) {
      failures->push_back(absl::StrCat(
          where, "has ", coupon->uses(), " uses but ", issued.ok_uses,
          " redemptions were acknowledged and ", issued.restores,
          " given back by returns"));
    }
    if (coupon->uses() + coupon->uses_reserved() > coupon->uses_allowed()) {
      failures->push_back(absl::StrCat(where, "used ", coupon->uses(),
                                       " times with ", coupon->uses_reserved(),
                                       " uses reserved, of ",
                                       coupon->uses_allowed()));
    }
    if (coupon->uses_reserved() > may_be_reserved) {
      failures->push_back(absl::StrCat(
          where, coupon->uses_reserved(), " uses show as reserved, but only ",
          may_be_reserved, " acknowledged reservations are open and unexpired"));
    }
    if (issued.used_up_answered && issued.restores == 0 && !issued.reserved &&
        coupon->uses() != coupon->uses_allowed()) {
      failures->push_back(absl::StrCat(
          where, "a redemption was told it is used up, but it has ",
          coupon->uses(), " of ", coupon->uses_allowed(), " uses"));
    }
    counts_.fully_used += coupon->uses() == coupon->uses_allowed();
  }
  // Every acknowledged issued coupon is in its owner's wallet (bearer codes
  // have no owner and are in nobody's).
  GivenCodes given;
  for (const auto& [key, issued] : coupons_) {
    if (issued.member_id.empty()) continue;
    given[issued.member_id].emplace_back(issued.printed_code, issued.name);
  }
  CheckWallets(client, given, failures);
}

}  // namespace loyalty::crash
