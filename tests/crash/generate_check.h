// File: tests/crash/generate_check.h
//
// Bulk coupon codes in the crash tests. During each cycle's load one more
// client streams GenerateCoupons batches of kBatchCount codes (three chunks
// each), one batch after the other, so that kill -9 (or SIGTERM) lands
// mid-batch; it hands a few codes of every chunk it receives to the
// CouponBook, so that the other clients race members (any member: the
// codes are bearer codes) for their uses. After each restart every batch
// begun is called again with its batch id until complete, and:
//   - the batch has exactly kBatchCount codes, all distinct, and distinct
//     from every other batch's;
//   - every code streamed before the signal is at the same place in the
//     batch: none lost, none doubled, none replaced;
//   - a completed batch, called again, streams the same codes (replayed).
// The uses of the bearer codes handed out are checked with the issued
// coupons' by CouponCheck (never more than allowed, exactly the
// acknowledged ones).
//
//   GenerateCheck generated;
//   during load: std::thread(&GenerateCheck::RunDuringLoad, &generated, ...)
//   after the restart: generated.CheckAfterRestart(address, &failures);
#ifndef LOYALTY_TESTS_CRASH_GENERATE_CHECK_H_
#define LOYALTY_TESTS_CRASH_GENERATE_CHECK_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "tests/crash/recheck.h"
#include "tests/crash/workload.h"

namespace loyalty::crash {

struct GenerateCounts {
  uint64_t batches_complete = 0;  // Checked complete after a restart.
  uint64_t codes_streamed = 0;    // Received by the load's stream.
  uint64_t batches_cut = 0;       // Cut by the signal mid-batch.
  // Completed after a restart with part of their codes streamed before.
  uint64_t batches_resumed = 0;
  uint64_t bearer_codes_offered = 0;  // Handed to the CouponBook.
};

class GenerateCheck {
 public:
  // Two chunks: a signal often lands between them.
  static constexpr int64_t kBatchCount = 12'000;
  // The load's stream rests this long between batches, so the writer's
  // other clients keep most of its time.
  static constexpr int kPauseBetweenBatchesMs = 50;

  // One cycle's stream of batches until `stop`. Thread-safe with the other
  // clients (it only adds to `book`).
  void RunDuringLoad(const std::string& address, const std::atomic<bool>* stop,
                     CouponBook* book);
  // Completes every batch begun and checks it (see above).
  void CheckAfterRestart(const std::string& address, Failures* failures);
  // The bearer codes handed to the CouponBook since the last call, printed.
  std::vector<std::string> TakeOffered();
  const GenerateCounts& counts() const { return counts_; }

 private:
  struct Batch {
    // Codes by their index in the batch, as streamed so far.
    std::map<int64_t, std::string> codes;
    bool complete = false;  // Checked complete after a restart.
  };
  // Streams `batch_id` and records what arrives; whether the call ended OK.
  // During the load (`failures` null) its failures are the signal's doing
  // and the first codes of each chunk are offered for redemptions.
  bool Stream(const std::string& address, const std::string& batch_id,
              Failures* failures, bool* cut);
  // Records a chunk at its place; a code that differs from the one
  // streamed there before is a failure.
  void Record(const std::string& batch_id, int64_t first_index,
              const std::vector<std::string>& codes, Failures* failures);

  std::mutex mutex_;
  std::map<std::string, Batch> batches_;
  std::vector<std::string> offered_;
  int next_batch_ = 0;
  // Every code of the batches checked complete, for uniqueness across them.
  std::map<std::string, std::string> checked_codes_;  // Code -> batch id.
  GenerateCounts counts_;
};

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_GENERATE_CHECK_H_
