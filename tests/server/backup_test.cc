// Backups and restores (AdminService.Backup, ledger/backup/): a backup made
// while writers keep earning restores into a ledger that verifies, ends at
// the backup's head and holds every write acknowledged before the backup
// was asked for, exactly as acknowledged; the Backup RPC's refusals (not
// configured, bad and taken names, one at a time, roles), loyaltyd's
// --backup-dir checks; and every refusal of a restore (a data directory
// that is not empty, a missing, damaged or edited manifest, a damaged or
// extra file, another identifier key), each leaving the data directory as
// it was.
#include "ledger/backup/backup.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "catch2/catch.hpp"
#include "ledger/backup/restore.h"
#include "ledger/common/hashing.h"
#include "ledger/common/status_util.h"
#include "ledger/storage/memory_store.h"
#include "server/backups.h"
#include "server_test_util.h"

namespace loyalty::testing {
namespace {

namespace fs = std::filesystem;

using loyalty::v1::BackupRequest;
using loyalty::v1::BackupResponse;

// One acknowledged EARN entry: where it is and what its hash is.
struct Acknowledged {
  uint64_t sequence = 0;
  std::string hash;
};

// Earns `orders` orders of 1.00 EUR for `member_id` in one EarnBatch call
// and appends each acknowledged entry to `acknowledged`. False when the call
// or an event failed (no Catch2 assertion: writers run on threads).
bool EarnBatch(loyalty::v1::LoyaltyService::Stub& stub,
               const std::string& member_id, int batch_index, int orders,
               std::vector<Acknowledged>& acknowledged) {
  loyalty::v1::EarnBatchRequest batch;
  for (int i = 0; i < orders; ++i) {
    loyalty::v1::EarnRequest* order = batch.add_events();
    const std::string id = absl::StrCat(member_id, "-", batch_index, "-", i);
    order->mutable_context()->set_request_id(id);
    order->mutable_context()->set_channel(loyalty::v1::CHANNEL_APP);
    order->set_member_id(member_id);
    order->set_order_id(id);
    order->set_currency("EUR");
    loyalty::v1::BasketLine* line = order->add_lines();
    line->set_sku("MUG");
    line->set_quantity(1);
    line->set_unit_price_minor(100);
  }
  loyalty::v1::EarnBatchResponse results;
  auto context = ContextWithKey("admin-key");
  if (!stub.EarnBatch(context.get(), batch, &results).ok()) return false;
  for (const auto& result : results.results()) {
    if (result.code() != 0) return false;
    acknowledged.push_back(Acknowledged{result.response().entry().sequence(),
                                        result.response().entry().hash()});
  }
  return true;
}

grpc::Status CallBackup(TestServer& server, const std::string& name,
                        BackupResponse* response, std::string* reason,
                        const std::string& key = "admin-key") {
  BackupRequest request;
  request.set_name(name);
  auto context = ContextWithKey(key);
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(120));
  grpc::Status status =
      server.AdminStub()->Backup(context.get(), request, response);
  if (reason != nullptr) *reason = ReasonOf(*context);
  return status;
}

ServerOptions OptionsWithBackups(const std::string& data_dir,
                                 const std::string& backup_dir) {
  ServerOptions options = TestServerOptions(data_dir);
  options.backup_dir = backup_dir;
  return options;
}

// What loyaltyd's --restore-from does (server/main.cc), with the test
// program and the test servers' identifier key unless told otherwise.
RestoreOptions RestoreOptionsFor(const std::string& backup,
                                 const std::string& data_dir,
                                 const Clock* clock) {
  RestoreOptions restore;
  restore.backup_path = backup;
  restore.data_dir = data_dir;
  restore.program = TestProgram();
  restore.clock = clock;
  restore.ledger = TestServerOptions(data_dir).ledger;
  restore.open_store = [](const std::string& path)
      -> absl::StatusOr<std::unique_ptr<LedgerStore>> {
    absl::StatusOr<std::unique_ptr<RocksDbStore>> store =
        RocksDbStore::Open(path, RocksDbOptions{});
    if (!store.ok()) return store.status();
    absl::Status checked = (*store)->VerifyChecksums();
    if (!checked.ok()) return checked;
    return std::unique_ptr<LedgerStore>(std::move(*store));
  };
  return restore;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Names and contents of every file under `dir`, to prove it unchanged.
std::map<std::string, std::string> Contents(const fs::path& dir) {
  std::map<std::string, std::string> contents;
  if (!fs::exists(dir)) return contents;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      contents[fs::relative(entry.path(), dir).string()] =
          ReadFile(entry.path());
    }
  }
  return contents;
}

// A backup of a small ledger (three members, 300 earns) in root/name, made
// by a server that is shut down again; its response.
BackupResponse MakeSmallBackup(const TempDir& root, const std::string& name) {
  const std::string backups = root.path() + "/backups";
  fs::create_directories(backups);
  TestServer server(OptionsWithBackups(root.path() + "/source", backups),
                    nullptr);
  auto stub = server.LoyaltyStub();
  for (const std::string member : {"ana", "ben", "cem"}) {
    EnrollAppMember(server, member);
    std::vector<Acknowledged> acknowledged;
    REQUIRE(EarnBatch(*stub, member, 0, 100, acknowledged));
  }
  BackupResponse response;
  REQUIRE(CallBackup(server, name, &response, nullptr).ok());
  server.Shutdown();
  return response;
}

// A copy of the backup (never its hard links: the test edits the copy).
std::string CopyOfBackup(const TempDir& root, const std::string& name,
                         const std::string& copy_name) {
  const fs::path copy = fs::path(root.path()) / copy_name;
  fs::copy(fs::path(root.path()) / "backups" / name, copy,
           fs::copy_options::recursive);
  return copy.string();
}

TEST_CASE(
    "a backup made while writers earn restores into a ledger that "
    "verifies and holds every write acknowledged before it",
    "[server][backup]") {
  TempDir dir;
  const std::string backups = dir.path() + "/backups";
  fs::create_directories(backups);
  TestServer server(OptionsWithBackups(dir.path() + "/data", backups), nullptr);
  constexpr int kWriters = 4;
  for (int w = 0; w < kWriters; ++w) EnrollAppMember(server, absl::StrCat("m", w));
  {
    // Some history before the writers start: several memtables' worth of
    // files for the checkpoint.
    auto stub = server.LoyaltyStub();
    std::vector<Acknowledged> ignored;
    for (int b = 0; b < 20; ++b) {
      REQUIRE(EarnBatch(*stub, "m0", 1000 + b, 500, ignored));
    }
  }

  absl::Mutex mutex;
  std::vector<Acknowledged> acknowledged;  // Guarded by mutex.
  std::atomic<bool> stop{false};
  std::atomic<int> failed_calls{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto stub = server.LoyaltyStub();
      for (int b = 0; !stop.load(); ++b) {
        std::vector<Acknowledged> mine;
        if (!EarnBatch(*stub, absl::StrCat("m", w), b, 20, mine)) {
          ++failed_calls;
          return;
        }
        absl::MutexLock lock(&mutex);
        acknowledged.insert(acknowledged.end(), mine.begin(), mine.end());
      }
    });
  }
  // Let the writers get going, then take the backup under their load.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  size_t acknowledged_before = 0;
  {
    absl::MutexLock lock(&mutex);
    acknowledged_before = acknowledged.size();
  }
  BackupResponse backup;
  std::string reason;
  const grpc::Status status =
      CallBackup(server, "under-load", &backup, &reason);
  size_t acknowledged_after = 0;
  {
    absl::MutexLock lock(&mutex);
    acknowledged_after = acknowledged.size();
  }
  // The service kept serving: writes go on after the backup too.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  for (std::thread& writer : writers) writer.join();
  INFO(status.error_message() << " " << reason);
  REQUIRE(status.ok());
  REQUIRE(failed_calls == 0);
  REQUIRE(acknowledged_before > 0);
  WARN("earns acknowledged while the backup ran: "
       << acknowledged_after - acknowledged_before << "; backup took "
       << backup.duration_ms() << " ms, " << backup.files() << " files, "
       << backup.size_bytes() << " bytes");

  CHECK(backup.name() == "under-load");
  CHECK(backup.files() > 0);
  CHECK(backup.size_bytes() > 0);
  CHECK(backup.identifier_key_check_hex().size() == 64);
  CHECK(backup.last_hash_hex().size() == 64);
  const fs::path backup_dir = fs::path(backups) / "under-load";
  CHECK(fs::exists(backup_dir / std::string(kBackupManifestFileName)));
  CHECK_FALSE(fs::exists(fs::path(backups) / ".under-load.partial"));
  absl::StatusOr<loyalty::storage::v1::BackupManifest> manifest =
      ReadBackupManifest(backup_dir.string());
  REQUIRE(manifest.ok());
  CHECK(manifest->last_sequence() == backup.last_sequence());
  CHECK(manifest->last_hash_hex() == backup.last_hash_hex());
  CHECK(static_cast<uint64_t>(manifest->files_size()) == backup.files());

  loyalty::v1::ServerStats stats;
  {
    auto context = ContextWithKey("admin-key");
    REQUIRE(server.AdminStub()->GetServerStats(context.get(), {}, &stats).ok());
  }
  CHECK(stats.backups() == 1);
  CHECK(stats.backup_failures() == 0);
  CHECK(stats.last_backup_name() == "under-load");
  CHECK(stats.last_backup_sequence() == backup.last_sequence());
  const uint64_t live_head = server.server().ledger().DurableSequence();
  CHECK(live_head > backup.last_sequence());  // Writes went on after it.
  server.Shutdown();

  // Restore into a new directory and serve it.
  const std::string restored_dir = dir.path() + "/restored";
  SystemClock clock;
  absl::StatusOr<RestoreReport> report = RestoreBackup(
      RestoreOptionsFor(backup_dir.string(), restored_dir, &clock));
  INFO(report.status().ToString());
  REQUIRE(report.ok());
  CHECK(report->verify.ok());
  CHECK(report->verify.last_sequence() == backup.last_sequence());
  CHECK_FALSE(fs::exists(restored_dir + ".restoring"));

  TestServer restored(TestServerOptions(restored_dir), nullptr);
  loyalty::v1::VerifyLedgerResponse verify;
  {
    auto context = ContextWithKey("auditor-key");
    REQUIRE(
        restored.AdminStub()->VerifyLedger(context.get(), {}, &verify).ok());
  }
  CHECK(verify.ok());
  CHECK(verify.last_sequence() == backup.last_sequence());
  CHECK(verify.last_hash_hex() == backup.last_hash_hex());

  // Every write acknowledged before the backup was asked for is in it, and
  // every acknowledged write up to its head, exactly as acknowledged; none
  // after the head.
  int checked_before = 0;
  int present = 0;
  for (size_t i = 0; i < acknowledged.size(); ++i) {
    const Acknowledged& ack = acknowledged[i];
    if (i < acknowledged_before) {
      ++checked_before;
      REQUIRE(ack.sequence <= backup.last_sequence());
    }
    if (ack.sequence > backup.last_sequence()) continue;
    absl::StatusOr<loyalty::v1::LedgerEntry> entry =
        restored.server().ledger().ReadEntry(ack.sequence);
    INFO("entry " << ack.sequence);
    REQUIRE(entry.ok());
    REQUIRE(entry->hash() == ack.hash);
    ++present;
  }
  CHECK(checked_before == static_cast<int>(acknowledged_before));
  CHECK(present >= checked_before);
  CHECK_FALSE(
      restored.server().ledger().ReadEntry(backup.last_sequence() + 1).ok());
}

TEST_CASE(
    "Backup is refused without --backup-dir, for a bad or taken name "
    "and for a key that is not an admin's, and writes nothing",
    "[server][backup]") {
  TempDir dir;
  SECTION("not configured") {
    TestServer server(dir.path() + "/data");
    BackupResponse response;
    std::string reason;
    const grpc::Status status =
        CallBackup(server, "nightly", &response, &reason);
    CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
    CHECK(reason == "ERROR_REASON_BACKUP_NOT_CONFIGURED");
    CHECK(absl::StrContains(status.error_message(), "--backup-dir"));
  }
  SECTION("bad names, a taken name, roles") {
    const std::string backups = dir.path() + "/backups";
    fs::create_directories(backups);
    TestServer server(OptionsWithBackups(dir.path() + "/data", backups),
                      nullptr);
    for (const std::string& name :
         {std::string(), std::string(".."), std::string("."),
          std::string("../escape"), std::string("a/b"), std::string("/tmp/x"),
          std::string(".hidden"), std::string("-dash"),
          std::string("has space"), std::string(65, 'a')}) {
      BackupResponse response;
      std::string reason;
      const grpc::Status status = CallBackup(server, name, &response, &reason);
      INFO("name \"" << name << "\": " << status.error_message());
      CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
      CHECK(absl::StartsWith(status.error_message(), "name:"));
    }
    CHECK(fs::is_empty(backups));  // Nothing was written for any of them.
    CHECK_FALSE(fs::exists(dir.path() + "/escape"));

    BackupResponse auditor_try;
    CHECK(CallBackup(server, "nightly", &auditor_try, nullptr, "auditor-key")
              .error_code() == grpc::StatusCode::PERMISSION_DENIED);
    CHECK(fs::is_empty(backups));

    BackupResponse first;
    REQUIRE(CallBackup(server, std::string(64, 'n'), &first, nullptr).ok());
    REQUIRE(CallBackup(server, "nightly", &first, nullptr).ok());
    const fs::path manifest =
        fs::path(backups) / "nightly" / std::string(kBackupManifestFileName);
    const std::string manifest_before = ReadFile(manifest);
    EnrollAppMember(server, "after-the-backup");
    BackupResponse again;
    std::string reason;
    const grpc::Status status = CallBackup(server, "nightly", &again, &reason);
    CHECK(status.error_code() == grpc::StatusCode::ALREADY_EXISTS);
    CHECK(reason == "ERROR_REASON_BACKUP_EXISTS");
    CHECK(absl::StrContains(status.error_message(), "nightly"));
    CHECK(ReadFile(manifest) == manifest_before);
    CHECK_FALSE(fs::exists(fs::path(backups) / ".nightly.partial"));

    loyalty::v1::ServerStats stats;
    auto context = ContextWithKey("admin-key");
    REQUIRE(server.AdminStub()->GetServerStats(context.get(), {}, &stats).ok());
    CHECK(stats.backups() == 2);
    CHECK(stats.backup_failures() == 0);  // A taken name is no failure.
  }
  SECTION("a backup cut short (a crash leaves NAME.partial) is redone whole") {
    const std::string backups = dir.path() + "/backups";
    // What a kill -9 in the middle of a backup leaves: the partial
    // directory, some files, no manifest, never the name itself.
    const fs::path partial = fs::path(backups) / ".weekly.partial";
    fs::create_directories(partial / "data");
    std::ofstream(partial / "data" / "left-by-the-crash")
        << "half a table file";
    TestServer server(OptionsWithBackups(dir.path() + "/data", backups),
                      nullptr);
    BackupResponse response;
    REQUIRE(CallBackup(server, "weekly", &response, nullptr).ok());
    CHECK_FALSE(fs::exists(partial));
    CHECK(fs::exists(fs::path(backups) / "weekly" /
                     std::string(kBackupManifestFileName)));
    CHECK_FALSE(fs::exists(fs::path(backups) / "weekly" / "data" /
                           "left-by-the-crash"));
    CHECK(ReadBackupManifest((fs::path(backups) / "weekly").string()).ok());
  }
}

TEST_CASE(
    "Backups is one at a time: a second is BACKUP_IN_PROGRESS until "
    "the first has finished",
    "[server][backup]") {
  TempDir dir;
  const std::string backups = dir.path() + "/backups";
  fs::create_directories(backups);
  // The slot itself, without racing two RPCs against a fast checkpoint.
  MemoryStore store;
  SystemClock clock;
  absl::StatusOr<std::unique_ptr<Ledger>> ledger =
      Ledger::Open(&store, TestProgram(), &clock, LedgerOptions{});
  REQUIRE(ledger.ok());
  Backups slots(ledger->get(), backups);
  BackupRequest request;
  request.set_name("first");
  REQUIRE(slots.Admit(request).ok());
  request.set_name("second");
  const absl::Status busy = slots.Admit(request);
  CHECK(absl::IsFailedPrecondition(busy));
  CHECK(loyalty::ReasonOf(busy) ==
        loyalty::v1::ERROR_REASON_BACKUP_IN_PROGRESS);
  // The in-memory store has no files: the admitted backup fails, says so,
  // leaves nothing behind and frees the slot.
  request.set_name("first");
  absl::StatusOr<BackupResponse> made = slots.Run(request);
  CHECK(absl::IsFailedPrecondition(made.status()));
  CHECK(fs::is_empty(backups));
  request.set_name("second");
  CHECK(slots.Admit(request).ok());
}

TEST_CASE(
    "loyaltyd refuses a --backup-dir that is missing, or the data "
    "directory or inside it, before it opens storage",
    "[server][backup]") {
  TempDir dir;
  SystemClock clock;
  const std::string data = dir.path() + "/data";
  for (const std::string& backup_dir :
       {dir.path() + "/missing", data, data + "/backups"}) {
    fs::create_directories(data);
    if (backup_dir != dir.path() + "/missing") {
      fs::create_directories(backup_dir);
    }
    absl::StatusOr<std::unique_ptr<LoyaltyServer>> server =
        LoyaltyServer::Start(TestProgram(),
                             OptionsWithBackups(data, backup_dir), &clock);
    INFO(backup_dir << ": " << server.status().ToString());
    CHECK(absl::IsInvalidArgument(server.status()));
    CHECK(absl::StartsWith(server.status().message(), "--backup-dir:"));
  }
  CHECK_FALSE(fs::exists(data + "/CURRENT"));  // Storage never opened.
}

TEST_CASE(
    "a restore refuses a data directory that is not empty, a backup "
    "that is not whole or was changed, and another identifier key, "
    "and leaves the data directory as it was",
    "[server][backup][restore]") {
  TempDir root;
  const BackupResponse made = MakeSmallBackup(root, "b1");
  const std::string backup = root.path() + "/backups/b1";
  const std::string target = root.path() + "/target";
  SystemClock clock;

  auto refused = [&](const std::string& backup_path,
                     const RestoreOptions& options) {
    const auto before = Contents(target);
    const bool existed = fs::exists(target);
    absl::StatusOr<RestoreReport> report = RestoreBackup(options);
    INFO(backup_path << ": " << report.status().ToString());
    CHECK_FALSE(report.ok());
    CHECK(fs::exists(target) == existed);
    CHECK(Contents(target) == before);
    CHECK_FALSE(fs::exists(target + ".restoring"));
    return report.status();
  };

  SECTION("a data directory that is not empty") {
    fs::create_directories(target);
    WriteFile(fs::path(target) / "notes.txt", "keep me");
    const absl::Status status =
        refused(backup, RestoreOptionsFor(backup, target, &clock));
    CHECK(absl::IsInvalidArgument(status));
    CHECK(absl::StartsWith(status.message(), "--data-dir:"));
    CHECK(absl::StrContains(status.message(), "not empty"));
  }
  SECTION("an empty data directory is restored into") {
    fs::create_directories(target);
    absl::StatusOr<RestoreReport> report =
        RestoreBackup(RestoreOptionsFor(backup, target, &clock));
    REQUIRE(report.ok());
    CHECK(report->verify.last_sequence() == made.last_sequence());
    CHECK(fs::exists(fs::path(target) / "CURRENT"));
  }
  SECTION("a missing backup or manifest") {
    CHECK(absl::IsNotFound(refused(
        "missing", RestoreOptionsFor(root.path() + "/nope", target, &clock))));
    const std::string copy = CopyOfBackup(root, "b1", "no-manifest");
    fs::remove(fs::path(copy) / std::string(kBackupManifestFileName));
    const absl::Status status =
        refused(copy, RestoreOptionsFor(copy, target, &clock));
    CHECK(absl::IsNotFound(status));
    CHECK(absl::StartsWith(status.message(), "--restore-from:"));
    CHECK(absl::StrContains(status.message(), "no whole backup"));
  }
  SECTION("an edited manifest: another head, a manifest that does not parse") {
    const std::string copy = CopyOfBackup(root, "b1", "edited");
    const fs::path manifest =
        fs::path(copy) / std::string(kBackupManifestFileName);
    const std::string text = ReadFile(manifest);
    const std::string head_line =
        absl::StrCat("last_sequence: ", made.last_sequence());
    REQUIRE(absl::StrContains(text, head_line));
    WriteFile(manifest,
              absl::StrReplaceAll(
                  text, {{head_line, absl::StrCat("last_sequence: ",
                                                  made.last_sequence() - 1)}}));
    absl::Status status =
        refused(copy, RestoreOptionsFor(copy, target, &clock));
    CHECK(absl::IsDataLoss(status));
    CHECK(absl::StrContains(status.message(), "the manifest says entry"));

    std::string other_hash = made.last_hash_hex();
    other_hash[0] = other_hash[0] == '0' ? '1' : '0';
    WriteFile(manifest,
              absl::StrReplaceAll(text, {{made.last_hash_hex(), other_hash}}));
    status = refused(copy, RestoreOptionsFor(copy, target, &clock));
    CHECK(absl::IsDataLoss(status));

    WriteFile(manifest, text + "\nno_such_field: 1\n");
    status = refused(copy, RestoreOptionsFor(copy, target, &clock));
    CHECK(absl::IsDataLoss(status));
    CHECK(absl::StrContains(status.message(), "no_such_field"));
  }
  SECTION("a damaged, a truncated, a missing and an extra file") {
    const std::string copy = CopyOfBackup(root, "b1", "damaged");
    const fs::path data = fs::path(copy) / "data";
    fs::path largest;
    for (const auto& entry : fs::directory_iterator(data)) {
      if (entry.path().extension() == ".sst" &&
          (largest.empty() || entry.file_size() > fs::file_size(largest))) {
        largest = entry.path();
      }
    }
    REQUIRE(!largest.empty());
    const std::string original = ReadFile(largest);
    REQUIRE(original.size() > 256);
    std::string damaged = original;
    for (size_t i = 64; i < 96; ++i)
      damaged[i] = static_cast<char>(~damaged[i]);
    WriteFile(largest, damaged);  // Same size: only the checksums can tell.
    absl::Status status =
        refused(copy, RestoreOptionsFor(copy, target, &clock));
    CHECK(absl::IsDataLoss(status));

    WriteFile(largest, original.substr(0, original.size() - 1));
    status = refused(copy, RestoreOptionsFor(copy, target, &clock));
    CHECK(absl::IsDataLoss(status));
    CHECK(absl::StrContains(status.message(), "the manifest says"));

    fs::remove(largest);
    status = refused(copy, RestoreOptionsFor(copy, target, &clock));
    CHECK(absl::IsDataLoss(status));
    CHECK(absl::StrContains(status.message(), "missing"));

    WriteFile(largest, original);
    WriteFile(data / "000999.sst", "stray");
    status = refused(copy, RestoreOptionsFor(copy, target, &clock));
    CHECK(absl::IsDataLoss(status));
    CHECK(absl::StrContains(status.message(), "not listed"));
  }
  SECTION("another identifier key, or none") {
    RestoreOptions other_key = RestoreOptionsFor(backup, target, &clock);
    other_key.ledger.identifier_key = "another-identifier-key-entirely";
    absl::Status status = refused(backup, other_key);
    CHECK(absl::IsFailedPrecondition(status));
    CHECK(absl::StartsWith(status.message(), "--identifier-key-file:"));

    RestoreOptions no_key = RestoreOptionsFor(backup, target, &clock);
    no_key.ledger.identifier_key.clear();
    status = refused(backup, no_key);
    CHECK(absl::IsFailedPrecondition(status));
  }
}

}  // namespace
}  // namespace loyalty::testing
