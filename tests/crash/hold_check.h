// File: tests/crash/hold_check.h
//
// What the crash tests check about two-phase redemption after loyaltyd
// restarts: every hold the run got acknowledged, and every capture and
// release, against the members' statements and balances.
//
// HoldCheck keeps, across cycles, what the answers said (Learn) and what
// the statements hold (Check reads each member's new entries once, newest
// first down to where the last check stopped, and first confirms that the
// entry it stopped at is still there with the same hash). It checks:
//   - every acknowledged HOLD entry exists with its hold id ("H" and its
//     sequence), its points and its expiry, 1-3 s after it was recorded;
//   - an acknowledged capture or release closed that hold with exactly the
//     acknowledged entry; no hold is closed twice (so never both captured
//     and released), and only by the member that has it;
//   - merges (merge_check.h): a MERGE_OUT gives away exactly the source's
//     open holds (merged_held_points is their sum) and the MERGE_IN right
//     after it brings them to the target, where they keep their ids and
//     expiry: a capture or release naming the source or the target closes
//     them there, and so does the timeout;
//   - a hold closed other than by an acknowledged capture or release was
//     released by its timeout: a RELEASE by principal "system" with
//     hold_timed_out, at its expiry; no capture or release by request is
//     recorded at or after the hold's expiry;
//   - a hold not closed is still open, and not more than the grace past its
//     expiry (the sweep writes timeouts of untouched members);
//   - a HOLD_NOT_ACTIVE answer names a closed hold of that member (or of
//     the member it was merged into, or merged into it), a HOLD_NOT_FOUND
//     answer an id that is no hold of that member (the hold was made
//     before the request, by a member the named id did not lead to then);
//   - pending points (an earn of an order younger than the program's
//     return window): each pending EARN is a lot that a RETURN of its order
//     may take from and that matures whole, once, by a MATURE by "system"
//     at its matures_at_ms; merges move the open lots as they move holds
//     (merged_pending_points is their sum);
//   - every entry's held_after_points is the sum of the open holds and its
//     pending_after_points that of the pending lots, and the balance (as of
//     its as_of_ms, so with holds past their expiry already counted as
//     released and lots past their maturity as matured) has held_points =
//     the open holds not yet expired, pending_points = the lots not yet
//     matured and available_points = the newest entry's
//     available_after_points plus the expired holds and matured lots, and
//     entry_count = the entries up to its last_sequence (the balances of
//     aliases are their members');
//   - entries in a given sequence window (the re-sends of acknowledged
//     requests) are timeout RELEASEs and MATUREs only: re-sends write
//     nothing, the sweep may.
//
//   HoldCheck holds;
//   ... after SettleInDoubt: holds.Learn(requests, &failures);
//   HoldWindow window{before, after};
//   holds.Check(client, merges.graph(), &window, grace, &failures);
#ifndef LOYALTY_TESTS_CRASH_HOLD_CHECK_H_
#define LOYALTY_TESTS_CRASH_HOLD_CHECK_H_

#include <cstdint>
#include <map>
#include <optional>
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

// Entries with sequence in (after, through] must all be time-driven
// entries the sweep writes (timeout RELEASEs, MATUREs); Check counts them
// into `time_driven`.
struct HoldWindow {
  uint64_t after = 0;
  uint64_t through = 0;
  uint64_t time_driven = 0;
};

// Totals over the run, for the summary line.
struct HoldCounts {
  uint64_t holds_acknowledged = 0;
  uint64_t captures_acknowledged = 0;
  uint64_t releases_acknowledged = 0;
  uint64_t not_active = 0;      // HOLD_NOT_ACTIVE answers.
  uint64_t not_found = 0;       // HOLD_NOT_FOUND answers.
  uint64_t too_many = 0;        // TOO_MANY_HOLDS answers.
  uint64_t holds_seen = 0;      // HOLD entries in the statements.
  uint64_t timed_out = 0;       // Timeout RELEASE entries.
  uint64_t timed_out_while_loaded = 0;  // Of those, recorded during a load.
  uint64_t open_last_check = 0;
  uint64_t pending_lots_seen = 0;  // Pending EARNs in the statements.
  uint64_t matured = 0;            // MATURE entries.
  uint64_t pending_last_check = 0;  // Lots still pending at the last check.
};

class HoldCheck {
 public:
  // Takes in every hold, capture and release of `requests` that has a
  // definite answer (call after SettleInDoubt), and checks each OK answer
  // on its own (its entry's kind, hold id); and the members of pending
  // earns, to read them too.
  void Learn(const std::vector<SentRequest>& requests, Failures* failures);

  // Reads the new entries and the balance of every member a hold, capture
  // or release of the run named (and of the member each id leads to in
  // `graph`), and checks them against what Learn took in. A hold still
  // open more than `grace` after its expiry is a failure. Timeout RELEASEs
  // recorded inside `load` count as written while loaded.
  void Check(LedgerClient& client, const AliasGraph& graph, HoldWindow* window,
             absl::Duration grace, Failures* failures);

  // Marks [started, stopped] as a time the load ran.
  void AddLoadPeriod(absl::Time started, absl::Time stopped);

  // The latest expiry of any hold and maturity of any pending lot seen, in
  // Unix ms (0: none).
  int64_t due_at_ms_max() const { return due_at_ms_max_; }
  const HoldCounts& counts() const { return counts_; }

 private:
  // A hold as the statements show it. Hold ids are unique in the ledger.
  struct Hold {
    std::string origin;      // The member of its HOLD entry.
    std::string member_id;   // The member that has it (merges move it).
    uint64_t sequence = 0;   // Of the HOLD entry.
    uint64_t arrived = 0;    // Its HOLD, or the MERGE_IN that brought it.
    std::string hash;
    int64_t points = 0;
    int64_t expires_at_ms = 0;
    uint64_t close_sequence = 0;  // 0 while open.
    loyalty::v1::EntryKind close_kind = loyalty::v1::ENTRY_KIND_UNSPECIFIED;
    bool timed_out = false;
  };
  // A pending EARN's lot. Lots are named by their EARN's sequence.
  struct PendingLot {
    std::string member_id;   // The member that has it (merges move it).
    uint64_t arrived = 0;    // Its EARN, or the MERGE_IN that brought it.
    int64_t points = 0;      // Left after returns (what matured).
    int64_t matures_at_ms = 0;
    uint64_t close_sequence = 0;  // Its MATURE (or the RETURN that took
                                  // all); 0 while pending.
  };
  // What the statement of one member showed so far.
  struct Statement {
    uint64_t entry_count = 0;      // Entries read.
    StatementCursor cursor;
    int64_t available_after = 0;   // Of the newest entry read.
    int64_t held = 0;              // Points of the open holds.
    std::set<std::string> open;    // Its open holds.
    std::set<std::string> holds;   // Every hold it ever had.
    std::set<std::string> moved_out;  // Open at its MERGE_OUT.
    int64_t pending = 0;              // Points of the pending lots.
    std::set<uint64_t> pending_lots;  // Its pending lots.
    std::set<uint64_t> lots;          // Every pending lot it ever had.
    std::set<uint64_t> lots_moved_out;  // Pending at its MERGE_OUT.
  };
  // What answers said about the holds of one member (the member of the
  // answer's entry).
  struct Acknowledged {
    std::map<std::string, loyalty::v1::LedgerEntry> holds;   // By hold id.
    std::map<std::string, loyalty::v1::LedgerEntry> closes;  // By hold id.
    std::set<uint64_t> close_sequences;
  };
  // A HOLD_NOT_ACTIVE or HOLD_NOT_FOUND answer.
  struct Refusal {
    std::string request_name;
    std::string member_id;  // As named.
    std::string hold_id;
  };

  void LearnOk(const SentRequest& request, Failures* failures);
  void CheckMember(LedgerClient& client, const AliasGraph& graph,
                   const std::string& member_id, HoldWindow* window,
                   Failures* failures);
  // Reads and folds the new entries of `member_id` (and, at a MERGE_IN,
  // first those of its source); nullopt after a failure.
  std::optional<std::vector<loyalty::v1::LedgerEntry>> ReadNew(
      LedgerClient& client, const std::string& member_id, HoldWindow* window,
      int32_t first_page_size, Failures* failures);
  // Folds one new entry (ascending order) into `statement`.
  void Fold(LedgerClient& client, const std::string& member_id,
            const loyalty::v1::LedgerEntry& entry, Statement* statement,
            HoldWindow* window, Failures* failures);
  void FoldClose(const std::string& where, const std::string& member_id,
                 const loyalty::v1::LedgerEntry& entry, Statement* statement,
                 Failures* failures);
  // A pending EARN, a RETURN taking from a pending lot, or a MATURE.
  void FoldPending(const std::string& where, const std::string& member_id,
                   const loyalty::v1::LedgerEntry& entry, Statement* statement,
                   Failures* failures);
  void FoldMergeIn(LedgerClient& client, const std::string& where,
                   const std::string& member_id,
                   const loyalty::v1::LedgerEntry& entry, Statement* statement,
                   HoldWindow* window, Failures* failures);
  void CheckAcknowledged(const std::string& member_id, Failures* failures);
  void CheckRefusals(const AliasGraph& graph, Failures* failures);
  bool WhileLoaded(int64_t recorded_at_ms) const;

  // Named by any hold, capture or release, or with a pending earn.
  std::set<std::string> members_;
  std::map<std::string, Hold> holds_;  // By hold id.
  std::map<uint64_t, PendingLot> pending_lots_;  // By EARN sequence.
  std::map<std::string, Statement> statements_;
  std::map<std::string, Acknowledged> acknowledged_;
  std::vector<Refusal> not_active_;
  std::vector<Refusal> not_found_;
  std::vector<std::pair<int64_t, int64_t>> load_periods_ms_;
  int64_t due_at_ms_max_ = 0;
  HoldCounts counts_;
};

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_HOLD_CHECK_H_
