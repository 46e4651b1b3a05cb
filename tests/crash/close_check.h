// File: tests/crash/close_check.h
//
// What the crash tests check about AdminService.CloseMember after loyaltyd
// restarts, against the closed members' statements, records, balances and
// LookupMember.
//
// The load closes only members an import row enrolled (workload.h), so the
// pool members stay open. CloseCheck keeps, across cycles, every close an
// OK answer acknowledged and the card each import-enrolled member got
// (Learn), and checks:
//   - an OK answer agrees with itself: a CLOSE entry of the request's
//     member and request id, marked personal_data_erased as asked, and the
//     member answered MEMBER_STATUS_CLOSED;
//   - every acknowledged close, after every restart: its CLOSE entry is in
//     the member's statement with the acknowledged sequence and hash, and
//     it is the member's last entry (nothing is written to a closed
//     member); its points_delta is minus the available points before it
//     (the previous entry's available_after_points, 0 for none) and it
//     leaves 0 available; GetMember says MEMBER_STATUS_CLOSED; the balance's
//     forfeited_points_total is what the CLOSE took (a written-off debt
//     forfeits nothing);
//   - an erasing close lists the identifiers it removed, the member lists
//     none afterwards, and LookupMember of its card does not find it: it
//     finds whom identity_check.h's fold of the statements gives the card
//     (nobody, or a member a later import row enrolled with it); a close
//     without erasing keeps the card finding the closed member;
//   - every acknowledged write first sent after a close of its member was
//     acknowledged is refused FAILED_PRECONDITION MEMBER_CLOSED: a second
//     close, any write naming the member (the load names members an import
//     enrolled now and then), a transfer from the member or a merge of it;
//     a transfer to it or a merge into it (or MEMBER_NOT_FOUND or
//     MEMBER_MERGED for a sender or source that does not exist or is an
//     alias, which the ledger checks first; MEMBER_MERGED for a merge whose
//     target is an alias of the closed source); an import row of its card
//     when the close did not erase it (or IDENTIFIER_TAKEN for a phone of
//     another member, checked first). An import row of an erased card never
//     names the closed member.
#ifndef LOYALTY_TESTS_CRASH_CLOSE_CHECK_H_
#define LOYALTY_TESTS_CRASH_CLOSE_CHECK_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/crash/check_support.h"
#include "tests/crash/identity_check.h"
#include "tests/crash/ledger_client.h"
#include "tests/crash/recheck.h"
#include "tests/crash/workload.h"

namespace loyalty::crash {

// Totals over the run, for the summary line.
struct CloseCounts {
  uint64_t acknowledged_ok = 0;       // OK answers to CloseMember.
  uint64_t acknowledged_erasing = 0;  // Of those, with erase_personal_data.
  uint64_t not_settled = 0;           // MEMBER_NOT_SETTLED answers.
  // Later writes naming a closed member, answered MEMBER_CLOSED.
  uint64_t later_closes_refused = 0;
  uint64_t later_transfers_refused = 0;
  uint64_t later_merges_refused = 0;
  uint64_t later_writes_refused = 0;  // Earns, holds, links and the rest.
  uint64_t later_rows_refused = 0;
  // Import rows of an erased card answered OK with another member.
  uint64_t erased_cards_imported_again = 0;
  uint64_t closes_checked_last = 0;   // CLOSE entries the last Check read.
  int64_t points_forfeited_last = 0;  // What they took, summed.
};

class CloseCheck {
 public:
  // Takes in every CloseMember of `requests` with a definite answer and the
  // members import rows enrolled (call after SettleInDoubt), checks each OK
  // close answer on its own, and checks the answers of every write first
  // sent after a close of its member was acknowledged.
  void Learn(const std::vector<SentRequest>& requests, Failures* failures);

  // Reads every acknowledged close's member (statement, record, balance,
  // card lookup). `identities` must have run its Check first: its fold
  // says who has an erased card now.
  void Check(LedgerClient& client, const IdentityCheck& identities,
             Failures* failures);

  const CloseCounts& counts() const { return counts_; }

 private:
  // A close an OK answer acknowledged.
  struct Closure {
    std::string name;  // The request, for messages.
    uint64_t sequence = 0;
    std::string hash;
    bool erased = false;
    absl::Time acknowledged_at;
  };

  void LearnImportCards(const SentRequest& request);
  void LearnClose(const SentRequest& request, Failures* failures);
  // Checks `request` against the closes acknowledged before it was sent.
  void CheckLaterWrite(const SentRequest& request, Failures* failures);
  void CheckLaterRows(const SentRequest& request, Failures* failures);
  // The close of `member_id` acknowledged before `sent_at`, or nullptr.
  const Closure* ClosedBefore(const std::string& member_id,
                              absl::Time sent_at) const;
  void CheckClosure(LedgerClient& client, const IdentityCheck& identities,
                    const std::string& member_id, const Closure& closure,
                    Failures* failures);
  void CheckCard(LedgerClient& client, const IdentityCheck& identities,
                 const std::string& member_id, const Closure& closure,
                 Failures* failures);

  std::map<std::string, Closure> closures_;          // By member id.
  std::map<std::string, std::string> card_of_;  // Enrolled member: card.
  // Card: every member an import row enrolled with it (more than one only
  // after erasing closes freed it).
  std::map<std::string, std::vector<std::string>> members_of_card_;
  CloseCounts counts_;
};

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_CLOSE_CHECK_H_
