// File: ledger/storage/memory_store.h
//
// An in-memory LedgerStore for tests, with fault injection: a test can make
// every later Write fail (a full disk) and then heal it, the way leveldb's
// fault_injection_test drops unsynced data.
#ifndef LOYALTY_LEDGER_STORAGE_MEMORY_STORE_H_
#define LOYALTY_LEDGER_STORAGE_MEMORY_STORE_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ledger/storage/ledger_store.h"

namespace loyalty {

class MemoryStore final : public LedgerStore {
 public:
  absl::StatusOr<std::string> Get(Family family,
                                  absl::string_view key) const override;
  absl::Status Write(const WriteSet& writes) override;
  std::unique_ptr<StoreReader> Snapshot() const override;
  absl::Status Scan(Family family, absl::string_view lower,
                    absl::string_view upper, bool reverse,
                    const ScanVisitor& visit) const override;

  // Every Write from now on returns `status` and changes nothing, until
  // HealWrites(). `status` must not be OK.
  void FailWrites(absl::Status status);
  void HealWrites();
  // Overwrites one key directly, bypassing the ledger: for tamper tests.
  void PutRaw(Family family, std::string key, std::string value);
  uint64_t write_count() const;

 private:
  using Table = std::map<std::string, std::string, std::less<>>;
  mutable absl::Mutex mutex_;
  std::array<Table, kFamilyCount> tables_ ABSL_GUARDED_BY(mutex_);
  absl::Status write_failure_ ABSL_GUARDED_BY(mutex_);
  uint64_t write_count_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_STORAGE_MEMORY_STORE_H_
