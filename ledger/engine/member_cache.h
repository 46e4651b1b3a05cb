// File: ledger/engine/member_cache.h
//
// The writer's cache of member records, as the store has them after the
// last synced batch. The writer is the only thread that changes members, so
// the cache cannot go stale: a batch takes the records it touches out of
// the cache and, once its write is synced, puts every record it loaded back
// as written. A failed write empties the cache (the ledger then refuses
// writes until reopened anyway). RocksDB stays the truth; the cache only
// saves a point read and a parse per member per batch.
//
// Bounded: beyond members_max records the least recently used goes.
// Thread-safety: writer thread only.
#ifndef LOYALTY_LEDGER_ENGINE_MEMBER_CACHE_H_
#define LOYALTY_LEDGER_ENGINE_MEMBER_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "loyalty/storage/v1/records.pb.h"

namespace loyalty {

class MemberCache {
 public:
  // members_max == 0 turns the cache off.
  explicit MemberCache(size_t members_max) : members_max_(members_max) {}

  // Moves the member's record out (nullopt on a miss); the batch that takes
  // it puts it back with Put once its write is synced.
  std::optional<loyalty::storage::v1::MemberRecord> Take(
      const std::string& member_id);
  // The cached record, unchanged, or nullptr (for a dry run, whose batch is
  // dropped and must leave the cache as it was).
  const loyalty::storage::v1::MemberRecord* Peek(
      const std::string& member_id) const;
  // `record` is what the store has for `member_id` now.
  void Put(const std::string& member_id,
           loyalty::storage::v1::MemberRecord record);
  void Clear();

  size_t size() const { return slots_.size(); }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  struct Slot {
    loyalty::storage::v1::MemberRecord record;
    std::list<std::string>::iterator recency;
  };

  const size_t members_max_;
  // Most recently put first.
  std::list<std::string> recency_;
  absl::flat_hash_map<std::string, Slot> slots_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_ENGINE_MEMBER_CACHE_H_
