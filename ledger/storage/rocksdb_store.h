// File: ledger/storage/rocksdb_store.h
//
// The production LedgerStore: one RocksDB database, one column family per
// Family, every Write one rocksdb::WriteBatch written with sync=true.
//
// RocksDB statuses are translated here and nowhere else:
//   IsCorruption -> kDataLoss, IsBusy/IsTryAgain -> kAborted,
//   IsNotFound -> kNotFound, IO errors and no space -> kUnavailable.
//
// Fault injection: RocksDbOptions::file_system, when set, is the file system
// RocksDB does all its I/O through (tests/storage/ passes one that fails
// writes with "no space" on demand), the way leveldb's tests swap its Env.
#ifndef LOYALTY_LEDGER_STORAGE_ROCKSDB_STORE_H_
#define LOYALTY_LEDGER_STORAGE_ROCKSDB_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/storage/ledger_store.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Env;
class FileSystem;
class Snapshot;
}  // namespace rocksdb

namespace loyalty {

struct RocksDbOptions {
  // Shared block cache for reads; bounds read memory.
  int64_t block_cache_bytes = 256ll << 20;
  // Memtable size per column family before a flush.
  int64_t write_buffer_bytes = 32ll << 20;
  // The file system under the database; nullptr means the local one
  // (rocksdb::FileSystem::Default()). Only tests set it, to inject faults.
  std::shared_ptr<rocksdb::FileSystem> file_system;
};

class RocksDbStore final : public LedgerStore {
 public:
  // Opens (creating if missing) the database in directory `path`.
  // Unavailable when the directory cannot be used (locked by another
  // process, unwritable); DataLoss when the database is corrupt.
  static absl::StatusOr<std::unique_ptr<RocksDbStore>> Open(
      const std::string& path, const RocksDbOptions& options);
  ~RocksDbStore() override;

  absl::StatusOr<std::string> Get(Family family,
                                  absl::string_view key) const override;
  absl::Status Write(const WriteSet& writes) override;
  std::unique_ptr<StoreReader> Snapshot() const override;
  // A RocksDB checkpoint (why one: rocksdb_store.cc), opened read-only.
  absl::StatusOr<std::unique_ptr<StoreReader>> Checkpoint(
      const std::string& path) const override;

  // Reads every stored file and checks its block checksums: OK, or
  // DataLoss naming the corrupt file. A restore runs it before it trusts a
  // copied backup.
  absl::Status VerifyChecksums() const;
  absl::Status Scan(Family family, absl::string_view lower,
                    absl::string_view upper, bool reverse,
                    const ScanVisitor& visit) const override;

  // Estimated bytes of memory RocksDB holds (memtables, block cache, table
  // readers); for metrics.
  int64_t ApproximateMemoryBytes() const;

  // RocksDB's own figures an operator watches (loyaltyd's metrics), summed
  // over the column families; a figure RocksDB cannot give is 0.
  struct Figures {
    int64_t sst_files_bytes = 0;           // rocksdb.total-sst-files-size
    int64_t pending_compaction_bytes = 0;  // ...estimate-pending-compaction-bytes
    int64_t running_compactions = 0;       // ...num-running-compactions
    int64_t immutable_memtables = 0;       // ...num-immutable-mem-table
    int64_t background_errors = 0;         // ...background-errors, since open
    int64_t writes_stopped = 0;            // ...is-write-stopped (0 or 1)
    int64_t delayed_write_rate_bytes = 0;  // ...actual-delayed-write-rate
  };
  Figures ReadFigures() const;

 private:
  friend class RocksDbSnapshot;
  RocksDbStore() = default;
  // Opens an existing database (a checkpoint) for reads only; its Write
  // fails.
  static absl::StatusOr<std::unique_ptr<RocksDbStore>> OpenReadOnly(
      const std::string& path, const RocksDbOptions& options);
  // Reads as of `snapshot` (nullptr: latest).
  absl::StatusOr<std::string> GetAt(const rocksdb::Snapshot* snapshot,
                                    Family family, absl::string_view key) const;
  absl::Status ScanAt(const rocksdb::Snapshot* snapshot, Family family,
                      absl::string_view lower, absl::string_view upper,
                      bool reverse, const ScanVisitor& visit) const;

  // Set when RocksDbOptions::file_system was; declared before db_ so that it
  // is destroyed after the database that uses it.
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // Indexed by Family.
  bool read_only_ = false;  // Opened by OpenReadOnly: nothing to flush.
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_STORAGE_ROCKSDB_STORE_H_
