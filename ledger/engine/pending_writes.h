// File: ledger/engine/pending_writes.h
//
// Internal to ledger/: the store as the writer must see it while the batch
// before is still being written. The writer decides batch N+1 while batch N
// is written and synced on the syncer thread (ledger.cc); N+1's rules must
// read as if N were already stored. A PendingWritesReader lays N's write set
// over the store: a key N writes reads as N wrote it (an erase as absent),
// every other key as the store has it. Once N is synced the store holds the
// same values, so it does not matter when the syncer finishes.
#ifndef LOYALTY_LEDGER_ENGINE_PENDING_WRITES_H_
#define LOYALTY_LEDGER_ENGINE_PENDING_WRITES_H_

#include <cstddef>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "ledger/storage/ledger_store.h"

namespace loyalty {

class PendingWritesReader final : public StoreReader {
 public:
  // `store` must outlive the reader; `pending` (may be null: nothing
  // pending) is shared with the syncer and never changes.
  PendingWritesReader(const StoreReader* store,
                      std::shared_ptr<const WriteSet> pending);

  absl::StatusOr<std::string> Get(Family family,
                                  absl::string_view key) const override;
  absl::Status Scan(Family family, absl::string_view lower,
                    absl::string_view upper, bool reverse,
                    const ScanVisitor& visit) const override;

 private:
  const StoreReader* const store_;
  const std::shared_ptr<const WriteSet> pending_;
  // (family, key) -> index in pending_->puts() of the last put of that key:
  // a later put of a key in one write set replaces an earlier one.
  absl::flat_hash_map<std::pair<int, absl::string_view>, size_t> latest_;
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_ENGINE_PENDING_WRITES_H_
