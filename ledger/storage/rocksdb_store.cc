#include "ledger/storage/rocksdb_store.h"

#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"

#include <cstdarg>
#include <cstdio>
#include "rocksdb/file_system.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"

namespace loyalty {
namespace {

rocksdb::Slice ToSlice(absl::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}

// The one place RocksDB's status becomes ours.
absl::Status Translate(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(what, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsBusy() || s.IsTryAgain()) return absl::AbortedError(message);
  if (s.IsInvalidArgument()) return absl::InternalError(message);
  // IO errors, no space, shutdown in progress: the caller may retry later.
  return absl::UnavailableError(message);
}

// RocksDB's own diagnostics go to stderr, warnings and worse only. Its
// default is a LOG file in the data directory, and on a full disk Debian's
// RocksDB 7.8 (built with assertions on) aborts the process when it writes
// to that file again after a failed write. Keeping the log off the data
// disk keeps loyaltyd up, answering UNAVAILABLE, when the disk fills.
class StderrLogger final : public rocksdb::Logger {
 public:
  StderrLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list args) override {
    char line[1024];
    std::vsnprintf(line, sizeof(line), format, args);
    std::fprintf(stderr, "rocksdb: %s\n", line);
  }
};

// The database options every open uses (the data directory, and a backup's
// copy opened read-only).
rocksdb::Options DatabaseOptions(const RocksDbOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  // Bounds the log a restart after a crash must replay: past this, RocksDB
  // flushes the families that hold the oldest log. Four memtables' worth:
  // at 2x (64 MiB of 32 MiB memtables) the log passed the limit about half
  // a second after every memtable switch, switched all families a second
  // time while the first flush ran, and writes stopped for 40-130 ms
  // (measured; docs/BENCHMARKS.md, "The tail").
  db_options.max_total_wal_size =
      4 * static_cast<uint64_t>(options.write_buffer_bytes);
  // Every family is flushed together. Flushed one by one, a write whose WAL
  // sync failed could come back after a restart in some families and not in
  // others (the flushed ones skip that log on replay): a head and member
  // state naming an entry the entries family lacks. Seen in the storage
  // fault test under CPU load; this keeps a batch all-or-nothing.
  db_options.atomic_flush = true;
  db_options.info_log = std::make_shared<StderrLogger>();
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  return db_options;
}

// One descriptor per Family, after the default family (which the ledger does
// not use), all with the same options.
std::vector<rocksdb::ColumnFamilyDescriptor> FamilyDescriptors(
    const RocksDbOptions& options) {
  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = rocksdb::NewLRUCache(
      static_cast<size_t>(options.block_cache_bytes));
  // Index and bloom filter blocks stay resident outside the block cache:
  // nearly every request id and order id the writer looks up is new, and
  // with filters evicted each such miss became a disk read (measured: a
  // third of loyaltyd's CPU in pread at 1M members). They cost about 1.25
  // bytes per key.
  table_options.cache_index_and_filter_blocks = false;
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));

  rocksdb::ColumnFamilyOptions family_options;
  family_options.write_buffer_size =
      static_cast<size_t>(options.write_buffer_bytes);
  // One memtable filling while the previous one is still being flushed must
  // not stop writes: a third may be open meanwhile.
  family_options.max_write_buffer_number = 3;
  // A bloom filter over memtable keys: the writer looks up every request id
  // and order id, and nearly all are new, so most lookups are misses that
  // the filter answers without walking the skip list.
  family_options.memtable_prefix_bloom_size_ratio = 0.05;
  family_options.memtable_whole_key_filtering = true;
  family_options.table_factory.reset(
      rocksdb::NewBlockBasedTableFactory(table_options));
  // Flushes and the first compaction store their files uncompressed: they
  // are short-lived and rewritten soon, and compressing them cost 5% of
  // loyaltyd's CPU on the batch path (snappy in the flush and compaction
  // threads, which share the cores with the writer). Deeper levels, where
  // the data stays, keep snappy.
  family_options.compression_per_level = {
      rocksdb::kNoCompression, rocksdb::kNoCompression,
      rocksdb::kSnappyCompression, rocksdb::kSnappyCompression,
      rocksdb::kSnappyCompression, rocksdb::kSnappyCompression,
      rocksdb::kSnappyCompression};

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, family_options);
  for (int i = 0; i < kFamilyCount; ++i) {
    descriptors.emplace_back(std::string(FamilyName(static_cast<Family>(i))),
                             family_options);
  }
  return descriptors;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RocksDbStore>> RocksDbStore::Open(
    const std::string& path, const RocksDbOptions& options) {
  // Create the directory first: RocksDB would log a spurious error for it.
  std::error_code created;
  std::filesystem::create_directories(path, created);
  if (created) {
    return absl::UnavailableError(absl::StrCat(
        "cannot create data directory ", path, ": ", created.message()));
  }
  rocksdb::Options db_options = DatabaseOptions(options);
  std::unique_ptr<rocksdb::Env> env;
  if (options.file_system != nullptr) {
    // The Default Env's threads and clock over the given file system.
    env = rocksdb::NewCompositeEnv(options.file_system);
    db_options.env = env.get();
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors =
      FamilyDescriptors(options);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(db_options, path, descriptors, &handles, &raw_db);
  if (!s.ok()) return Translate(s, absl::StrCat("opening ", path));

  std::unique_ptr<RocksDbStore> store(new RocksDbStore());
  store->env_ = std::move(env);
  store->db_.reset(raw_db);
  // handles[0] is the default family, which the ledger does not use.
  store->handles_.assign(handles.begin() + 1, handles.end());
  raw_db->DestroyColumnFamilyHandle(handles[0]);
  return store;
}

absl::StatusOr<std::unique_ptr<RocksDbStore>> RocksDbStore::OpenReadOnly(
    const std::string& path, const RocksDbOptions& options) {
  rocksdb::Options db_options = DatabaseOptions(options);
  db_options.create_if_missing = false;
  db_options.create_missing_column_families = false;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors =
      FamilyDescriptors(options);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(db_options, path,
                                                   descriptors, &handles,
                                                   &raw_db);
  if (!s.ok()) return Translate(s, absl::StrCat("opening ", path));
  std::unique_ptr<RocksDbStore> store(new RocksDbStore());
  store->read_only_ = true;
  store->db_.reset(raw_db);
  store->handles_.assign(handles.begin() + 1, handles.end());
  raw_db->DestroyColumnFamilyHandle(handles[0]);
  return store;
}

// A RocksDB checkpoint rather than a BackupEngine: it is one consistent
// cut across every family (the WriteBatches of the ledger are atomic, so the
// copy holds whole batches only and its head names its last entry), it
// costs a memtable flush and hard links when the target is on the data
// directory's file system, and the result is a data directory that opens
// as it is, so it can be checked, copied off the host with any tool and
// restored without RocksDB's backup format. BackupEngine's incremental
// copies would save space only across backups kept side by side in its own
// layout; SST files are immutable and keep their names, so a copy of
// checkpoints off the host (rsync --link-dest, or an object store keyed by
// file name) is incremental too.
absl::StatusOr<std::unique_ptr<StoreReader>> RocksDbStore::Checkpoint(
    const std::string& path) const {
  // Removes what a failed attempt left: RocksDB builds the checkpoint in
  // PATH.tmp and renames it, and may leave either.
  auto remove_partial = [&path] {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
    std::filesystem::remove_all(path + ".tmp", ignored);
  };
  rocksdb::Checkpoint* raw_checkpoint = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(db_.get(), &raw_checkpoint);
  if (!s.ok()) return Translate(s, "preparing a checkpoint");
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw_checkpoint);
  // log_size_for_flush = 0: flush the memtables first (every family at once:
  // atomic_flush), so the copy is mostly linked SST files and a short log,
  // and opening it replays next to nothing. Writes go on meanwhile.
  s = checkpoint->CreateCheckpoint(path, /*log_size_for_flush=*/0);
  if (!s.ok()) {
    remove_partial();
    return Translate(s, absl::StrCat("writing checkpoint ", path));
  }
  // A small cache: the copy is opened to read its head, and as a check
  // that it opens at all.
  RocksDbOptions copy_options;
  copy_options.block_cache_bytes = 8ll << 20;
  absl::StatusOr<std::unique_ptr<RocksDbStore>> copy =
      OpenReadOnly(path, copy_options);
  if (!copy.ok()) {
    remove_partial();
    return copy.status();
  }
  return std::unique_ptr<StoreReader>(std::move(*copy));
}

absl::Status RocksDbStore::VerifyChecksums() const {
  return Translate(db_->VerifyChecksum(), "checking stored checksums");
}

RocksDbStore::~RocksDbStore() {
  if (db_ == nullptr) return;
  if (read_only_) {
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    }
    db_->Close().PermitUncheckedError();
    return;
  }
  // Flush the memtables so the next start has no write-ahead log to replay
  // (measured: 6 s to start on 5M entries without this). Best effort: the
  // WAL still holds everything if the flush fails (a full disk).
  rocksdb::FlushOptions flush;
  flush.wait = true;
  db_->Flush(flush, handles_).PermitUncheckedError();
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  db_->Close().PermitUncheckedError();
}

// A RocksDB snapshot, released when this view is destroyed.
class RocksDbSnapshot final : public StoreReader {
 public:
  explicit RocksDbSnapshot(const RocksDbStore* store)
      : store_(store), snapshot_(store->db_->GetSnapshot()) {}
  ~RocksDbSnapshot() override { store_->db_->ReleaseSnapshot(snapshot_); }
  absl::StatusOr<std::string> Get(Family family,
                                  absl::string_view key) const override {
    return store_->GetAt(snapshot_, family, key);
  }
  absl::Status Scan(Family family, absl::string_view lower,
                    absl::string_view upper, bool reverse,
                    const ScanVisitor& visit) const override {
    return store_->ScanAt(snapshot_, family, lower, upper, reverse, visit);
  }

 private:
  const RocksDbStore* store_;
  const rocksdb::Snapshot* snapshot_;
};

std::unique_ptr<StoreReader> RocksDbStore::Snapshot() const {
  return std::make_unique<RocksDbSnapshot>(this);
}

absl::StatusOr<std::string> RocksDbStore::Get(Family family,
                                              absl::string_view key) const {
  return GetAt(nullptr, family, key);
}

absl::Status RocksDbStore::Scan(Family family, absl::string_view lower,
                                absl::string_view upper, bool reverse,
                                const ScanVisitor& visit) const {
  return ScanAt(nullptr, family, lower, upper, reverse, visit);
}

absl::StatusOr<std::string> RocksDbStore::GetAt(
    const rocksdb::Snapshot* snapshot, Family family,
    absl::string_view key) const {
  std::string value;
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot;
  rocksdb::Status s = db_->Get(
      read_options, handles_[static_cast<int>(family)], ToSlice(key), &value);
  if (!s.ok()) return Translate(s, FamilyName(family));
  return value;
}

absl::Status RocksDbStore::Write(const WriteSet& writes) {
  rocksdb::WriteBatch batch(writes.byte_size() + 64 * writes.puts().size());
  for (const WriteSet::Put& put : writes.puts()) {
    rocksdb::ColumnFamilyHandle* handle = handles_[static_cast<int>(put.family)];
    rocksdb::Status s = put.erase
                            ? batch.Delete(handle, ToSlice(put.key))
                            : batch.Put(handle, ToSlice(put.key),
                                        ToSlice(put.value));
    if (!s.ok()) return Translate(s, "building write batch");
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = true;  // Promise 4: durable before acknowledged.
  return Translate(db_->Write(write_options, &batch), "writing batch");
}

absl::Status RocksDbStore::ScanAt(const rocksdb::Snapshot* snapshot,
                                  Family family, absl::string_view lower,
                                  absl::string_view upper, bool reverse,
                                  const ScanVisitor& visit) const {
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot;
  rocksdb::Slice lower_slice = ToSlice(lower);
  rocksdb::Slice upper_slice = ToSlice(upper);
  read_options.iterate_lower_bound = &lower_slice;
  if (!upper.empty()) read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(read_options, handles_[static_cast<int>(family)]));
  // Explicit seeks rather than SeekToFirst/SeekToLast, so the bounds hold
  // whatever the RocksDB version does with iterate_*_bound on those calls.
  if (!reverse) {
    it->Seek(lower_slice);
  } else if (upper.empty()) {
    it->SeekToLast();
  } else {
    it->SeekForPrev(upper_slice);
    if (it->Valid() && it->key() == upper_slice) it->Prev();
  }
  for (; it->Valid(); reverse ? it->Prev() : it->Next()) {
    rocksdb::Slice key = it->key();
    rocksdb::Slice value = it->value();
    if (!visit(absl::string_view(key.data(), key.size()),
               absl::string_view(value.data(), value.size()))) {
      break;
    }
  }
  return Translate(it->status(), FamilyName(family));
}

int64_t RocksDbStore::ApproximateMemoryBytes() const {
  uint64_t total = 0;
  // Per-family figures add up across families...
  for (const char* property :
       {"rocksdb.cur-size-all-mem-tables", "rocksdb.estimate-table-readers-mem"}) {
    uint64_t value = 0;
    if (db_->GetAggregatedIntProperty(property, &value)) total += value;
  }
  // ...but every family shares one block cache: count it once.
  uint64_t cache = 0;
  if (db_->GetIntProperty(handles_[0], "rocksdb.block-cache-usage", &cache)) {
    total += cache;
  }
  return static_cast<int64_t>(total);
}

RocksDbStore::Figures RocksDbStore::ReadFigures() const {
  auto summed = [this](const char* property) {
    uint64_t value = 0;
    return db_->GetAggregatedIntProperty(property, &value)
               ? static_cast<int64_t>(value)
               : int64_t{0};
  };
  // DB-wide properties: asked of the default family once.
  auto db_wide = [this](const char* property) {
    uint64_t value = 0;
    return db_->GetIntProperty(property, &value) ? static_cast<int64_t>(value)
                                                 : int64_t{0};
  };
  Figures figures;
  figures.sst_files_bytes = summed("rocksdb.total-sst-files-size");
  figures.pending_compaction_bytes =
      summed("rocksdb.estimate-pending-compaction-bytes");
  figures.immutable_memtables = summed("rocksdb.num-immutable-mem-table");
  figures.running_compactions = db_wide("rocksdb.num-running-compactions");
  figures.background_errors = db_wide("rocksdb.background-errors");
  figures.writes_stopped = db_wide("rocksdb.is-write-stopped");
  figures.delayed_write_rate_bytes =
      db_wide("rocksdb.actual-delayed-write-rate");
  return figures;
}

}  // namespace loyalty
