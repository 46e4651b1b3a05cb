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
//     and released);
//   - a hold closed other than by an acknowledged capture or release was
//     released by its timeout: a RELEASE by principal "system" with
//     hold_timed_out, at its expiry; no capture or release by request is
//     recorded at or after the hold's expiry;
//   - a hold not closed is still open, and not more than the grace past its
//     expiry (the sweep writes timeouts of untouched members);
//   - a HOLD_NOT_ACTIVE answer names a closed hold of that member, a
//     HOLD_NOT_FOUND answer an id that is no hold of that member;
//   - every entry's held_after_points is the sum of the open holds, and the
//     balance (as of its as_of_ms, so with holds past their expiry already
//     counted as released) has held_points = the open holds not yet expired
//     and available_points = the newest entry's available_after_points plus
//     the expired ones, and entry_count = the entries up to its
//     last_sequence;
//   - entries in a given sequence window (the re-sends of acknowledged
//     requests) are timeout RELEASEs only: re-sends write nothing, the sweep
//     may.
//
//   HoldCheck holds;
//   ... after SettleInDoubt: holds.Learn(requests, &failures);
//   HoldWindow window{before, after};
//   holds.Check(client, &window, grace, &failures);
#ifndef LOYALTY_TESTS_CRASH_HOLD_CHECK_H_
#define LOYALTY_TESTS_CRASH_HOLD_CHECK_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/crash/ledger_client.h"
#include "tests/crash/recheck.h"
#include "tests/crash/workload.h"

namespace loyalty::crash {

// Entries with sequence in (after, through] must all be timeout RELEASEs;
// Check counts them into `timeout_releases`.
struct HoldWindow {
  uint64_t after = 0;
  uint64_t through = 0;
  uint64_t timeout_releases = 0;
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
};

class HoldCheck {
 public:
  // Takes in every hold, capture and release of `requests` that has a
  // definite answer (call after SettleInDoubt), and checks each OK answer
  // on its own (its entry's kind, hold id, member).
  void Learn(const std::vector<SentRequest>& requests, Failures* failures);

  // Reads the new entries and the balance of every member a hold, capture
  // or release of the run named, and checks them against what Learn took
  // in. A hold still open more than `grace` after its expiry is a failure.
  // Timeout RELEASEs recorded inside `load` count as written while loaded.
  void Check(LedgerClient& client, HoldWindow* window, absl::Duration grace,
             Failures* failures);

  // Marks [started, stopped] as a time the load ran.
  void AddLoadPeriod(absl::Time started, absl::Time stopped);

  // The latest expiry of any hold seen, in Unix ms (0: none).
  int64_t expires_at_ms_max() const { return expires_at_ms_max_; }
  const HoldCounts& counts() const { return counts_; }

 private:
  struct Hold {
    uint64_t sequence = 0;  // Of the HOLD entry.
    std::string hash;
    int64_t points = 0;
    int64_t expires_at_ms = 0;
    uint64_t close_sequence = 0;  // 0 while open.
    loyalty::v1::EntryKind close_kind = loyalty::v1::ENTRY_KIND_UNSPECIFIED;
    bool timed_out = false;
  };
  // What the statement of one member showed so far.
  struct Statement {
    uint64_t entry_count = 0;      // Entries read.
    uint64_t scanned_through = 0;  // Newest entry read.
    std::string scanned_hash;
    int64_t available_after = 0;   // Of that entry.
    int64_t held = 0;              // Points of the open holds.
    std::map<std::string, Hold> holds;  // By hold id.
  };
  // What answers said about one member's holds.
  struct Acknowledged {
    std::map<std::string, loyalty::v1::LedgerEntry> holds;   // By hold id.
    std::map<std::string, loyalty::v1::LedgerEntry> closes;  // By hold id.
    std::set<uint64_t> close_sequences;
    std::set<std::string> not_active;  // Hold ids.
    std::set<std::string> not_found;
  };

  void LearnOk(const SentRequest& request, Failures* failures);
  void CheckMember(LedgerClient& client, const std::string& member_id,
                   HoldWindow* window, int64_t now_ms, int64_t grace_ms,
                   Failures* failures);
  // Folds one new entry (ascending order) into `statement`.
  void Fold(const std::string& member_id, const loyalty::v1::LedgerEntry& entry,
            Statement* statement, HoldWindow* window, Failures* failures);
  void CheckAcknowledged(const std::string& member_id,
                         const Statement& statement, Failures* failures);
  bool WhileLoaded(int64_t recorded_at_ms) const;

  std::set<std::string> members_;  // Named by any hold, capture or release.
  std::map<std::string, Statement> statements_;
  std::map<std::string, Acknowledged> acknowledged_;
  std::vector<std::pair<int64_t, int64_t>> load_periods_ms_;
  int64_t expires_at_ms_max_ = 0;
  HoldCounts counts_;
};

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_HOLD_CHECK_H_
