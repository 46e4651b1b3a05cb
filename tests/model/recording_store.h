// File: tests/model/recording_store.h
//
// Store inspection for the model-based test.
//
// StorePrint: per family, the number of keys and a sum of a hash of every
// (key, value), taken by scanning every family with StoreReader::Scan. Sums
// let the test add and remove pairs, so "after equals before plus exactly
// these puts, and no other byte changed" is one comparison.
//
// RecordingStore: a LedgerStore over a MemoryStore that records every
// successful Write (each put or erase, whether its key existed, the old
// pair's hash; erases exist for the schedule family only),
// and can hold the writer's next read until released, so a group of
// commands is all queued before the writer goes on.
#ifndef LOYALTY_TESTS_MODEL_RECORDING_STORE_H_
#define LOYALTY_TESTS_MODEL_RECORDING_STORE_H_

#include <array>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/storage/ledger_store.h"
#include "ledger/storage/memory_store.h"

namespace loyalty::model {

struct FamilyPrint {
  int64_t keys = 0;
  uint64_t sum = 0;
  bool operator==(const FamilyPrint&) const = default;
};
using StorePrint = std::array<FamilyPrint, kFamilyCount>;

uint64_t PairHash(absl::string_view key, absl::string_view value);
// Scans every family of `store` and hashes every key and value.
absl::StatusOr<StorePrint> ScanStore(const StoreReader& store);
// "entries=12/hash members=3/hash ..." for failure reports.
std::string PrintText(const StorePrint& print);

struct RecordedPut {
  Family family;
  std::string key;
  std::string value;
  bool erase = false;     // A delete of `key` (WriteSet::Erase), not a put.
  bool existed = false;   // The key had a value before this put or erase.
  uint64_t old_hash = 0;  // PairHash of the old pair, if it existed.
  int64_t write = 0;      // Which Write since the last Take (0-based).
};

// The successful Writes since the last RecordingStore::Take.
struct Recording {
  int64_t writes = 0;
  std::vector<RecordedPut> puts;

  // Puts (not erases) in `family`.
  int64_t PutsIn(Family family) const;
  int64_t ErasesIn(Family family) const;
  // `before` with these puts and erases applied.
  StorePrint Apply(StorePrint before) const;
};

class RecordingStore final : public LedgerStore {
 public:
  explicit RecordingStore(MemoryStore* inner) : inner_(inner) {}

  absl::StatusOr<std::string> Get(Family family,
                                  absl::string_view key) const override;
  absl::Status Scan(Family family, absl::string_view lower,
                    absl::string_view upper, bool reverse,
                    const ScanVisitor& visit) const override {
    return inner_->Scan(family, lower, upper, reverse, visit);
  }
  std::unique_ptr<StoreReader> Snapshot() const override {
    return inner_->Snapshot();
  }
  absl::Status Write(const WriteSet& writes) override;

  // Every successful Write since the last Take.
  Recording Take();
  // Keys in the store, counted from the recorded puts.
  int64_t keys() const;

  // The next Get from another thread than the caller's (the writer looking
  // up a request) waits until Release.
  void HoldNextRead();
  void Release();

 private:
  MemoryStore* const inner_;
  mutable std::mutex record_mutex_;
  Recording recording_;
  int64_t keys_ = 0;
  mutable std::mutex gate_mutex_;
  mutable std::condition_variable gate_open_;
  mutable bool hold_next_read_ = false;
  bool holding_ = false;
  std::thread::id holder_;
};

}  // namespace loyalty::model

#endif  // LOYALTY_TESTS_MODEL_RECORDING_STORE_H_
