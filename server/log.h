// File: server/log.h
//
// loyaltyd's structured log: one line per event, each a timestamp, a level,
// a message and key=value fields, written as logfmt (the default) or as one
// JSON object per line (loyaltyd --log-format, --log-level).
//
//   ts=2026-12-07T17:01:02.345Z level=info msg="rpc" method=Earn code=OK
//   {"ts":"2026-12-07T17:01:02.345Z","level":"info","msg":"rpc","method":"Earn","code":"OK"}
//
// What goes into a line is chosen by its caller, never copied from a
// request: the request log (server/metrics.h) writes the method, the codes,
// the latency, the principal's name and the request id, and nothing of a
// request's body, so no API key, phone, email or card number reaches it.
//
// Thread-safety: Log may be called from any thread; each line is written
// whole, with one write of the sink, so lines never interleave.
#ifndef LOYALTY_SERVER_LOG_H_
#define LOYALTY_SERVER_LOG_H_

#include <cstdint>
#include <functional>
#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace loyalty {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kLogfmt, kJson };

// "debug", "info", "warn", "error"; InvalidArgument naming the choices.
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name);
// "logfmt", "json"; InvalidArgument naming the choices.
absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name);
absl::string_view LogLevelName(LogLevel level);

// One key=value of a line. Strings are quoted when they need it (logfmt)
// or always (JSON); numbers and booleans never are.
struct LogField {
  LogField(absl::string_view name, absl::string_view text)
      : key(name), value(std::string(text)) {}
  LogField(absl::string_view name, const std::string& text)
      : key(name), value(text) {}
  LogField(absl::string_view name, const char* text)
      : key(name), value(std::string(text)) {}
  LogField(absl::string_view name, int64_t number) : key(name), value(number) {}
  LogField(absl::string_view name, int number)
      : key(name), value(int64_t{number}) {}
  LogField(absl::string_view name, uint64_t number)
      : key(name), value(static_cast<int64_t>(number)) {}
  LogField(absl::string_view name, double number) : key(name), value(number) {}
  LogField(absl::string_view name, bool flag) : key(name), value(flag) {}

  absl::string_view key;  // A plain identifier: [a-z_]+, never escaped.
  std::variant<std::string, int64_t, double, bool> value;
};

// Where lines go: called with one whole line, ending in '\n'.
using LogSink = std::function<void(absl::string_view line)>;

class Logger {
 public:
  // Writes lines at `level` and above to `sink`; the default sink is
  // stderr.
  Logger(LogFormat format, LogLevel level, LogSink sink = nullptr);

  // Whether a line at `level` would be written: callers skip building
  // fields of lines nobody reads.
  bool Enabled(LogLevel level) const { return level >= level_; }
  LogLevel level() const { return level_; }

  void Log(LogLevel level, absl::string_view message,
           absl::Span<const LogField> fields = {});
  void Debug(absl::string_view message,
             absl::Span<const LogField> fields = {}) {
    Log(LogLevel::kDebug, message, fields);
  }
  void Info(absl::string_view message, absl::Span<const LogField> fields = {}) {
    Log(LogLevel::kInfo, message, fields);
  }
  void Warn(absl::string_view message, absl::Span<const LogField> fields = {}) {
    Log(LogLevel::kWarn, message, fields);
  }
  void Error(absl::string_view message,
             absl::Span<const LogField> fields = {}) {
    Log(LogLevel::kError, message, fields);
  }

  // One line as Log writes it at `time_ms` (Unix epoch milliseconds, shown
  // in UTC): pure, for the tests of the encodings.
  static std::string FormatLine(LogFormat format, int64_t time_ms,
                                LogLevel level, absl::string_view message,
                                absl::Span<const LogField> fields);

 private:
  const LogFormat format_;
  const LogLevel level_;
  const LogSink sink_;
  absl::Mutex mutex_;  // Serializes the sink's writes.
};

}  // namespace loyalty

#endif  // LOYALTY_SERVER_LOG_H_
