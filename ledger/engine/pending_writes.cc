#include "ledger/engine/pending_writes.h"

#include <algorithm>
#include <string>
#include <vector>

namespace loyalty {

PendingWritesReader::PendingWritesReader(
    const StoreReader* store, std::shared_ptr<const WriteSet> pending)
    : store_(store), pending_(std::move(pending)) {
  if (pending_ == nullptr) return;
  const std::vector<WriteSet::Put>& puts = pending_->puts();
  latest_.reserve(puts.size());
  for (size_t i = 0; i < puts.size(); ++i) {
    latest_[{static_cast<int>(puts[i].family), puts[i].key}] = i;
  }
}

absl::StatusOr<std::string> PendingWritesReader::Get(
    Family family, absl::string_view key) const {
  auto found = latest_.find(std::make_pair(static_cast<int>(family), key));
  if (found == latest_.end()) return store_->Get(family, key);
  const WriteSet::Put& put = pending_->puts()[found->second];
  if (put.erase) return absl::NotFoundError("erased by the pending batch");
  return put.value;
}

absl::Status PendingWritesReader::Scan(Family family, absl::string_view lower,
                                       absl::string_view upper, bool reverse,
                                       const ScanVisitor& visit) const {
  if (latest_.empty()) {
    return store_->Scan(family, lower, upper, reverse, visit);
  }
  // The pending keys in range, in scan order. Scans in the writer are rare
  // (the sweep's schedule, a merge's orders), so a pass over the set is
  // cheaper than keeping it sorted for every batch.
  const std::vector<WriteSet::Put>& puts = pending_->puts();
  std::vector<const WriteSet::Put*> overlay;
  for (size_t i = 0; i < puts.size(); ++i) {
    const WriteSet::Put& put = puts[i];
    if (put.family != family) continue;
    if (put.key < lower || (!upper.empty() && put.key >= upper)) continue;
    if (latest_.at({static_cast<int>(family), put.key}) != i) continue;
    overlay.push_back(&put);
  }
  auto in_order = [reverse](absl::string_view a, absl::string_view b) {
    return reverse ? b < a : a < b;
  };
  std::sort(overlay.begin(), overlay.end(),
            [&](const WriteSet::Put* a, const WriteSet::Put* b) {
              return in_order(a->key, b->key);
            });

  size_t next = 0;
  bool stopped = false;
  // Visits the pending keys before `bound` (all that are left when null);
  // false once the visitor stopped.
  auto visit_overlay_before = [&](const absl::string_view* bound) {
    while (next < overlay.size() &&
           (bound == nullptr || in_order(overlay[next]->key, *bound))) {
      const WriteSet::Put* put = overlay[next++];
      if (put->erase) continue;
      if (!visit(put->key, put->value)) return false;
    }
    return true;
  };
  absl::Status scanned = store_->Scan(
      family, lower, upper, reverse,
      [&](absl::string_view key, absl::string_view value) {
        if (!visit_overlay_before(&key)) {
          stopped = true;
          return false;
        }
        if (next < overlay.size() && overlay[next]->key == key) {
          // The pending batch rewrote or erased this key.
          const WriteSet::Put* put = overlay[next++];
          if (put->erase) return true;
          if (!visit(put->key, put->value)) {
            stopped = true;
            return false;
          }
          return true;
        }
        if (!visit(key, value)) {
          stopped = true;
          return false;
        }
        return true;
      });
  if (!scanned.ok() || stopped) return scanned;
  visit_overlay_before(nullptr);
  return absl::OkStatus();
}

}  // namespace loyalty
