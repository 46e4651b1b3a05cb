// File: tests/crash/identity_check.h
//
// What the crash tests check about identifiers (EnrollMember's cards and app
// user ids, LinkIdentifier, UnlinkIdentifier) and ImportMembers after
// loyaltyd restarts, against the statements, the member records and
// LookupMember.
//
// IdentityCheck keeps, across cycles, what the answers said (Learn) and the
// identifiers' owners as the statements give them: Check reads the new
// entries of every member an identity request of the cycle named (or an
// import answer did), and folds their ENROLL, LINK and UNLINK entries in
// sequence order. It checks:
//   - an OK answer agrees with itself: a LINK or UNLINK entry of the
//     request's member with the one identifier, stored as given (cards) or
//     as 64 hex digits (phones, emails); an import row's ENROLL (new member:
//     its card, and its phone when linked), LINK (the phone, for a member it
//     found) and OPENING (the row's points; earned at the start of
//     earned_on, or when recorded; its lot expiring at the end of the
//     kExpiryYearsAfterEarnYearEnd-th year after the year earned) at
//     consecutive sequences;
//   - every notation of one phone or email is stored alike, and different
//     ones differently;
//   - every LINK, UNLINK, ENROLL and OPENING entry in a statement read is
//     one an answer acknowledged, with its hash (and so every acknowledged
//     one that CheckStatements found is folded here);
//   - the fold: an identifier is linked (ENROLL, LINK) only while no member
//     has it, unlinked only by the member that has it, and a member never
//     has more than kMemberIdentifiersMax (8);
//   - GetMember lists exactly the identifiers the fold gives each member
//     read: so no identifier is listed by two members;
//   - LookupMember, for every pool phone and email in every notation (so in
//     others than the one linked), every link card, enrolment card and app
//     user id, and the cards of this cycle's import rows and a sample of
//     earlier ones, finds the member the fold gives it, and nobody when the
//     fold gives nobody: an acknowledged link resolves to its member unless
//     unlinked later, an acknowledged unlink misses unless linked again;
//   - an acknowledged import row's card finds the member its answer named,
//     or the member that one was merged into since (import cards are never
//     unlinked by the load), unless an erasing CLOSE of that member freed
//     it: then it finds whom the fold gives it (nobody, or a member a later
//     row enrolled), never the closed member.
// An erasing CLOSE (close_check.h) unlinks, in the fold, every identifier
// it lists, and must leave its member none. A MERGE_IN (merge_check.h)
// must list exactly the identifiers the fold gives its source, and moves
// them to its member; GetMember of an alias lists those of the member it
// leads to.
// CheckDryRuns sends ImportMembers dry runs of acknowledged rows (those of
// members merged since first, whose cards moved) and of cards no one has
// under new request ids, twice, and checks that each row is answered as
// the stored state says (found or new member, phone taken or linked,
// MEMBER_CLOSED for a closed member's card), marked dry_run and never
// replayed (nothing was remembered); the caller checks that they wrote
// nothing (VerifyLedger's last_sequence).
#ifndef LOYALTY_TESTS_CRASH_IDENTITY_CHECK_H_
#define LOYALTY_TESTS_CRASH_IDENTITY_CHECK_H_

#include <cstdint>
#include <map>
#include <optional>
#include <random>
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
struct IdentityCounts {
  uint64_t links_acknowledged = 0;
  uint64_t unlinks_acknowledged = 0;
  uint64_t taken = 0;       // IDENTIFIER_TAKEN answers (links, rows).
  uint64_t too_many = 0;    // TOO_MANY_IDENTIFIERS answers.
  uint64_t not_linked = 0;  // IDENTIFIER_NOT_FOUND answers.
  uint64_t import_rows_ok = 0;
  uint64_t import_rows_enrolled = 0;
  uint64_t import_rows_phone_linked = 0;
  uint64_t import_rows_earned_on = 0;
  uint64_t links_seen = 0;  // LINK entries in the statements.
  uint64_t unlinks_seen = 0;
  uint64_t openings_seen = 0;
  uint64_t merges_seen = 0;  // MERGE_IN entries folded.
  uint64_t lookups = 0;
  uint64_t lookups_found = 0;
  uint64_t owned_last_check = 0;  // Identifiers with an owner.
  uint64_t dry_run_rows = 0;
};

class IdentityCheck {
 public:
  // `pool_members`: the load's members "m-0".."m-<pool_members - 1>".
  explicit IdentityCheck(int pool_members);

  // Takes in every EnrollMember, LinkIdentifier, UnlinkIdentifier,
  // ImportMembers, CloseMember and MergeMembers of `requests` that has a
  // definite answer (call after SettleInDoubt), and checks each OK answer
  // on its own.
  void Learn(const std::vector<SentRequest>& requests, Failures* failures);

  // Reads the new entries and records of the members this cycle's requests
  // named (or wrote to), folds them, and looks up every identifier of the
  // pool. `graph` says which member each id leads to now.
  void Check(LedgerClient& client, const AliasGraph& graph,
             std::mt19937_64& random, Failures* failures);

  // Dry runs of up to `rows_max` acknowledged import rows (first those of
  // members `graph` says were merged) and two new cards, under request ids
  // made of `cycle`. Call while nothing else writes.
  void CheckDryRuns(LedgerClient& client, const AliasGraph& graph, int cycle,
                    int rows_max, std::mt19937_64& random, Failures* failures);

  // The member the statements give `card` to ("" for nobody), as of the
  // last Check.
  std::string OwnerOfCard(const std::string& card) const;

  const IdentityCounts& counts() const { return counts_; }

 private:
  // An import row an OK answer acknowledged.
  struct ImportRow {
    loyalty::v1::ImportMemberRequest row;
    std::string member_id;
  };
  // An ENROLL, LINK, UNLINK, erasing CLOSE or MERGE_IN read from a
  // statement.
  struct Event {
    uint64_t sequence = 0;
    std::string member_id;
    loyalty::v1::EntryKind kind = loyalty::v1::ENTRY_KIND_UNSPECIFIED;
    std::vector<std::string> stored_keys;
    std::string source_id;  // A MERGE_IN's source.
  };

  void LearnEnroll(const SentRequest& request, Failures* failures);
  void LearnLink(const SentRequest& request, bool link, Failures* failures);
  void LearnImport(const SentRequest& request, Failures* failures);
  void LearnMerge(const SentRequest& request);
  // Checks one OK row's answer; true when it agrees with itself.
  bool LearnImportRow(const std::string& name,
                      const loyalty::v1::ImportMemberRequest& row,
                      const loyalty::v1::ImportMemberResponse& response,
                      Failures* failures);
  // `name` (identifier_pool.h) is stored as `stored_key`; a failure when
  // either was seen with another before.
  void LearnStored(const std::string& name, const std::string& stored_key,
                   Failures* failures);
  void ReadMember(LedgerClient& client, const std::string& member_id,
                  std::vector<Event>* events, Failures* failures);
  // Turns one entry of `member_id`'s statement into the event it is for
  // the fold, if any.
  void FoldEntry(const std::string& member_id,
                 const loyalty::v1::LedgerEntry& entry,
                 std::vector<Event>* events, Failures* failures);
  void Apply(const Event& event, Failures* failures);
  void ApplyMergeIn(const std::string& where, const Event& event,
                    Failures* failures);
  void CheckMemberRecord(LedgerClient& client, const AliasGraph& graph,
                         const std::string& member_id, Failures* failures);
  // The member LookupMember should find for `name` ("" for nobody).
  std::string OwnerOfName(const std::string& name) const;
  void CheckLookups(LedgerClient& client, const AliasGraph& graph,
                    std::mt19937_64& random, Failures* failures);
  // "" when nobody has `identifier`; nullopt (and a failure) on an error.
  std::optional<std::string> Lookup(LedgerClient& client,
                                    const loyalty::v1::MemberIdentifier& clear,
                                    Failures* failures);
  int64_t ExpectedExpiryMs(int64_t earned_at_ms) const;

  const int pool_members_;
  absl::TimeZone time_zone_ = ProgramTimeZone();
  // Members whose identifiers this cycle's answers may have changed.
  std::set<std::string> touched_;
  std::map<std::string, StatementCursor> statements_;
  // Acknowledged ENROLL, LINK, UNLINK and OPENING entries.
  AcknowledgedEntries acknowledged_;
  std::map<std::string, std::string> stored_of_name_;
  std::map<std::string, std::string> name_of_stored_;
  // The fold: stored identifier -> member, and member -> stored identifiers.
  std::map<std::string, std::string> owner_;
  std::map<std::string, std::set<std::string>> owned_by_;
  // Members an erasing CLOSE in a statement closed.
  std::set<std::string> erased_members_;
  uint64_t folded_through_ = 0;             // Newest event applied.
  std::vector<ImportRow> import_rows_;      // Every acknowledged OK row.
  size_t import_rows_checked_through_ = 0;  // Rows before this: earlier.
  IdentityCounts counts_;
};

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_IDENTITY_CHECK_H_
