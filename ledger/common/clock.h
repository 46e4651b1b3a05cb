// File: ledger/common/clock.h
//
// All time in the ledger comes through a Clock so tests can move time without
// sleeping. Times are Unix epoch milliseconds.
#ifndef LOYALTY_LEDGER_COMMON_CLOCK_H_
#define LOYALTY_LEDGER_COMMON_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace loyalty {

class Clock {
 public:
  virtual ~Clock() = default;
  // Thread-safe.
  virtual int64_t NowMs() const = 0;
};

// Wall-clock time.
class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override;
};

// A clock that stands still until told to move; for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_ms) : now_ms_(now_ms) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  void AdvanceMs(int64_t delta_ms) { now_ms_.fetch_add(delta_ms); }
  void SetMs(int64_t now_ms) { now_ms_.store(now_ms); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COMMON_CLOCK_H_
