#include "tests/bench/latency_recorder.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace loyalty::bench {
namespace {

double PercentileMs(const std::vector<int64_t>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  size_t index = static_cast<size_t>(fraction * (sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)] / 1000.0;
}

}  // namespace

void LatencyRecorder::Record(const std::string& rpc, int64_t latency_us,
                             bool ok) {
  samples_[rpc].push_back(latency_us);
  if (!ok) errors_[rpc] += 1;
}

void LatencyRecorder::Merge(const LatencyRecorder& other) {
  for (const auto& [rpc, samples] : other.samples_) {
    auto& mine = samples_[rpc];
    mine.insert(mine.end(), samples.begin(), samples.end());
  }
  for (const auto& [rpc, count] : other.errors_) errors_[rpc] += count;
}

uint64_t LatencyRecorder::total_calls() const {
  uint64_t total = 0;
  for (const auto& [rpc, samples] : samples_) total += samples.size();
  return total;
}

std::map<std::string, LatencySummary> LatencyRecorder::Summarize(
    double seconds) const {
  std::map<std::string, LatencySummary> result;
  for (const auto& [rpc, samples] : samples_) {
    std::vector<int64_t> sorted = samples;
    std::sort(sorted.begin(), sorted.end());
    LatencySummary& summary = result[rpc];
    summary.calls = sorted.size();
    auto errors = errors_.find(rpc);
    summary.errors = errors == errors_.end() ? 0 : errors->second;
    summary.calls_per_s = seconds > 0 ? sorted.size() / seconds : 0;
    summary.p50_ms = PercentileMs(sorted, 0.50);
    summary.p90_ms = PercentileMs(sorted, 0.90);
    summary.p99_ms = PercentileMs(sorted, 0.99);
    summary.p999_ms = PercentileMs(sorted, 0.999);
    summary.max_ms = sorted.empty() ? 0 : sorted.back() / 1000.0;
  }
  return result;
}

std::string FormatSummaryTable(
    const std::map<std::string, LatencySummary>& summaries) {
  std::string out = absl::StrFormat(
      "  %-12s %10s %8s %11s %8s %8s %8s %8s %8s\n", "rpc", "calls", "errors",
      "calls/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms");
  for (const auto& [rpc, s] : summaries) {
    out += absl::StrFormat(
        "  %-12s %10d %8d %11.1f %8.3f %8.3f %8.3f %8.3f %8.3f\n", rpc,
        s.calls, s.errors, s.calls_per_s, s.p50_ms, s.p90_ms, s.p99_ms,
        s.p999_ms, s.max_ms);
  }
  return out;
}

}  // namespace loyalty::bench
