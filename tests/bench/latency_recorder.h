// File: tests/bench/latency_recorder.h
//
// Per-RPC latency samples and the report loyalty-bench prints. Samples are
// kept whole (a 10 s run at 50k calls/s is 2 MB of them), so percentiles are
// exact rather than bucketed.
#ifndef LOYALTY_TESTS_BENCH_LATENCY_RECORDER_H_
#define LOYALTY_TESTS_BENCH_LATENCY_RECORDER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace loyalty::bench {

struct LatencySummary {
  uint64_t calls = 0;
  uint64_t errors = 0;
  double calls_per_s = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
};

class LatencyRecorder {
 public:
  // Not thread-safe: one recorder per polling thread, merged at the end.
  void Record(const std::string& rpc, int64_t latency_us, bool ok);
  void Merge(const LatencyRecorder& other);
  void Clear() { samples_.clear(); errors_.clear(); }
  // Summaries per RPC over a measured wall time of `seconds`.
  std::map<std::string, LatencySummary> Summarize(double seconds) const;
  uint64_t total_calls() const;

 private:
  std::map<std::string, std::vector<int64_t>> samples_;
  std::map<std::string, uint64_t> errors_;
};

// "earn   12345 calls  24690.0/s  p50 0.61 ms  p90 ...".
std::string FormatSummaryTable(
    const std::map<std::string, LatencySummary>& summaries);

}  // namespace loyalty::bench

#endif  // LOYALTY_TESTS_BENCH_LATENCY_RECORDER_H_
