#include "ledger/storage/memory_store.h"

#include <vector>

namespace loyalty {

absl::StatusOr<std::string> MemoryStore::Get(Family family,
                                             absl::string_view key) const {
  absl::MutexLock lock(&mutex_);
  const Table& table = tables_[static_cast<int>(family)];
  auto it = table.find(key);
  if (it == table.end()) return absl::NotFoundError("key not found");
  return it->second;
}

absl::Status MemoryStore::Write(const WriteSet& writes) {
  absl::MutexLock lock(&mutex_);
  if (!write_failure_.ok()) return write_failure_;
  for (const WriteSet::Put& put : writes.puts()) {
    Table& table = tables_[static_cast<int>(put.family)];
    if (put.erase) {
      table.erase(put.key);
    } else {
      table[put.key] = put.value;
    }
  }
  ++write_count_;
  return absl::OkStatus();
}

absl::Status MemoryStore::Scan(Family family, absl::string_view lower,
                               absl::string_view upper, bool reverse,
                               const ScanVisitor& visit) const {
  // Copy the range under the lock so `visit` may call back into the store.
  std::vector<std::pair<std::string, std::string>> rows;
  {
    absl::MutexLock lock(&mutex_);
    const Table& table = tables_[static_cast<int>(family)];
    auto begin = table.lower_bound(lower);
    auto end = upper.empty() ? table.end() : table.lower_bound(upper);
    for (auto it = begin; it != end; ++it) rows.emplace_back(*it);
  }
  if (reverse) {
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
      if (!visit(it->first, it->second)) break;
    }
  } else {
    for (const auto& row : rows) {
      if (!visit(row.first, row.second)) break;
    }
  }
  return absl::OkStatus();
}

std::unique_ptr<StoreReader> MemoryStore::Snapshot() const {
  // A copy is a snapshot; the store is for tests, so the cost is fine.
  auto copy = std::make_unique<MemoryStore>();
  absl::MutexLock lock(&mutex_);
  absl::MutexLock copy_lock(&copy->mutex_);
  copy->tables_ = tables_;
  return copy;
}

void MemoryStore::FailWrites(absl::Status status) {
  absl::MutexLock lock(&mutex_);
  write_failure_ = std::move(status);
}

void MemoryStore::HealWrites() {
  absl::MutexLock lock(&mutex_);
  write_failure_ = absl::OkStatus();
}

void MemoryStore::PutRaw(Family family, std::string key, std::string value) {
  absl::MutexLock lock(&mutex_);
  tables_[static_cast<int>(family)][std::move(key)] = std::move(value);
}

uint64_t MemoryStore::write_count() const {
  absl::MutexLock lock(&mutex_);
  return write_count_;
}

}  // namespace loyalty
