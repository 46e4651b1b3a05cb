// Store fingerprints and the recording store (see recording_store.h).
#include "recording_store.h"

#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

namespace loyalty::model {
namespace {

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer.
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

uint64_t PairHash(absl::string_view key, absl::string_view value) {
  std::hash<std::string_view> hash;
  uint64_t k = hash(std::string_view(key.data(), key.size()));
  uint64_t v = hash(std::string_view(value.data(), value.size()));
  return Mix(k ^ Mix(v + 0x9e3779b97f4a7c15ull + value.size()));
}

absl::StatusOr<StorePrint> ScanStore(const StoreReader& store) {
  StorePrint print;
  for (int f = 0; f < kFamilyCount; ++f) {
    FamilyPrint& family = print[f];
    absl::Status scanned =
        store.Scan(static_cast<Family>(f), "", "", /*reverse=*/false,
                   [&](absl::string_view key, absl::string_view value) {
                     ++family.keys;
                     family.sum += PairHash(key, value);
                     return true;
                   });
    if (!scanned.ok()) return scanned;
  }
  return print;
}

std::string PrintText(const StorePrint& print) {
  std::string text;
  for (int f = 0; f < kFamilyCount; ++f) {
    absl::StrAppend(&text, FamilyName(static_cast<Family>(f)), "=",
                    print[f].keys, "/", absl::Hex(print[f].sum), " ");
  }
  return text;
}

int64_t Recording::PutsIn(Family family) const {
  int64_t count = 0;
  for (const RecordedPut& put : puts)
    count += put.family == family && !put.erase;
  return count;
}

int64_t Recording::ErasesIn(Family family) const {
  int64_t count = 0;
  for (const RecordedPut& put : puts)
    count += put.family == family && put.erase;
  return count;
}

StorePrint Recording::Apply(StorePrint before) const {
  for (const RecordedPut& put : puts) {
    FamilyPrint& family = before[static_cast<int>(put.family)];
    if (put.existed) {
      family.sum -= put.old_hash;
      --family.keys;
    }
    if (!put.erase) {
      ++family.keys;
      family.sum += PairHash(put.key, put.value);
    }
  }
  return before;
}

absl::StatusOr<std::string> RecordingStore::Get(Family family,
                                                absl::string_view key) const {
  {
    std::unique_lock<std::mutex> lock(gate_mutex_);
    // Only the writer is held: a read from the thread that armed the gate
    // (the test, while submitting) must not wait for itself.
    if (hold_next_read_ && std::this_thread::get_id() != holder_) {
      hold_next_read_ = false;
      gate_open_.wait(lock, [this] { return !holding_; });
    }
  }
  return inner_->Get(family, key);
}

absl::Status RecordingStore::Write(const WriteSet& writes) {
  std::lock_guard<std::mutex> lock(record_mutex_);
  std::vector<RecordedPut> puts;
  // A key written twice in one set: the second's old value is the first's
  // (none after an erase).
  std::map<std::pair<int, std::string>, std::optional<std::string>> staged;
  for (const WriteSet::Put& put : writes.puts()) {
    RecordedPut recorded{put.family, put.key, put.erase ? "" : put.value,
                         put.erase};
    recorded.write = recording_.writes;
    auto earlier = staged.find({static_cast<int>(put.family), put.key});
    if (earlier != staged.end()) {
      recorded.existed = earlier->second.has_value();
      if (recorded.existed) {
        recorded.old_hash = PairHash(put.key, *earlier->second);
      }
    } else {
      absl::StatusOr<std::string> old = inner_->Get(put.family, put.key);
      if (old.ok()) {
        recorded.existed = true;
        recorded.old_hash = PairHash(put.key, *old);
      }
    }
    staged[{static_cast<int>(put.family), put.key}] =
        put.erase ? std::nullopt : std::optional<std::string>(put.value);
    puts.push_back(std::move(recorded));
  }
  absl::Status status = inner_->Write(writes);
  if (status.ok()) {
    ++recording_.writes;
    for (RecordedPut& put : puts) {
      keys_ += (put.erase ? 0 : 1) - (put.existed ? 1 : 0);
      recording_.puts.push_back(std::move(put));
    }
  }
  return status;
}

Recording RecordingStore::Take() {
  std::lock_guard<std::mutex> lock(record_mutex_);
  return std::exchange(recording_, Recording{});
}

int64_t RecordingStore::keys() const {
  std::lock_guard<std::mutex> lock(record_mutex_);
  return keys_;
}

void RecordingStore::HoldNextRead() {
  std::lock_guard<std::mutex> lock(gate_mutex_);
  hold_next_read_ = true;
  holding_ = true;
  holder_ = std::this_thread::get_id();
}

void RecordingStore::Release() {
  std::lock_guard<std::mutex> lock(gate_mutex_);
  hold_next_read_ = false;
  holding_ = false;
  gate_open_.notify_all();
}

}  // namespace loyalty::model
