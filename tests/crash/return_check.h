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
//     debt_after_points, and never less than the program's floor (per
//     member merged in: a merge nets two members' debts);
//   - an ORDER_NOT_FOUND answer names an order that no member the named id
//     led to had earned;
//   - merges (merge_check.h): at a MERGE_IN the source's orders move to the
//     target (its statement up to its MERGE_OUT says what they earned, and
//     what was returned, redeemed and restored on them), where later
//     returns and redeems naming the source or the target go on with them;
//     the two never both have an EARN of one order id (ORDER_ID_CONFLICT).
#ifndef LOYALTY_TESTS_CRASH_RETURN_CHECK_H_
#define LOYALTY_TESTS_CRASH_RETURN_CHECK_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/crash/check_support.h"
#include "tests/crash/ledger_client.h"
#include "tests/crash/merge_check.h"
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

  // Reads the new entries of every member a Return named (and of the
  // member each leads to in `graph`) and checks them against what Learn
  // took in.
  void Check(LedgerClient& client, const AliasGraph& graph,
             Failures* failures);

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
    StatementCursor cursor;
    std::map<std::string, Order> orders;  // By order id.
    // Members merged into it (directly or through others): each may bring
    // debt down to the floor.
    int64_t members_merged = 0;
  };
  // An ORDER_NOT_FOUND answer.
  struct NotFound {
    std::string request_name;
    std::string member_id;  // As named.
    std::string order_id;
  };
  // An EARN in a statement.
  struct Earned {
    std::string member_id;
    uint64_t sequence = 0;
  };

  // Reads and folds the new entries of `member_id` (and, at a MERGE_IN,
  // first those of its source).
  void ReadNew(LedgerClient& client, const std::string& member_id,
               Failures* failures);
  void Fold(LedgerClient& client, const std::string& member_id,
            const loyalty::v1::LedgerEntry& entry, Statement* statement,
            Failures* failures);
  void FoldOrderEntry(const std::string& where, const std::string& member_id,
                      const loyalty::v1::LedgerEntry& entry,
                      Statement* statement, Failures* failures);
  void FoldMergeIn(LedgerClient& client, const std::string& where,
                   const loyalty::v1::LedgerEntry& entry, Statement* statement,
                   Failures* failures);
  void CheckNotFound(const AliasGraph& graph, Failures* failures);

  const int64_t floor_;
  std::set<std::string> members_;
  std::map<std::string, Statement> statements_;
  // By member: its acknowledged RETURN and RESTORE entries, and those its
  // statement shows.
  std::map<std::string, AcknowledgedEntries> acknowledged_;
  std::vector<NotFound> not_found_;
  std::map<std::string, std::vector<Earned>> earned_;  // By order id.
  ReturnCounts counts_;
};

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_RETURN_CHECK_H_
