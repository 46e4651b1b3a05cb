// File: tests/crash/rule_coupon_check.h
//
// What the crash tests check about coupons issued by program rules after
// loyaltyd restarts, with every answer of the run definite (after
// SettleInDoubt). The test program's spend bonus (test_program.h) gives an
// EUR order that paid kRuleCouponSpendMinor or more one coupon:
//   - every OK Earn answer lists exactly that coupon when its order reached
//     the bonus, and none otherwise; no code is listed by two answers;
//   - in the earner's statement, each acknowledged Earn that reached it is
//     followed at once (its EARN's sequence + 1) by exactly one COUPON_ISSUE
//     of that rule under the Earn's request id, with the answered code; no
//     COUPON_ISSUE of the rule belongs to any other request or appears
//     twice (however often the Earn was re-sent across kill -9);
//   - GetCoupon shows each such coupon with its owner, template and rule.
//
//   RuleCouponCheck rule_coupons;
//   ... after SettleInDoubt: rule_coupons.Learn(requests, &failures);
//   rule_coupons.Check(client, &failures);
#ifndef LOYALTY_TESTS_CRASH_RULE_COUPON_CHECK_H_
#define LOYALTY_TESTS_CRASH_RULE_COUPON_CHECK_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/crash/check_support.h"
#include "tests/crash/ledger_client.h"
#include "tests/crash/recheck.h"
#include "tests/crash/workload.h"

namespace loyalty::crash {

struct RuleCouponCounts {
  uint64_t earns_reaching = 0;  // OK Earns whose order reached the bonus.
  uint64_t issues_seen = 0;     // Their COUPON_ISSUEs read in statements.
};

class RuleCouponCheck {
 public:
  // Takes in every Earn of `requests` (each with a definite answer).
  void Learn(const std::vector<SentRequest>& requests, Failures* failures);
  // Reads the new entries of every member an OK Earn named and every rule
  // coupon acknowledged, and compares them with the answers.
  void Check(LedgerClient& client, Failures* failures);
  const RuleCouponCounts& counts() const { return counts_; }

 private:
  struct Reached {
    std::string name;          // The Earn, for messages.
    std::string printed_code;  // As its answer lists it.
    uint64_t earn_sequence = 0;
    int issues_seen = 0;  // COUPON_ISSUEs of the rule under its id.
  };
  // By (member id, request id): the member of the EARN.
  std::map<std::pair<std::string, std::string>, Reached> reached_;
  std::set<std::string> codes_;  // Canonical, of every answer.
  std::map<std::string, StatementCursor> statements_;  // By member id.
  RuleCouponCounts counts_;
};

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_RULE_COUPON_CHECK_H_
