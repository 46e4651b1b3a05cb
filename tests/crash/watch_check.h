// File: tests/crash/watch_check.h
//
// (p) A change-stream consumer attached through every kill and restart. It
// follows AdminService.WatchEntries while the load runs, and reconnects to
// each new loyaltyd from its last next_sequence, checking every entry
// against the chain (the client library's EntryChainVerifier): its copy
// must only ever grow by entries that link to what it holds. After every
// restart, once it has caught up, its copy must be the ledger: every
// sequence once, and the hash at the ledger's head the head's hash that
// VerifyLedger reports.
#ifndef LOYALTY_TESTS_CRASH_WATCH_CHECK_H_
#define LOYALTY_TESTS_CRASH_WATCH_CHECK_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace loyalty::crash {

struct WatchCounts {
  uint64_t entries = 0;     // Entries in the consumer's copy.
  uint64_t streams = 0;     // Streams opened (reconnects included).
  uint64_t caught_up_checks = 0;
};

class WatchCheck {
 public:
  ~WatchCheck() { Detach(); }

  // Follows the loyaltyd at `address` (call after every start); the
  // consumer reconnects to it whenever its stream breaks, until Detach.
  void Attach(const std::string& address);
  // Stops following (before the address goes away for good).
  void Detach();

  // Waits (up to a minute) until the copy reaches `head`, then checks that
  // its hash there is `head_hash_hex`. Failures go to `failures`, and so do
  // the consumer's own (an entry that did not check).
  void CheckCaughtUp(uint64_t head, const std::string& head_hash_hex,
                     std::vector<std::string>* failures);

  WatchCounts counts() const;

 private:
  void Follow(std::string address);

  mutable absl::Mutex mutex_;
  // hashes_[i] is the hash of entry i + 1.
  std::vector<std::string> hashes_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::string> problems_ ABSL_GUARDED_BY(mutex_);
  WatchCounts counts_ ABSL_GUARDED_BY(mutex_);
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_WATCH_CHECK_H_
