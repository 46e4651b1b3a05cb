// File: clients/loyaltyctl/import_progress.cc

#include "clients/loyaltyctl/import_progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace loyalty::ctl {
namespace {

constexpr int kBarWidth = 10;

double UnitsPerSecond(int64_t done, double elapsed_s) {
  return elapsed_s > 0 ? static_cast<double>(done) / elapsed_s : 0.0;
}

// Seconds left at the rate so far; negative when unknown.
double SecondsLeft(int64_t done, int64_t total, double elapsed_s) {
  const double rate = UnitsPerSecond(done, elapsed_s);
  if (rate <= 0) return -1.0;
  return static_cast<double>(std::max<int64_t>(total - done, 0)) / rate;
}

int Percent(int64_t done, int64_t total) {
  if (total <= 0) return 100;
  return static_cast<int>(std::clamp<int64_t>(done * 100 / total, 0, 100));
}

double MonotonicSeconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string FormatCount(int64_t count) {
  std::string digits = absl::StrCat(count < 0 ? -count : count);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return count < 0 ? absl::StrCat("-", out) : out;
}

std::string FormatEta(double seconds) {
  if (seconds < 0 || !std::isfinite(seconds)) return "-:--";
  const auto whole = static_cast<int64_t>(std::llround(seconds));
  const int64_t hours = whole / 3600;
  const int64_t minutes = whole / 60 % 60;
  const int64_t secs = whole % 60;
  if (hours > 0) return absl::StrFormat("%d:%02d:%02d", hours, minutes, secs);
  return absl::StrFormat("%d:%02d", minutes, secs);
}

std::string FormatProgressBar(absl::string_view label, absl::string_view unit,
                              int64_t done, int64_t total, double elapsed_s) {
  const int percent = Percent(done, total);
  const int filled = percent * kBarWidth / 100;
  return absl::StrCat(
      label, " [", std::string(static_cast<size_t>(filled), '#'),
      std::string(static_cast<size_t>(kBarWidth - filled), '.'), "] ",
      FormatCount(done), "/", FormatCount(total), " ", unit, "  ", percent,
      "%  ", FormatCount(std::llround(UnitsPerSecond(done, elapsed_s))), " ",
      unit, "/s  ETA ", FormatEta(SecondsLeft(done, total, elapsed_s)));
}

std::string FormatProgressLine(absl::string_view label, absl::string_view unit,
                               int64_t done, int64_t total, double elapsed_s) {
  const double left = SecondsLeft(done, total, elapsed_s);
  return absl::StrCat(
      label, ": ", done, "/", total, " ", unit, ", ",
      std::llround(UnitsPerSecond(done, elapsed_s)), " ", unit, "/s, eta ",
      left < 0 ? std::string("unknown") : absl::StrCat(std::llround(left), " s"));
}

ProgressReporter::ProgressReporter(std::FILE* out, std::string label,
                                   std::string unit, int64_t total,
                                   Options options)
    : out_(out),
      label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      options_(std::move(options)),
      started_s_(options_.now_s()) {}

double ProgressReporter::elapsed_s() const {
  return options_.now_s() - started_s_;
}

void ProgressReporter::Draw(bool final_draw) {
  const double elapsed = elapsed_s();
  drawn_s_ = elapsed;
  if (options_.terminal) {
    // \r and "erase to end of line": a shorter bar leaves no tail behind.
    std::fprintf(out_, "\r%s\033[K%s",
                 FormatProgressBar(label_, unit_, done_, total_, elapsed).c_str(),
                 final_draw ? "\n" : "");
    bar_shown_ = !final_draw;
  } else {
    std::fprintf(out_, "%s\n",
                 FormatProgressLine(label_, unit_, done_, total_, elapsed).c_str());
  }
  std::fflush(out_);
}

void ProgressReporter::Update(int64_t done) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  done_ = done;
  const double elapsed = elapsed_s();
  // The bar shows at once; the first plain line comes one interval in.
  const bool due =
      options_.terminal
          ? drawn_s_ < 0 || elapsed - drawn_s_ >= options_.bar_interval_s
          : elapsed - std::max(drawn_s_, 0.0) >= options_.line_interval_s;
  if (due) Draw(/*final_draw=*/false);
}

void ProgressReporter::Finish(int64_t done) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  done_ = done;
  Draw(/*final_draw=*/true);
  finished_ = true;
}

void ProgressReporter::Note(absl::string_view line) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (bar_shown_) std::fputs("\r\033[K", out_);
  std::fprintf(out_, "%.*s\n", static_cast<int>(line.size()), line.data());
  if (bar_shown_) {
    bar_shown_ = false;
    Draw(/*final_draw=*/false);
  }
  std::fflush(out_);
}

ProgressReporter::Options StderrProgressOptions(double line_interval_s) {
  ProgressReporter::Options options;
  options.terminal = isatty(STDERR_FILENO) == 1;
  options.line_interval_s = line_interval_s;
  options.now_s = MonotonicSeconds;
  return options;
}

}  // namespace loyalty::ctl
