// File: loyalty/client/offline_journal.h
//
// A store terminal's durable journal of what it recorded while the server
// could not be reached: earns, returns and engagement events, and — when
// the program allows an offline allowance — points redemptions, each with
// the request id and occurred_at it was recorded with, kept in a SQLite file in
// WAL mode with synchronous=FULL, so Append returns only once the event is on
// disk (the cashier may then say "recorded").
//
// Every event keeps its request id from the moment it is recorded, so it is
// applied exactly once however often it is sent: a sync that crashes after
// the server applied a batch but before the journal noted it resends the
// batch, and the server replays its first answers.
//
//   auto journal = OfflineJournal::Open("/var/lib/pos/loyalty-journal.db");
//   v1::Mutation sale;  *sale.mutable_earn() = earn_request;
//   auto recorded = (*journal)->Append(std::move(sale), now_ms);
//   ... later, JournalSyncer (journal_sync.h) sends the pending ones ...
//
// States: PENDING (not yet answered) → APPLIED (the server's OK) or REFUSED
// (an answer that is not OK and not transient: the event stays, with its
// code, reason and message, for the store to see; it is never dropped).
#ifndef LOYALTY_CLIENT_OFFLINE_JOURNAL_H_
#define LOYALTY_CLIENT_OFFLINE_JOURNAL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "loyalty/v1/loyalty_service.pb.h"

struct sqlite3;

namespace loyalty::client {

enum class JournalState { kPending = 0, kApplied = 1, kRefused = 2 };

// "pending", "applied", "refused".
const char* JournalStateName(JournalState state);

struct JournalEntry {
  int64_t sequence = 0;  // Order of recording, from 1.
  std::string request_id;
  std::string command;  // The Mutation field: "earn", "return", ...
  int64_t occurred_at_ms = 0;
  int64_t recorded_at_ms = 0;
  JournalState state = JournalState::kPending;
  // The server's answer once there is one (code 0 = OK).
  int32_t code = 0;
  std::string reason;  // ErrorReason name, "" for none.
  std::string message;
  int64_t answered_at_ms = 0;
  int32_t attempts = 0;  // Batches it was sent in.
  loyalty::v1::Mutation mutation;
};

struct JournalOptions {
  // The points one member may redeem at this till while it is offline, in
  // any 24 hours: set it to the program's
  // offline_redemption.points_per_member_day (the server reconciles what
  // every till sent against that, per calendar day; a rolling 24 hours
  // keeps each calendar day, in any time zone, within it). 0, the default:
  // redemptions are never recorded offline.
  int64_t offline_redeem_points_per_member_day = 0;
};

// What the terminal shows of its queue.
struct JournalStatus {
  int64_t pending = 0;
  int64_t applied = 0;
  int64_t refused = 0;
  // occurred_at of the oldest pending event.
  std::optional<int64_t> oldest_pending_occurred_at_ms;
  // The last sync failure ("" after a sync that reached the server).
  std::string last_error;
  int64_t last_error_at_ms = 0;
  int64_t last_sync_at_ms = 0;  // Last batch the server answered.
};

class OfflineJournal {
 public:
  // Opens (creating if missing) the journal at `path`. InvalidArgument
  // naming the file when it is not a journal of this format; Unavailable
  // when it cannot be opened or written.
  static absl::StatusOr<std::unique_ptr<OfflineJournal>> Open(
      const std::string& path, JournalOptions options = {});
  ~OfflineJournal();
  OfflineJournal(const OfflineJournal&) = delete;
  OfflineJournal& operator=(const OfflineJournal&) = delete;

  // Records `mutation` durably. Earn, return and record_event may be
  // recorded offline, and redeem within the options' allowance (its
  // `offline` is set: the server reconciles it on sync by the program's
  // rules); anything else needs the server's state: FailedPrecondition, as
  // is a redemption past what the member has left of the allowance. An
  // empty context.request_id gets 128 random bits; an empty occurred_at_ms
  // gets now_ms (the sale's time, not the sync's). InvalidArgument for a
  // mutation with no command, or a request id already in the journal for
  // other content.
  absl::StatusOr<JournalEntry> Append(loyalty::v1::Mutation mutation,
                                      int64_t now_ms);

  // The oldest `limit` pending events, in recording order.
  absl::StatusOr<std::vector<JournalEntry>> Pending(int limit) const;
  // Refused events, oldest first, for the store to see.
  absl::StatusOr<std::vector<JournalEntry>> Refused(int limit) const;

  // Notes a batch's answers: results[i] answers sent[i]. OK → applied; a
  // transient code stays pending; any other answer → refused, kept with its
  // code, reason and message. One transaction: all or nothing.
  absl::Status RecordResults(const std::vector<JournalEntry>& sent,
                             const loyalty::v1::SubmitBatchResponse& response,
                             int64_t now_ms);
  // Notes that a sync could not reach the server (or got no answer).
  absl::Status RecordSyncFailure(const absl::Status& failure, int64_t now_ms);

  absl::StatusOr<JournalStatus> Status() const;

  // The points `member_id` may still redeem offline at this till for a
  // sale at `at_ms`: the allowance less its redemptions recorded here in
  // the 24 hours up to then (0 when the options allow none).
  absl::StatusOr<int64_t> OfflineAllowanceLeft(const std::string& member_id,
                                               int64_t at_ms) const;

 private:
  OfflineJournal(sqlite3* db, std::string path, JournalOptions options)
      : db_(db), path_(std::move(path)), options_(options) {}
  // OfflineAllowanceLeft with mutex_ held.
  absl::StatusOr<int64_t> AllowanceLeftLocked(const std::string& member_id,
                                              int64_t at_ms) const;
  absl::StatusOr<std::vector<JournalEntry>> Select(JournalState state,
                                                   int limit) const;

  // SQLite's connection is used from one thread at a time.
  mutable absl::Mutex mutex_;
  sqlite3* const db_;
  const std::string path_;
  const JournalOptions options_;
};

}  // namespace loyalty::client

#endif  // LOYALTY_CLIENT_OFFLINE_JOURNAL_H_
