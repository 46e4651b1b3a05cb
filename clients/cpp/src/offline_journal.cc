#include "loyalty/client/offline_journal.h"

#include <sqlite3.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "loyalty/client/request_id.h"
#include "loyalty/v1/contract.h"

namespace loyalty::client {
namespace {

using loyalty::v1::Mutation;

// "LJRN": marks the SQLite file as a loyalty journal (PRAGMA application_id).
constexpr int32_t kJournalApplicationId = 0x4C4A524E;
constexpr int32_t kJournalSchemaVersion = 1;

constexpr char kSchema[] = R"sql(
CREATE TABLE events (
  sequence INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL UNIQUE,
  command TEXT NOT NULL,
  occurred_at_ms INTEGER NOT NULL,
  recorded_at_ms INTEGER NOT NULL,
  state INTEGER NOT NULL DEFAULT 0,
  code INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '',
  answered_at_ms INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  mutation BLOB NOT NULL
);
CREATE INDEX events_by_state ON events (state, sequence);
CREATE TABLE sync_status (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_error TEXT NOT NULL,
  last_error_at_ms INTEGER NOT NULL,
  last_sync_at_ms INTEGER NOT NULL
);
INSERT INTO sync_status VALUES (1, '', 0, 0);
)sql";

// A prepared statement, finalized on every path.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    result_ = sqlite3_prepare_v2(db, sql, -1, &statement_, nullptr);
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return result_ == SQLITE_OK; }
  sqlite3_stmt* get() const { return statement_; }
  void Bind(int index, int64_t value) {
    sqlite3_bind_int64(statement_, index, value);
  }
  void Bind(int index, const std::string& text) {
    sqlite3_bind_text(statement_, index, text.data(),
                      static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void BindBlob(int index, const std::string& bytes) {
    sqlite3_bind_blob(statement_, index, bytes.data(),
                      static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  }
  int Step() { return sqlite3_step(statement_); }
  int64_t Int(int column) const {
    return sqlite3_column_int64(statement_, column);
  }
  std::string Text(int column) const {
    const auto* text = sqlite3_column_text(statement_, column);
    return text == nullptr
               ? std::string()
               : std::string(reinterpret_cast<const char*>(text),
                             sqlite3_column_bytes(statement_, column));
  }
  std::string Blob(int column) const {
    const void* blob = sqlite3_column_blob(statement_, column);
    return blob == nullptr
               ? std::string()
               : std::string(static_cast<const char*>(blob),
                             sqlite3_column_bytes(statement_, column));
  }

 private:
  sqlite3_stmt* statement_ = nullptr;
  int result_ = SQLITE_ERROR;
};

absl::Status SqliteError(sqlite3* db, const std::string& path,
                         absl::string_view doing) {
  return absl::UnavailableError(
      absl::StrCat("journal ", path, ": ", doing, ": ", sqlite3_errmsg(db)));
}

absl::Status Exec(sqlite3* db, const std::string& path, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error == nullptr ? "unknown error" : error;
    sqlite3_free(error);
    return absl::UnavailableError(
        absl::StrCat("journal ", path, ": ", message));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> PragmaInt(sqlite3* db, const std::string& path,
                                  const char* pragma) {
  Statement statement(db, pragma);
  if (!statement.ok() || statement.Step() != SQLITE_ROW) {
    return SqliteError(db, path, pragma);
  }
  return statement.Int(0);
}

// The context of the commands a terminal may record offline; nullptr for
// every other command.
loyalty::v1::RequestContext* OfflineContextOf(Mutation& mutation) {
  switch (mutation.command_case()) {
    case Mutation::kEarn:
      return mutation.mutable_earn()->mutable_context();
    case Mutation::kReturn:
      return mutation.mutable_return_()->mutable_context();
    case Mutation::kRecordEvent:
      return mutation.mutable_record_event()->mutable_context();
    case Mutation::kRedeem:
      return mutation.mutable_redeem()->mutable_context();
    default:
      return nullptr;
  }
}

// The Mutation field's name ("earn"), "" when none is set.
std::string CommandName(const Mutation& mutation) {
  const google::protobuf::FieldDescriptor* field =
      mutation.GetDescriptor()->FindFieldByNumber(
          static_cast<int>(mutation.command_case()));
  return field == nullptr ? std::string() : field->name();
}

constexpr char kSelectColumns[] =
    "SELECT sequence, request_id, command, occurred_at_ms, recorded_at_ms, "
    "state, code, reason, message, answered_at_ms, attempts, mutation "
    "FROM events ";

absl::StatusOr<JournalEntry> ReadEntry(const Statement& row,
                                       const std::string& path) {
  JournalEntry entry;
  entry.sequence = row.Int(0);
  entry.request_id = row.Text(1);
  entry.command = row.Text(2);
  entry.occurred_at_ms = row.Int(3);
  entry.recorded_at_ms = row.Int(4);
  const int64_t state = row.Int(5);
  if (state < 0 || state > 2) {
    return absl::DataLossError(absl::StrCat(
        "journal ", path, ": event ", entry.sequence, " has state ", state));
  }
  entry.state = static_cast<JournalState>(state);
  entry.code = static_cast<int32_t>(row.Int(6));
  entry.reason = row.Text(7);
  entry.message = row.Text(8);
  entry.answered_at_ms = row.Int(9);
  entry.attempts = static_cast<int32_t>(row.Int(10));
  const std::string bytes = row.Blob(11);
  if (!entry.mutation.ParseFromString(bytes) ||
      CommandName(entry.mutation) != entry.command) {
    return absl::DataLossError(absl::StrCat(
        "journal ", path, ": event ", entry.sequence,
        " does not decode as the ", entry.command, " it was recorded as"));
  }
  return entry;
}

}  // namespace

const char* JournalStateName(JournalState state) {
  switch (state) {
    case JournalState::kPending:
      return "pending";
    case JournalState::kApplied:
      return "applied";
    case JournalState::kRefused:
      return "refused";
  }
  return "unknown";
}

absl::StatusOr<std::unique_ptr<OfflineJournal>> OfflineJournal::Open(
    const std::string& path, JournalOptions options) {
  if (path.empty()) {
    return absl::InvalidArgumentError("journal: a file path is required");
  }
  if (options.offline_redeem_points_per_member_day < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "journal: offline_redeem_points_per_member_day must be 0 or more, "
        "got ",
        options.offline_redeem_points_per_member_day));
  }
  sqlite3* db = nullptr;
  const int opened = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
      nullptr);
  // Owns db from here on, whatever happens below.
  std::unique_ptr<OfflineJournal> journal(
      new OfflineJournal(db, path, options));
  if (opened != SQLITE_OK) return SqliteError(db, path, "cannot open");
  sqlite3_busy_timeout(db, 5'000);

  // A file that is not a SQLite database fails its first read here.
  absl::StatusOr<int64_t> application_id =
      PragmaInt(db, path, "PRAGMA application_id");
  if (!application_id.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("journal ", path,
                                                   ": not a loyalty journal (",
                                                   sqlite3_errmsg(db), ")"));
  }
  absl::StatusOr<int64_t> tables = PragmaInt(
      db, path, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'");
  if (!tables.ok()) return tables.status();
  if (*application_id == 0 && *tables == 0) {
    // A new file: WAL (readers never block the till's appends) and the
    // schema, in one transaction.
    if (absl::Status wal = Exec(db, path, "PRAGMA journal_mode=WAL");
        !wal.ok()) {
      return wal;
    }
    const std::string create = absl::StrCat(
        "BEGIN IMMEDIATE;", kSchema,
        "PRAGMA application_id = ", kJournalApplicationId,
        "; PRAGMA user_version = ", kJournalSchemaVersion, "; COMMIT;");
    if (absl::Status created = Exec(db, path, create.c_str()); !created.ok()) {
      return created;
    }
  } else if (*application_id != kJournalApplicationId) {
    return absl::InvalidArgumentError(absl::StrCat(
        "journal ", path,
        ": not a loyalty journal (a SQLite file of another program)"));
  } else {
    absl::StatusOr<int64_t> version =
        PragmaInt(db, path, "PRAGMA user_version");
    if (!version.ok()) return version.status();
    if (*version != kJournalSchemaVersion) {
      return absl::InvalidArgumentError(
          absl::StrCat("journal ", path, ": format version ", *version,
                       ", this library reads version ", kJournalSchemaVersion));
    }
    if (absl::Status wal = Exec(db, path, "PRAGMA journal_mode=WAL");
        !wal.ok()) {
      return wal;
    }
  }
  // FULL: every commit is on disk before it returns, WAL included.
  if (absl::Status full = Exec(db, path, "PRAGMA synchronous=FULL");
      !full.ok()) {
    return full;
  }
  return journal;
}

OfflineJournal::~OfflineJournal() { sqlite3_close(db_); }

absl::StatusOr<JournalEntry> OfflineJournal::Append(Mutation mutation,
                                                    int64_t now_ms) {
  if (mutation.command_case() == Mutation::COMMAND_NOT_SET) {
    return absl::InvalidArgumentError("journal: the mutation names no command");
  }
  loyalty::v1::RequestContext* context = OfflineContextOf(mutation);
  if (context == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "journal: ", CommandName(mutation),
        " cannot be recorded offline: only earns, returns, engagement "
        "events and points redemptions within the offline allowance are"));
  }
  if (mutation.has_redeem()) {
    if (options_.offline_redeem_points_per_member_day == 0) {
      return absl::FailedPreconditionError(
          "journal: points cannot be redeemed offline (this till has no "
          "offline allowance)");
    }
    if (mutation.redeem().member_id().empty() ||
        mutation.redeem().points() <= 0) {
      return absl::InvalidArgumentError(
          "journal: an offline redemption needs a member id and points > 0");
    }
    mutation.mutable_redeem()->set_offline(true);
  }
  if (context->request_id().empty()) {
    absl::StatusOr<std::string> request_id = GenerateRequestId();
    if (!request_id.ok()) return request_id.status();
    context->set_request_id(*std::move(request_id));
  }
  if (context->occurred_at_ms() == 0) context->set_occurred_at_ms(now_ms);
  std::string bytes;
  // Deterministic: the same event serializes to the same bytes, so an
  // append repeated after a crash is recognized as the same.
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    mutation.SerializeToCodedStream(&coded);
  }

  absl::MutexLock lock(&mutex_);
  {
    Statement existing(
        db_, absl::StrCat(kSelectColumns, "WHERE request_id = ?").c_str());
    if (!existing.ok()) return SqliteError(db_, path_, "reading");
    existing.Bind(1, context->request_id());
    if (existing.Step() == SQLITE_ROW) {
      if (existing.Blob(11) != bytes) {
        return absl::InvalidArgumentError(
            absl::StrCat("journal: request id ", context->request_id(),
                         " is already recorded for another event"));
      }
      return ReadEntry(existing, path_);
    }
  }
  if (mutation.has_redeem()) {
    absl::StatusOr<int64_t> left = AllowanceLeftLocked(
        mutation.redeem().member_id(), context->occurred_at_ms());
    if (!left.ok()) return left.status();
    if (mutation.redeem().points() > *left) {
      return absl::FailedPreconditionError(absl::StrCat(
          "journal: member ", mutation.redeem().member_id(), " has ", *left,
          " of its ", options_.offline_redeem_points_per_member_day,
          " offline points left at this till in the last 24 hours; ",
          mutation.redeem().points(), " asked"));
    }
  }
  Statement insert(db_,
                   "INSERT INTO events (request_id, command, occurred_at_ms, "
                   "recorded_at_ms, mutation) VALUES (?, ?, ?, ?, ?)");
  if (!insert.ok()) return SqliteError(db_, path_, "recording");
  JournalEntry entry;
  entry.request_id = context->request_id();
  entry.command = CommandName(mutation);
  entry.occurred_at_ms = context->occurred_at_ms();
  entry.recorded_at_ms = now_ms;
  insert.Bind(1, entry.request_id);
  insert.Bind(2, entry.command);
  insert.Bind(3, entry.occurred_at_ms);
  insert.Bind(4, entry.recorded_at_ms);
  insert.BindBlob(5, bytes);
  // Autocommit with synchronous=FULL: on disk when this returns.
  if (insert.Step() != SQLITE_DONE) {
    return SqliteError(db_, path_, "recording");
  }
  entry.sequence = sqlite3_last_insert_rowid(db_);
  entry.mutation = std::move(mutation);
  return entry;
}

absl::StatusOr<int64_t> OfflineJournal::OfflineAllowanceLeft(
    const std::string& member_id, int64_t at_ms) const {
  absl::MutexLock lock(&mutex_);
  return AllowanceLeftLocked(member_id, at_ms);
}

absl::StatusOr<int64_t> OfflineJournal::AllowanceLeftLocked(
    const std::string& member_id, int64_t at_ms) const {
  const int64_t allowance = options_.offline_redeem_points_per_member_day;
  if (allowance == 0) return 0;
  // A till's journal holds its own few redemptions: read them all of the
  // window, applied or not (what the till let go is spent either way).
  constexpr int64_t kWindowMs = 24 * 3600 * 1000;
  Statement select(db_,
                   "SELECT mutation FROM events WHERE command = 'redeem' AND "
                   "occurred_at_ms > ? AND occurred_at_ms <= ?");
  if (!select.ok()) return SqliteError(db_, path_, "reading");
  select.Bind(1, at_ms - kWindowMs);
  select.Bind(2, at_ms);
  int64_t redeemed = 0;
  int stepped;
  while ((stepped = select.Step()) == SQLITE_ROW) {
    Mutation recorded;
    if (!recorded.ParseFromString(select.Blob(0))) {
      return absl::DataLossError(absl::StrCat(
          "journal ", path_, ": a recorded redemption cannot be read"));
    }
    if (recorded.redeem().member_id() == member_id) {
      redeemed += recorded.redeem().points();
    }
  }
  if (stepped != SQLITE_DONE) return SqliteError(db_, path_, "reading");
  return std::max<int64_t>(0, allowance - redeemed);
}

absl::StatusOr<std::vector<JournalEntry>> OfflineJournal::Select(
    JournalState state, int limit) const {
  absl::MutexLock lock(&mutex_);
  Statement select(
      db_,
      absl::StrCat(kSelectColumns, "WHERE state = ? ORDER BY sequence LIMIT ?")
          .c_str());
  if (!select.ok()) return SqliteError(db_, path_, "reading");
  select.Bind(1, static_cast<int64_t>(state));
  select.Bind(2, static_cast<int64_t>(limit));
  std::vector<JournalEntry> entries;
  int stepped;
  while ((stepped = select.Step()) == SQLITE_ROW) {
    absl::StatusOr<JournalEntry> entry = ReadEntry(select, path_);
    if (!entry.ok()) return entry.status();
    entries.push_back(*std::move(entry));
  }
  if (stepped != SQLITE_DONE) return SqliteError(db_, path_, "reading");
  return entries;
}

absl::StatusOr<std::vector<JournalEntry>> OfflineJournal::Pending(
    int limit) const {
  return Select(JournalState::kPending, limit);
}

absl::StatusOr<std::vector<JournalEntry>> OfflineJournal::Refused(
    int limit) const {
  return Select(JournalState::kRefused, limit);
}

absl::Status OfflineJournal::RecordResults(
    const std::vector<JournalEntry>& sent,
    const loyalty::v1::SubmitBatchResponse& response, int64_t now_ms) {
  if (static_cast<size_t>(response.results_size()) != sent.size()) {
    return absl::DataLossError(
        absl::StrCat("journal: the server answered ", response.results_size(),
                     " results for a batch of ", sent.size(), " events"));
  }
  absl::MutexLock lock(&mutex_);
  if (absl::Status begun = Exec(db_, path_, "BEGIN IMMEDIATE"); !begun.ok()) {
    return begun;
  }
  Statement update(db_,
                   "UPDATE events SET state = ?, code = ?, reason = ?, "
                   "message = ?, answered_at_ms = ?, attempts = attempts + 1 "
                   "WHERE sequence = ? AND state = 0");
  Statement still_pending(
      db_, "UPDATE events SET attempts = attempts + 1 WHERE sequence = ?");
  if (!update.ok() || !still_pending.ok()) {
    Exec(db_, path_, "ROLLBACK").IgnoreError();
    return SqliteError(db_, path_, "noting answers");
  }
  for (size_t i = 0; i < sent.size(); ++i) {
    const loyalty::v1::MutationResult& result =
        response.results(static_cast<int>(i));
    Statement* statement = &update;
    if (result.code() != 0 && contract::IsTransientCode(result.code())) {
      // Not an answer: it goes again, with its request id, next time.
      statement = &still_pending;
      statement->Bind(1, sent[i].sequence);
    } else {
      const JournalState state =
          result.code() == 0 ? JournalState::kApplied : JournalState::kRefused;
      update.Bind(1, static_cast<int64_t>(state));
      update.Bind(2, static_cast<int64_t>(result.code()));
      update.Bind(3, result.code() == 0 || result.reason() == 0
                         ? std::string()
                         : loyalty::v1::ErrorReason_Name(result.reason()));
      update.Bind(4, result.message());
      update.Bind(5, now_ms);
      update.Bind(6, sent[i].sequence);
    }
    const int stepped = statement->Step();
    sqlite3_reset(statement->get());
    if (stepped != SQLITE_DONE) {
      absl::Status failed = SqliteError(db_, path_, "noting answers");
      Exec(db_, path_, "ROLLBACK").IgnoreError();
      return failed;
    }
  }
  Statement synced(db_,
                   "UPDATE sync_status SET last_error = '', "
                   "last_error_at_ms = 0, last_sync_at_ms = ? WHERE id = 1");
  if (!synced.ok()) {
    Exec(db_, path_, "ROLLBACK").IgnoreError();
    return SqliteError(db_, path_, "noting answers");
  }
  synced.Bind(1, now_ms);
  if (synced.Step() != SQLITE_DONE) {
    absl::Status failed = SqliteError(db_, path_, "noting answers");
    Exec(db_, path_, "ROLLBACK").IgnoreError();
    return failed;
  }
  return Exec(db_, path_, "COMMIT");
}

absl::Status OfflineJournal::RecordSyncFailure(const absl::Status& failure,
                                               int64_t now_ms) {
  absl::MutexLock lock(&mutex_);
  Statement update(db_,
                   "UPDATE sync_status SET last_error = ?, "
                   "last_error_at_ms = ? WHERE id = 1");
  if (!update.ok()) return SqliteError(db_, path_, "noting a failure");
  // Code and message for people; payloads (the outcome-unknown marker)
  // say nothing to a cashier.
  update.Bind(1, absl::StrCat(absl::StatusCodeToString(failure.code()), ": ",
                              failure.message()));
  update.Bind(2, now_ms);
  if (update.Step() != SQLITE_DONE) {
    return SqliteError(db_, path_, "noting a failure");
  }
  return absl::OkStatus();
}

absl::StatusOr<JournalStatus> OfflineJournal::Status() const {
  absl::MutexLock lock(&mutex_);
  JournalStatus status;
  Statement counts(db_, "SELECT state, count(*) FROM events GROUP BY state");
  if (!counts.ok()) return SqliteError(db_, path_, "reading");
  int stepped;
  while ((stepped = counts.Step()) == SQLITE_ROW) {
    switch (counts.Int(0)) {
      case 0:
        status.pending = counts.Int(1);
        break;
      case 1:
        status.applied = counts.Int(1);
        break;
      case 2:
        status.refused = counts.Int(1);
        break;
      default:
        return absl::DataLossError(absl::StrCat(
            "journal ", path_, ": events with state ", counts.Int(0)));
    }
  }
  if (stepped != SQLITE_DONE) return SqliteError(db_, path_, "reading");
  Statement oldest(db_,
                   "SELECT occurred_at_ms FROM events WHERE state = 0 "
                   "ORDER BY sequence LIMIT 1");
  if (!oldest.ok()) return SqliteError(db_, path_, "reading");
  if (oldest.Step() == SQLITE_ROW) {
    status.oldest_pending_occurred_at_ms = oldest.Int(0);
  }
  Statement sync(db_,
                 "SELECT last_error, last_error_at_ms, last_sync_at_ms "
                 "FROM sync_status WHERE id = 1");
  if (!sync.ok() || sync.Step() != SQLITE_ROW) {
    return SqliteError(db_, path_, "reading");
  }
  status.last_error = sync.Text(0);
  status.last_error_at_ms = sync.Int(1);
  status.last_sync_at_ms = sync.Int(2);
  return status;
}

}  // namespace loyalty::client
