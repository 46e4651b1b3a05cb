// File: tests/crash/merge_check.h
//
// What the crash tests check about AdminService.MergeMembers after loyaltyd
// restarts, against the statements, records and balances of every member a
// merge named, and what every other write's entries say about aliases.
//
// AliasGraph is the merges as the statements show them: a source became an
// alias of its target at its MERGE_OUT's sequence. The other checks
// (hold_check.h, return_check.h, transfer_check.h, identity_check.h) ask it
// which member an id meant at a given entry, and which member it means now.
//
// MergeCheck keeps, across cycles, what the answers said (Learn) and what
// the statements hold (Check reads each member's new entries once, oldest
// first from where the last check stopped, after confirming that entry is
// still there with the same hash). It checks:
//   - an OK answer agrees with itself: a MERGE_OUT on the request's source
//     naming the target, then at the next sequence the MERGE_IN on the
//     target naming the source with the opposite points and the same
//     merged_pending_points and merged_held_points; the source's after-state
//     all zero; the member answered is the MERGE_IN's, listing the source
//     among its merged_member_ids;
//   - every acknowledged MERGE_OUT and MERGE_IN is in its member's
//     statement with the acknowledged sequence and hash, and every one in a
//     statement is one an answer acknowledged (every request of a cycle has
//     a definite answer when Learn runs), so a merge whose answer a kill
//     swallowed shows both halves or neither;
//   - pairs: the MERGE_OUT at n has its MERGE_IN at n + 1 on the member it
//     names; no half exists without the other; one request id, one pair;
//   - conservation: the MERGE_OUT takes exactly what the source had after
//     its previous entry (points_delta = -available_after_points,
//     merged_pending_points = pending_after_points, merged_held_points =
//     held_after_points) and leaves it nothing; the MERGE_IN adds exactly
//     those to what the target had after its previous entry (a negative
//     available sum is debt);
//   - a source's statement lists only its own entries and ends with its
//     MERGE_OUT: nothing is written to an alias;
//   - every entry of every OK answer that named a member (all but enrolls
//     and import rows) is on the member that id meant at that entry: the id
//     itself, or the member its merges before the entry lead to (so writes
//     naming a source after its merge land on its target, chains
//     included);
//   - GetMember and GetBalance of a member a merge named answer with the
//     member the id means now, and that member's merged_member_ids are
//     exactly the aliases that lead to it: read for every member a merge
//     of the check's entries named, every alias whose chain got longer (and
//     the member it leads to now), and 16 others in turn;
//   - MEMBER_MERGED answers, by the merges recorded before the answer came:
//     a close named an alias, a transfer named two ids of one member, a
//     merge named an alias as source or a target that leads to the source;
//     no other write (nor import row) is ever answered MEMBER_MERGED (an
//     alias means its member, and a card finds the member it moved to).
// identity_check.h checks that a MERGE_IN lists exactly the identifiers the
// source had and moves them; hold_check.h, return_check.h and
// transfer_check.h move the source's holds, orders and transfer totals to
// the target at the MERGE_IN and check them there.
#ifndef LOYALTY_TESTS_CRASH_MERGE_CHECK_H_
#define LOYALTY_TESTS_CRASH_MERGE_CHECK_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/crash/check_support.h"
#include "tests/crash/ledger_client.h"
#include "tests/crash/recheck.h"
#include "tests/crash/workload.h"

namespace loyalty::crash {

// Merges as the statements show them. Merges only ever add edges, and a
// source merges once: an alias stays one.
class AliasGraph {
 public:
  // `source` became an alias of `target` at its MERGE_OUT `sequence`,
  // recorded at `recorded_at_ms`; false (and nothing changes) when `source`
  // already had another.
  bool Add(const std::string& source, const std::string& target,
           uint64_t sequence, int64_t recorded_at_ms);
  // The member `member_id` meant for an entry at `sequence`: itself, or
  // where the merges before that entry lead.
  std::string ResolveAt(const std::string& member_id, uint64_t sequence) const;
  // Where the merges recorded at or before `unix_ms` lead: what
  // `member_id` meant for an answer that came back at `unix_ms` or later.
  std::string ResolveAsOf(const std::string& member_id, int64_t unix_ms) const;
  // The member `member_id` means now.
  std::string Resolve(const std::string& member_id) const;
  bool IsAlias(const std::string& member_id) const;
  // Every alias that leads to `member_id` now.
  std::set<std::string> AliasesOf(const std::string& member_id) const;
  size_t size() const { return edges_.size(); }

 private:
  struct Edge {
    std::string target;
    uint64_t sequence = 0;
    int64_t recorded_at_ms = 0;
  };
  // Follows edges from `member_id` while `accept` takes them.
  template <typename Accept>
  std::string Follow(const std::string& member_id, Accept accept) const;
  std::map<std::string, Edge> edges_;  // By source.
};

// Totals over the run, for the summary line.
struct MergeCounts {
  uint64_t acknowledged_ok = 0;
  uint64_t into_alias = 0;          // Of those, the target named an alias.
  // Merges sent more than once (an answer lost to a kill or stop), and of
  // those, OK answers that were replays: applied before the answer was
  // lost, and not again.
  uint64_t retried = 0;
  uint64_t retried_replayed = 0;
  uint64_t member_merged = 0;       // MEMBER_MERGED answers to merges.
  uint64_t too_many = 0;            // TOO_MANY_IDENTIFIERS answers.
  uint64_t order_conflict = 0;      // ORDER_ID_CONFLICT answers.
  uint64_t member_closed = 0;       // MEMBER_CLOSED answers.
  uint64_t member_not_found = 0;    // MEMBER_NOT_FOUND answers.
  std::map<std::string, uint64_t> other_answers;  // Reason: answers.
  uint64_t pairs_seen = 0;          // MERGE_OUT/MERGE_IN pairs in statements.
  uint64_t pairs_with_held = 0;     // Moving held points (open holds).
  uint64_t pairs_with_pending = 0;  // Moving pending points.
  uint64_t pairs_with_debt = 0;     // Moving a debt (MERGE_IN below 0).
  uint64_t pairs_with_identifiers = 0;
  int64_t points_moved = 0;         // Summed MERGE_IN points_delta.
  // Entries of OK answers to writes that named an alias, found on the
  // member it leads to.
  uint64_t writes_through_alias = 0;
  // Other MEMBER_MERGED answers: closes of aliases, transfers within one.
  uint64_t closes_refused_merged = 0;
  uint64_t transfers_refused_merged = 0;
  // GetMember and GetBalance reads (of them, of aliases).
  uint64_t members_read = 0;
  uint64_t aliases_read = 0;
};

class MergeCheck {
 public:
  // Takes in every request of `requests` with a definite answer (call after
  // SettleInDoubt): merges, and which member each OK entry of any write
  // named.
  void Learn(const std::vector<SentRequest>& requests, Failures* failures);

  // Reads the new entries of every member a merge named (and of every
  // member their merge entries name), then checks the answers learnt so far
  // against them. Builds graph().
  void Check(LedgerClient& client, Failures* failures);

  const AliasGraph& graph() const { return graph_; }
  const MergeCounts& counts() const { return counts_; }

 private:
  // After-state of the newest entry read, and where reading stopped.
  struct Statement {
    StatementCursor cursor;
    int64_t available_after = 0;
    int64_t pending_after = 0;
    int64_t held_after = 0;
  };
  // An OK entry of a write that named `named`.
  struct Named {
    std::string request_name;
    std::string named;
    std::string member_id;  // The entry's.
    uint64_t sequence = 0;
  };
  // A MEMBER_MERGED answer, checked against the graph.
  struct MergedAnswer {
    std::string request_name;
    Method method = Method::kClose;
    std::string first;   // Close: the member; transfer: from; merge: source.
    std::string second;  // Transfer: to; merge: target.
    int64_t answered_at_ms = 0;
  };

  void LearnNamed(const SentRequest& request);
  // No import row is answered MEMBER_MERGED: cards move with merges.
  void CheckImportRows(const SentRequest& request, Failures* failures);
  void LearnMerge(const SentRequest& request, Failures* failures);
  void LearnMergeOk(const SentRequest& request,
                    const loyalty::v1::MergeMembersRequest& sent,
                    Failures* failures);
  void ReadMember(LedgerClient& client, const std::string& member_id,
                  std::set<std::string>* more, Failures* failures);
  void Fold(const std::string& member_id, const loyalty::v1::LedgerEntry& entry,
            Statement* statement, std::set<std::string>* more,
            Failures* failures);
  void CheckPairs(Failures* failures);
  void CountPair(const loyalty::v1::LedgerEntry& out,
                 const loyalty::v1::LedgerEntry& in, Failures* failures);
  void CheckNamed(Failures* failures);
  void CheckMergedAnswers(Failures* failures);
  // The members CheckReads reads (see the file comment).
  std::set<std::string> MembersToRead();
  void CheckReads(LedgerClient& client, Failures* failures);

  AliasGraph graph_;
  std::set<std::string> members_;  // Named by a merge or its entries.
  std::map<std::string, Statement> statements_;
  // Every acknowledged merge entry, and every one seen in a statement.
  AcknowledgedEntries acknowledged_;
  std::map<std::string, uint64_t> pair_of_request_;  // Request id: MERGE_OUT.
  // Merge entries this check read whose other half it has not paired.
  EntryPairs unpaired_{kMergePair};
  std::vector<Named> named_;  // Checked and cleared by each Check.
  std::vector<MergedAnswer> merged_answers_;
  // Members with merge entries read by the current check.
  std::set<std::string> merged_this_check_;
  // Alias: the member it led to when last read.
  std::map<std::string, std::string> resolved_before_;
  std::string sample_after_;  // The last member read in turn.
  MergeCounts counts_;
};

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_MERGE_CHECK_H_
