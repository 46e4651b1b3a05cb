#include "ledger/engine/member_cache.h"

#include <utility>

#include "ledger/common/status_util.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;

std::optional<MemberRecord> MemberCache::Take(const std::string& member_id) {
  auto found = slots_.find(member_id);
  if (found == slots_.end()) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  MemberRecord record = std::move(found->second.record);
  recency_.erase(found->second.recency);
  slots_.erase(found);
  return record;
}

const MemberRecord* MemberCache::Peek(const std::string& member_id) const {
  auto found = slots_.find(member_id);
  return found == slots_.end() ? nullptr : &found->second.record;
}

void MemberCache::Put(const std::string& member_id, MemberRecord record) {
  if (members_max_ == 0) return;
  // Invariant: the cached id is the record's (aliases are keyed by their own
  // id, like every stored member).
  LEDGER_CHECK(record.member_id() == member_id);
  auto found = slots_.find(member_id);
  if (found != slots_.end()) {
    found->second.record = std::move(record);
    recency_.splice(recency_.begin(), recency_, found->second.recency);
    return;
  }
  recency_.push_front(member_id);
  slots_.emplace(member_id, Slot{std::move(record), recency_.begin()});
  while (slots_.size() > members_max_) {
    slots_.erase(recency_.back());
    recency_.pop_back();
  }
}

void MemberCache::Clear() {
  slots_.clear();
  recency_.clear();
}

}  // namespace loyalty
