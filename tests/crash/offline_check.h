// File: tests/crash/offline_check.h
//
// What the crash tests check about offline redemptions (Redeem with offline
// set: a till's sale synced late, reconciled by the program's offline rules,
// test_program.h) after loyaltyd restarts. Clients race offline redemptions
// of the same members while loyaltyd is killed; OfflineCheck keeps, across
// cycles, every definite answer (Learn) and checks:
//   - an OK answer agrees with itself: an entry with offline_redemption of
//     the request's points, a REDEEM taking points - written_off (APPLIED:
//     all of them; DEBT: what the floor allowed) or an
//     OFFLINE_REDEEM_REFUSED taking none;
//   - no member's applied offline redemptions of one sale day add up to
//     more than the day's allowance, whatever the kills and races (each
//     acknowledged entry counted once, by its sequence);
//   - the operator's list (ListOfflineReconciliations, every page) holds
//     exactly the acknowledged entries whose outcome is not APPLIED, oldest
//     first: every request of a cycle has a definite answer when Learn runs,
//     so nothing else may be listed and nothing acknowledged missing.
#ifndef LOYALTY_TESTS_CRASH_OFFLINE_CHECK_H_
#define LOYALTY_TESTS_CRASH_OFFLINE_CHECK_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tests/crash/check_support.h"
#include "tests/crash/ledger_client.h"
#include "tests/crash/workload.h"

namespace loyalty::crash {

// Totals over the run, for the summary line.
struct OfflineCounts {
  uint64_t applied = 0;
  uint64_t debt = 0;
  uint64_t refused_over_allowance = 0;
  uint64_t listed = 0;  // Rows the last listing had.
};

class OfflineCheck {
 public:
  explicit OfflineCheck(int64_t allowance_points)
      : allowance_points_(allowance_points) {}

  void Learn(const std::vector<SentRequest>& requests, Failures* failures);
  void Check(LedgerClient& client, Failures* failures);

  const OfflineCounts& counts() const { return counts_; }

 private:
  struct Applied {
    std::string member_id;
    int64_t day = 0;
    int64_t points = 0;
  };
  const int64_t allowance_points_;
  // Acknowledged entries by sequence: applied ones, and those reconciled
  // short (the request that got each).
  std::map<uint64_t, Applied> applied_;
  std::map<uint64_t, std::string> reconciled_;
  OfflineCounts counts_;
};

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_OFFLINE_CHECK_H_
