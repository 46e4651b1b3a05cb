// File: tests/crash/voucher_check.h
//
// What the crash tests check about vouchers after loyaltyd restarts, with
// every answer of the run definite (after SettleInDoubt): tills race for a
// voucher's last units and friends for one gift claim code across kill -9,
// and
//   - every voucher an OK IssueVoucher, TransferVoucherUnits (the received
//     one) or ClaimVoucherGift (the claimer's) acknowledged exists
//     (GetVoucher) with that owner and its units bought;
//   - its units are conserved and exactly the acknowledged answers: units
//     redeemed, transferred out, gifted (pending + claimed) and refunded
//     are the sums of the OK answers naming it (no acknowledged pickup
//     lost, none applied that no answer acknowledged), the units claimed
//     are the OK claims of its gifts, none expired (the product outlives
//     the run), and units_bought = redeemed + transferred out + gifted +
//     refunded + expired + left, never below zero;
//   - a VOUCHER_UNITS_TOO_FEW answer means fewer units were left then than
//     asked: the voucher ended with fewer left than that request asked;
//   - a claim code is claimed by at most one OK answer;
//   - the owner naming its own voucher is never told VOUCHER_NOT_FOUND.
//   - every acknowledged voucher is listed once in its owner's wallet
//     (ListWallet, usable or not, every page).
//
//   VoucherCheck vouchers;
//   ... after SettleInDoubt: vouchers.Learn(requests, &failures);
//   vouchers.Check(client, &failures);
#ifndef LOYALTY_TESTS_CRASH_VOUCHER_CHECK_H_
#define LOYALTY_TESTS_CRASH_VOUCHER_CHECK_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/crash/ledger_client.h"
#include "tests/crash/recheck.h"
#include "tests/crash/workload.h"

namespace loyalty::crash {

struct VoucherCounts {
  uint64_t vouchers = 0;       // Known vouchers (issued, received, claimed).
  uint64_t pickups = 0;        // OK RedeemVoucherUnits answers.
  uint64_t transfers = 0;      // OK TransferVoucherUnits answers.
  uint64_t gifts = 0;          // OK GiftVoucherUnits answers.
  uint64_t claims = 0;         // OK ClaimVoucherGift answers.
  uint64_t refunds = 0;        // OK RefundVoucherUnits answers.
  uint64_t too_few = 0;        // VOUCHER_UNITS_TOO_FEW answers.
  uint64_t not_claimable = 0;  // VOUCHER_GIFT_NOT_CLAIMABLE answers.
  uint64_t used_up = 0;        // Vouchers with no units left, last check.
};

class VoucherCheck {
 public:
  // Takes in every voucher request of `requests` (each with a definite
  // answer), across cycles.
  void Learn(const std::vector<SentRequest>& requests, Failures* failures);
  // Reads every known voucher and compares it with the answers.
  void Check(LedgerClient& client, Failures* failures);
  const VoucherCounts& counts() const { return counts_; }

 private:
  struct Known {
    std::string name;  // The request that made it, for messages.
    std::string printed_code;
    std::string member_id;
    int64_t units_bought = 0;
    int64_t redeemed = 0;
    int64_t transferred = 0;
    int64_t gifted = 0;
    int64_t claimed = 0;  // Of its gifts.
    int64_t refunded = 0;
    // The fewest units a VOUCHER_UNITS_TOO_FEW answer asked for (0: none).
    int64_t too_few_asked_min = 0;
  };
  struct Gift {
    std::string voucher_key;
    int64_t units = 0;
    int ok_claims = 0;
  };
  void LearnCreated(const SentRequest& request, Failures* failures);
  void LearnTaken(const SentRequest& request, Failures* failures);
  void Create(const SentRequest& request, const loyalty::v1::Voucher& voucher,
              Failures* failures);

  std::map<std::string, Known> vouchers_;  // By canonical code.
  std::map<std::string, Gift> gifts_;      // By canonical claim code.
  VoucherCounts counts_;
};

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_VOUCHER_CHECK_H_
