// File: ledger/storage/ledger_store.h
//
// The narrow interface between the ledger core and its storage engine. The
// core sees keyed families of byte strings, atomic synced batches and range
// scans; nothing of RocksDB leaks upward (RocksDB statuses are translated in
// rocksdb_store.cc). Tests use MemoryStore, which can also inject faults.
//
// Deletes exist for one family only: schedule, a work list of members with
// something due (a hold timeout, a maturity, an expiry). The ledger is
// append-only, and the state families (members, identifiers, requests,
// orders) only ever get a newer value for a key.
//
// Thread-safety: every method may be called from any thread concurrently.
#ifndef LOYALTY_LEDGER_STORAGE_LEDGER_STORE_H_
#define LOYALTY_LEDGER_STORAGE_LEDGER_STORE_H_

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty {

// Column families; the key layout of each is documented in ledger/common/keys.h.
enum class Family : int {
  kEntries = 0,       // sequence -> LedgerEntry
  kMemberEntries,     // member id, sequence -> "" (statement index)
  kMembers,           // member id -> MemberRecord
  kIdentifiers,       // kind, value -> member id
  kRequests,          // principal, request id -> RequestRecord
  kOrders,            // member id, order id -> OrderRecord
  kMeta,              // name -> value (LedgerHead under "head")
  kSchedule,          // due time, member id -> "" (what falls due when)
  kCoupons,           // canonical code -> CouponRecord
  kCouponCounts,      // template id [, member id] -> CouponCount
  // Vouchers (ledger/vouchers/).
  kVouchers,          // canonical code -> VoucherRecord
  kVoucherGifts,      // canonical claim code -> VoucherGiftRecord
  // Bulk coupon codes.
  kCouponBatches,     // batch id -> CouponBatchRecord
  kCouponBearerUses,  // template id, member id -> CouponBearerUses
  // Rewards catalog (ledger/rewards/).
  kRewardCounts,      // item id [, member id] -> RewardCount
  // Wallet: member id, sequence -> WalletRef (what the member was given).
  kWallet,
  // Offline redemptions reconciled short: sequence -> "" (the entry).
  kOfflineReconciliations,
};
inline constexpr int kFamilyCount = 17;
// A family added after the last must move kFamilyCount with it.
static_assert(static_cast<int>(Family::kOfflineReconciliations) + 1 ==
              kFamilyCount);

// The family's name as stored (RocksDB column family name).
absl::string_view FamilyName(Family family);

// A set of puts (and schedule deletes) applied atomically, in order, by
// LedgerStore::Write.
class WriteSet {
 public:
  struct Put {
    Family family;
    std::string key;
    std::string value;
    bool erase = false;  // Delete `key` instead; index families only.
  };

  void Add(Family family, std::string key, std::string value) {
    byte_size_ += key.size() + value.size();
    puts_.push_back(Put{family, std::move(key), std::move(value)});
  }
  void Erase(Family family, std::string key) {
    byte_size_ += key.size();
    puts_.push_back(Put{family, std::move(key), std::string(), true});
  }
  const std::vector<Put>& puts() const { return puts_; }
  bool empty() const { return puts_.empty(); }
  size_t byte_size() const { return byte_size_; }

 private:
  std::vector<Put> puts_;
  size_t byte_size_ = 0;
};

// Return false to stop a scan early.
using ScanVisitor =
    std::function<bool(absl::string_view key, absl::string_view value)>;

// Read access to the families; a LedgerStore is one, and so is a snapshot.
class StoreReader {
 public:
  virtual ~StoreReader() = default;

  // Reads one key. OK with the value; NotFound when the key is absent;
  // Unavailable when the storage cannot be read; DataLoss on corruption.
  virtual absl::StatusOr<std::string> Get(Family family,
                                          absl::string_view key) const = 0;

  // Visits the keys of `family` in [lower, upper) in ascending order, or in
  // descending order when `reverse`. An empty `upper` means no upper bound.
  // Stops when `visit` returns false. Returns the first storage error.
  virtual absl::Status Scan(Family family, absl::string_view lower,
                            absl::string_view upper, bool reverse,
                            const ScanVisitor& visit) const = 0;
};

class LedgerStore : public StoreReader {
 public:
  // Applies every put atomically and returns OK only once they are in a
  // synced write-ahead log (promise 4). On error nothing of the set may be
  // visible to later reads of this process; Unavailable means retry later.
  virtual absl::Status Write(const WriteSet& writes) = 0;

  // A consistent read-only view of the store as it is now, unaffected by
  // later writes (VerifyLedger replays against one while writes go on).
  virtual std::unique_ptr<StoreReader> Snapshot() const = 0;

  // Writes a consistent copy of the whole store into the new directory
  // `path` (its parent must exist; `path` must not) while writes go on, and
  // returns a read-only view of that copy. Consistent: the copy holds every
  // Write that returned before the call and of every other Write all or
  // nothing, so its head names its last entry. The copy is a directory the
  // same implementation opens as a store. FailedPrecondition for a store
  // that keeps no files (MemoryStore: this default); Unavailable when the
  // copy cannot be written, and then nothing is left at `path`.
  virtual absl::StatusOr<std::unique_ptr<StoreReader>> Checkpoint(
      const std::string& path) const;
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_STORAGE_LEDGER_STORE_H_
