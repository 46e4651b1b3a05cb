// The writer's view of the store while the batch before syncs
// (ledger/engine/pending_writes.h): the pending write set wins over the
// store key by key, an erase hides the stored key, and scans merge both in
// order, in either direction, within bounds, stopping when told to.
#include "ledger/engine/pending_writes.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "catch2/catch.hpp"
#include "ledger/storage/memory_store.h"

namespace loyalty {
namespace {

using Visited = std::vector<std::pair<std::string, std::string>>;

Visited ScanAll(const StoreReader& reader, Family family,
                absl::string_view lower, absl::string_view upper, bool reverse,
                size_t stop_after = SIZE_MAX) {
  Visited visited;
  absl::Status scanned = reader.Scan(
      family, lower, upper, reverse,
      [&](absl::string_view key, absl::string_view value) {
        visited.emplace_back(std::string(key), std::string(value));
        return visited.size() < stop_after;
      });
  REQUIRE(scanned.ok());
  return visited;
}

// Stored: a=1 c=3 e=5 g=7 in the schedule family, m=stored in members.
// Pending: b=2 (new), c=30 (rewritten), e erased, h=8 (new), c=33 (a later
// put of the same key wins), and a members key in another family.
struct Fixture {
  Fixture() {
    WriteSet stored;
    for (auto [key, value] : {std::pair{"a", "1"}, {"c", "3"}, {"e", "5"},
                              {"g", "7"}}) {
      stored.Add(Family::kSchedule, key, value);
    }
    stored.Add(Family::kMembers, "m", "stored");
    REQUIRE(store.Write(stored).ok());
    auto pending = std::make_shared<WriteSet>();
    pending->Add(Family::kSchedule, "b", "2");
    pending->Add(Family::kSchedule, "c", "30");
    pending->Erase(Family::kSchedule, "e");
    pending->Add(Family::kSchedule, "h", "8");
    pending->Add(Family::kSchedule, "c", "33");
    pending->Add(Family::kMembers, "n", "pending");
    reader = std::make_unique<PendingWritesReader>(&store, std::move(pending));
  }
  MemoryStore store;
  std::unique_ptr<PendingWritesReader> reader;
};

TEST_CASE("a pending write wins over the store, and an erase hides a key",
          "[ledger][pipeline]") {
  Fixture f;
  CHECK(*f.reader->Get(Family::kSchedule, "a") == "1");
  CHECK(*f.reader->Get(Family::kSchedule, "b") == "2");
  CHECK(*f.reader->Get(Family::kSchedule, "c") == "33");
  CHECK(absl::IsNotFound(f.reader->Get(Family::kSchedule, "e").status()));
  CHECK(absl::IsNotFound(f.reader->Get(Family::kSchedule, "z").status()));
  // Families stay apart.
  CHECK(absl::IsNotFound(f.reader->Get(Family::kSchedule, "n").status()));
  CHECK(*f.reader->Get(Family::kMembers, "n") == "pending");
  CHECK(*f.reader->Get(Family::kMembers, "m") == "stored");
}

TEST_CASE("a scan merges pending and stored keys in order, either way",
          "[ledger][pipeline]") {
  Fixture f;
  CHECK(ScanAll(*f.reader, Family::kSchedule, "", "", false) ==
        Visited{{"a", "1"}, {"b", "2"}, {"c", "33"}, {"g", "7"}, {"h", "8"}});
  CHECK(ScanAll(*f.reader, Family::kSchedule, "", "", true) ==
        Visited{{"h", "8"}, {"g", "7"}, {"c", "33"}, {"b", "2"}, {"a", "1"}});
  // [b, g): the lower bound is in, the upper out, for both sources.
  CHECK(ScanAll(*f.reader, Family::kSchedule, "b", "g", false) ==
        Visited{{"b", "2"}, {"c", "33"}});
  CHECK(ScanAll(*f.reader, Family::kSchedule, "b", "g", true) ==
        Visited{{"c", "33"}, {"b", "2"}});
  // Pending keys past the last stored key still come.
  CHECK(ScanAll(*f.reader, Family::kSchedule, "d", "", false) ==
        Visited{{"g", "7"}, {"h", "8"}});
  CHECK(ScanAll(*f.reader, Family::kMembers, "", "", false) ==
        Visited{{"m", "stored"}, {"n", "pending"}});
}

TEST_CASE("a scan stops where the visitor says, on either source",
          "[ledger][pipeline]") {
  Fixture f;
  CHECK(ScanAll(*f.reader, Family::kSchedule, "", "", false, 2) ==
        Visited{{"a", "1"}, {"b", "2"}});
  CHECK(ScanAll(*f.reader, Family::kSchedule, "", "", false, 3) ==
        Visited{{"a", "1"}, {"b", "2"}, {"c", "33"}});
  CHECK(ScanAll(*f.reader, Family::kSchedule, "", "", true, 1) ==
        Visited{{"h", "8"}});
}

TEST_CASE("with nothing pending the reader is the store",
          "[ledger][pipeline]") {
  Fixture f;
  PendingWritesReader nothing_pending(&f.store, nullptr);
  CHECK(*nothing_pending.Get(Family::kSchedule, "c") == "3");
  CHECK(ScanAll(nothing_pending, Family::kSchedule, "", "", false) ==
        Visited{{"a", "1"}, {"c", "3"}, {"e", "5"}, {"g", "7"}});
}

}  // namespace
}  // namespace loyalty
