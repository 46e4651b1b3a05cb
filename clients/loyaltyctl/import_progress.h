// File: clients/loyaltyctl/import_progress.h
//
// Progress of a long phase of `loyaltyctl import`, on stderr. On a terminal
// it is one bar, redrawn in place at most ~10 times a second:
//
//   import [#####.....] 412,000/1,000,000 rows  41%  18,250 rows/s  ETA 0:32
//
// Elsewhere (a log file, a pipe) it is a plain line every few seconds and
// one at the end:
//
//   import: 412000/1000000 rows, 18250 rows/s, eta 32 s
//
// Other messages go through Note(), which keeps them from being drawn over.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_IMPORT_PROGRESS_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_IMPORT_PROGRESS_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>

#include "absl/strings/string_view.h"

namespace loyalty::ctl {

// 1234567 -> "1,234,567".
std::string FormatCount(int64_t count);

// Seconds left as "0:32", "12:05" or "3:02:01"; "-:--" when unknown
// (negative).
std::string FormatEta(double seconds);

// The terminal bar (without a line end) after `elapsed_s` seconds of work
// with `done` of `total` units ("rows", "bytes") done; the rate is
// done / elapsed_s.
std::string FormatProgressBar(absl::string_view label, absl::string_view unit,
                              int64_t done, int64_t total, double elapsed_s);

// The plain line (without a line end), same arguments.
std::string FormatProgressLine(absl::string_view label, absl::string_view unit,
                               int64_t done, int64_t total, double elapsed_s);

class ProgressReporter {
 public:
  struct Options {
    // Draw the bar in place (stderr is a terminal), or print plain lines.
    bool terminal = false;
    // Least time between two plain lines, and between two draws of the bar.
    double line_interval_s = 5.0;
    double bar_interval_s = 0.1;
    // Seconds on a monotonic clock; tests pass a fake one.
    std::function<double()> now_s;
  };

  // Starts the clock. `out` (stderr) must outlive the reporter.
  ProgressReporter(std::FILE* out, std::string label, std::string unit,
                   int64_t total, Options options);

  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // Records that `done` rows are done; prints when it is time to.
  void Update(int64_t done);

  // Prints the final state (on a terminal the bar is left on its own line).
  // Update does nothing afterwards.
  void Finish(int64_t done);

  // Prints `line` (and a line end) on its own line, under a bar that is then
  // drawn again. Safe to call from any thread.
  void Note(absl::string_view line);

  // Seconds since the reporter was created.
  double elapsed_s() const;

 private:
  // REQUIRES: mutex_ is held.
  void Draw(bool final_draw);

  std::FILE* const out_;
  const std::string label_;
  const std::string unit_;
  const int64_t total_;
  const Options options_;
  const double started_s_;
  std::mutex mutex_;
  int64_t done_ = 0;       // Guarded by mutex_.
  double drawn_s_ = -1.0;  // When it last printed; guarded by mutex_.
  bool bar_shown_ = false; // A bar is on the current line; guarded by mutex_.
  bool finished_ = false;  // Guarded by mutex_.
};

// Options for stderr as it is: a terminal or not, the real clock.
ProgressReporter::Options StderrProgressOptions(double line_interval_s);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_IMPORT_PROGRESS_H_
