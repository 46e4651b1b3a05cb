// File: tests/crash/return_check.h
//
// What the crash tests check about returns (the Return RPC) after loyaltyd
// restarts, against the members' statements.
//
// ReturnCheck keeps, across cycles, what the answers said (Learn) and what
// the statements hold (Check reads each member's new entries once, newest
// first down to where the last check stopped, and first confirms that the
// entry it stopped at is still there with the same hash). It checks:
//   - an OK answer agrees with itself: a RETURN entry of the request's
//     member and order, points_reversed = its pending_reversed_points plus
//     -points_delta, points_forgiven = its forgiven_points, and a RESTORE
//     entry of the order exactly when points_restored > 0;
//   - every acknowledged RETURN and RESTORE entry is in the statement with
//     the acknowledged sequence and hash, and every RETURN or RESTORE in the
//     statement is one an answer acknowledged (every request of a cycle has
//     a definite answer when Learn runs);
//   - per order, in statement order: a RETURN follows the order's EARN (and
//     names its sequence as lot_sequence); the points it reverses and
//     forgives add up, over the order's returns, to exactly
//     floor(EARN points x eligible value returned so far / eligible spend)
//     (orders.h), so never to more than the order earned; RESTOREs add up
//     to no more than was redeemed on the order;
//   - an entry with negative available_after_points has exactly that much
//     debt_after_points, and never less than the program's floor;
//   - an ORDER_NOT_FOUND answer names an order with no EARN in the
//     statement.
#ifndef LOYALTY_TESTS_CRASH_RETURN_CHECK_H_
#define LOYALTY_TESTS_CRASH_RETURN_CHECK_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/crash/ledger_client.h"
#include "tests/crash/recheck.h"
#include "tests/crash/workload.h"

namespace loyalty::crash {

// Totals over the run, for the summary line.
struct ReturnCounts {
  uint64_t acknowledged_ok = 0;
  uint64_t order_not_found = 0;   // ORDER_NOT_FOUND answers.
  uint64_t exceeds = 0;           // RETURN_EXCEEDS_ORDER answers.
  uint64_t restores_acknowledged = 0;
  uint64_t returns_seen = 0;      // RETURN entries in the statements.
  uint64_t orders_fully_returned = 0;
  int64_t points_reversed = 0;    // Over RETURN entries in the statements.
  int64_t points_forgiven = 0;
  int64_t points_restored = 0;
  uint64_t entries_in_debt = 0;   // Entries with debt_after_points > 0.
};

class ReturnCheck {
 public:
  explicit ReturnCheck(int64_t negative_floor_points)
      : floor_(negative_floor_points) {}

  // Takes in every Return of `requests` that has a definite answer (call
  // after SettleInDoubt), and checks each OK answer on its own.
  void Learn(const std::vector<SentRequest>& requests, Failures* failures);

  // Reads the new entries of every member a Return named and checks them
  // against what Learn took in.
  void Check(LedgerClient& client, Failures* failures);

  const ReturnCounts& counts() const { return counts_; }

 private:
  struct Order {
    uint64_t earn_sequence = 0;  // 0: no EARN seen.
    int64_t points = 0;
    int64_t eligible_spend = 0;
    int64_t eligible_returned = 0;
    int64_t due_back = 0;        // Reversed plus forgiven.
    int64_t redeemed = 0;
    int64_t restored = 0;
  };
  struct Statement {
    uint64_t scanned_through = 0;
    std::string scanned_hash;
    std::map<std::string, Order> orders;  // By order id.
    std::map<uint64_t, std::string> returns;  // RETURN/RESTORE seq -> hash.
  };
  struct Acknowledged {
    std::map<uint64_t, loyalty::v1::LedgerEntry> entries;  // By sequence.
    std::set<std::string> order_not_found;                 // Order ids.
  };

  void CheckMember(LedgerClient& client, const std::string& member_id,
                   Failures* failures);
  void Fold(const std::string& member_id, const loyalty::v1::LedgerEntry& entry,
            Statement* statement, Failures* failures);

  const int64_t floor_;
  std::set<std::string> members_;
  std::map<std::string, Statement> statements_;
  std::map<std::string, Acknowledged> acknowledged_;
  ReturnCounts counts_;
};

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_RETURN_CHECK_H_
