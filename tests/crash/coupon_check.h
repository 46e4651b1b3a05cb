// File: tests/crash/coupon_check.h
//
// What the crash tests check about coupons after loyaltyd restarts, with
// every answer of the run definite (after SettleInDoubt): clients race to
// redeem the same codes across kill -9, and
//   - every coupon an OK IssueCoupon acknowledged exists (GetCoupon) with
//     that owner, template and uses allowed;
//   - its uses are exactly the OK RedeemCoupon answers for its code and the
//     OK Earns that named it at checkout (one per request id, however often
//     it was re-sent): no acknowledged use lost, none applied that no answer
//     acknowledged (a refused or lost Earn never leaves its coupon use
//     behind, nor an OK one its EARN without it), less the uses OK returns
//     gave back (COUPON_RESTORE entries in their answers), never more than
//     allowed;
//   - OK CommitCoupon answers are uses too; a reservation is ended once:
//     never both an OK commit and an OK release, and once either (or its
//     timeout) ended it, later commits and releases are refused
//     COUPON_RESERVATION_NOT_ACTIVE; uses + reserved uses never pass the
//     uses allowed, and reservations past their timeout reserve nothing;
//   - a COUPON_USED_UP answer means every use was made or reserved by then:
//     a coupon never reserved has all its uses;
//   - a redemption by a member who is not the owner (nor merged with it)
//     was COUPON_NOT_FOUND.
//   - every acknowledged issued coupon is listed once in its owner's wallet
//     (ListWallet, usable or not, every page).
//
//   CouponCheck coupons;
//   ... after SettleInDoubt: coupons.Learn(requests, &failures);
//   coupons.Check(client, &failures);
#ifndef LOYALTY_TESTS_CRASH_COUPON_CHECK_H_
#define LOYALTY_TESTS_CRASH_COUPON_CHECK_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/crash/ledger_client.h"
#include "tests/crash/recheck.h"
#include "tests/crash/workload.h"

namespace loyalty::crash {

struct CouponCounts {
  uint64_t issued = 0;          // OK IssueCoupon answers.
  uint64_t uses = 0;            // OK RedeemCoupon answers, and OK Earns
  uint64_t checkout_uses = 0;   // with the code (those counted here too).
  uint64_t restores = 0;        // Uses given back by whole returns.
  uint64_t used_up = 0;         // COUPON_USED_UP answers.
  uint64_t not_found = 0;       // COUPON_NOT_FOUND answers.
  uint64_t fully_used = 0;      // Coupons with every use made, last check.
  uint64_t reservations = 0;    // OK ReserveCoupon answers.
  uint64_t commits = 0;         // OK CommitCoupon answers.
  uint64_t releases = 0;        // OK ReleaseCoupon answers.
  // Reservations neither committed nor released by an OK answer whose
  // later commit or release was refused NOT_ACTIVE: ended by the timeout.
  uint64_t timed_out = 0;
  uint64_t bearer_uses = 0;     // OK uses of bearer (generated) codes.
};

class CouponCheck {
 public:
  // Takes in every IssueCoupon and RedeemCoupon of `requests` (each with a
  // definite answer), across cycles.
  void Learn(const std::vector<SentRequest>& requests, Failures* failures);
  // Bulk coupon codes: a generated code (printed) handed to the load for
  // redemptions by any member; its uses are checked like an issued
  // coupon's, and a COUPON_NOT_FOUND for it is a failure.
  void AddBearer(const std::string& printed_code,
                 const std::string& template_id, int32_t uses_allowed);
  // Reads every acknowledged coupon and compares it with the answers.
  void Check(LedgerClient& client, Failures* failures);
  const CouponCounts& counts() const { return counts_; }

 private:
  struct Issued {
    std::string name;  // The request, for messages.
    std::string printed_code;
    std::string member_id;
    std::string template_id;
    int32_t uses_allowed = 0;
    int64_t ok_uses = 0;
    int64_t restores = 0;  // COUPON_RESTOREs of OK returns.
    bool used_up_answered = false;
    bool reserved = false;  // An OK ReserveCoupon named it.
  };
  // What the answers said about one reservation.
  struct Reservation {
    std::string name;  // The ReserveCoupon, for messages.
    std::string code;  // Canonical.
    int64_t expires_at_ms = 0;
    bool committed = false;
    bool released = false;
    bool refused_not_active = false;
  };
  std::map<std::string, Issued> coupons_;  // By canonical code.
  std::map<std::string, Reservation> reservations_;  // By reservation id.
  CouponCounts counts_;
};

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_COUPON_CHECK_H_
