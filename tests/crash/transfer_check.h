// File: tests/crash/transfer_check.h
//
// What the crash tests check about TransferPoints after loyaltyd restarts,
// against the statements and balances of every member a transfer named.
//
// TransferCheck keeps, across cycles, what the answers said (Learn) and what
// the statements hold (Check reads each member's new entries once, oldest
// first from where the last check stopped, after confirming that entry is
// still there with the same hash). It checks:
//   - an OK answer agrees with itself: a TRANSFER_OUT of the request's
//     points on the sender naming the receiver, then the TRANSFER_IN on the
//     receiver naming the sender at the next sequence, both with the same
//     transferred_lots adding up to the points;
//   - every acknowledged TRANSFER_OUT and TRANSFER_IN is in its member's
//     statement with the acknowledged sequence and hash, and every one in a
//     statement is one an answer acknowledged;
//   - pairs: the TRANSFER_OUT at sequence n has its TRANSFER_IN at n + 1 on
//     the member it names, with the opposite points and the same lots
//     (soonest expiry first, never-expiring last); no TRANSFER_IN or
//     TRANSFER_OUT exists without the other half;
//   - conservation: every entry changes its member's available points by
//     exactly its own points_delta when it moves the available bucket (and
//     not at all otherwise), so the members' summed available points change
//     only by the non-transfer entries: the sum of what transfer entries
//     changed is 0;
//   - limits: no transfer moves more than kTransferPointsPerTransferMax, no
//   sender
//     gives more than kTransferPointsPerDayMax on one day (transfer_day, the
//     day in the program's time zone at recorded_at_ms), and a
//     TRANSFER_LIMIT_REACHED answer asked for more than one of them allowed;
//   - balances: transferred_out_points_total and
//     transferred_in_points_total of each member are the sums of its
//     statement's transfers (and at each MERGE_IN, of the source's totals),
//     and over all members the transfers given and received are equal;
//   - merges (merge_check.h): the target's totals and per-day giving take
//     in the source's at the MERGE_IN (limits count what the person gave
//     under either id), and a transfer naming an alias gives from, or to,
//     the member it leads to.
// Transfers happen only between members some transfer request named (or
// the members they lead to), so reading those members sees every transfer.
#ifndef LOYALTY_TESTS_CRASH_TRANSFER_CHECK_H_
#define LOYALTY_TESTS_CRASH_TRANSFER_CHECK_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/crash/check_support.h"
#include "tests/crash/ledger_client.h"
#include "tests/crash/merge_check.h"
#include "tests/crash/recheck.h"
#include "tests/crash/workload.h"

namespace loyalty::crash {

// Totals over the run, for the summary line.
struct TransferCounts {
  uint64_t acknowledged_ok = 0;
  uint64_t limit_reached = 0;     // TRANSFER_LIMIT_REACHED answers.
  uint64_t insufficient = 0;      // INSUFFICIENT_POINTS answers.
  uint64_t member_not_found = 0;  // MEMBER_NOT_FOUND answers.
  uint64_t member_closed = 0;     // MEMBER_CLOSED answers.
  uint64_t pairs_seen = 0;        // OUT+IN pairs in the statements.
  uint64_t multi_lot_pairs = 0;   // Of those, moving lots of 2+ expiries.
  int64_t points_moved = 0;
  uint64_t entries_folded = 0;   // Entries checked for conservation.
  int64_t given_on_day_max = 0;  // The most one sender gave on one day.
};

class TransferCheck {
 public:
  // Takes in every TransferPoints of `requests` that has a definite answer
  // (call after SettleInDoubt), and checks each OK answer on its own.
  void Learn(const std::vector<SentRequest>& requests, Failures* failures);

  // Reads the new entries and the balance of every member a transfer named
  // (and of the member each leads to in `graph`) and checks them against
  // what Learn took in.
  void Check(LedgerClient& client, const AliasGraph& graph,
             Failures* failures);

  const TransferCounts& counts() const { return counts_; }

 private:
  // What the statement of one member showed so far.
  struct Statement {
    StatementCursor cursor;
    int64_t available_after = 0;                   // Of the newest entry read.
    int64_t out_points = 0;                        // Sum of its TRANSFER_OUTs.
    int64_t in_points = 0;                         // Sum of its TRANSFER_INs.
    // What its MERGE_INs brought: the sources' totals.
    int64_t merged_out_points = 0;
    int64_t merged_in_points = 0;
    // transfer_day -> points given, its own and what merges brought.
    std::map<int64_t, int64_t> out_points_by_day;
  };
  // A TRANSFER_LIMIT_REACHED answer, checked once the statements are read.
  struct LimitAnswer {
    std::string request_name;
    std::string from_member_id;
    int64_t points = 0;
    int64_t day = 0;  // The program's day when the answer came.
  };

  void LearnOk(const SentRequest& request,
               const loyalty::v1::TransferPointsRequest& sent,
               Failures* failures);
  // Reads and folds the new entries of `member_id` (and, at a MERGE_IN,
  // first those of its source).
  void ReadNew(LedgerClient& client, const std::string& member_id,
               Failures* failures);
  void CheckBalance(LedgerClient& client, const std::string& member_id,
                    Failures* failures);
  void Fold(LedgerClient& client, const std::string& member_id,
            const loyalty::v1::LedgerEntry& entry, Statement* statement,
            Failures* failures);
  void FoldMergeIn(LedgerClient& client, const std::string& where,
                   const loyalty::v1::LedgerEntry& entry, Statement* statement,
                   Failures* failures);
  void FoldTransfer(const std::string& where,
                    const loyalty::v1::LedgerEntry& entry, Statement* statement,
                    Failures* failures);
  // Pairs up the transfer entries read by this check; any left without
  // its other half is a failure.
  void CheckPairs(Failures* failures);
  void CountPair(const loyalty::v1::LedgerEntry& out);
  void CheckLimitAnswers(const AliasGraph& graph, Failures* failures);
  int64_t DayOf(int64_t unix_ms) const;

  absl::TimeZone time_zone_ = ProgramTimeZone();
  // Named by a transfer of a member that exists.
  std::set<std::string> members_;
  std::map<std::string, Statement> statements_;
  // Every acknowledged transfer entry, and every one seen in a statement.
  AcknowledgedEntries acknowledged_;
  // Transfer entries this check read whose other half it has not paired.
  EntryPairs unpaired_{kTransferPair};
  std::vector<LimitAnswer> limit_answers_;
  // Conservation: what transfer and other entries changed in available.
  int64_t transfer_available_change_ = 0;
  TransferCounts counts_;
};

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_TRANSFER_CHECK_H_
