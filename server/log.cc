// File: server/log.cc
//
// The logfmt and JSON encodings of a log line (log.h). logfmt quotes a value
// that is empty or holds a space, '=', '"', '\' or a control character, and
// escapes inside quotes as JSON does, so one event is always one line.
#include "server/log.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace loyalty {
namespace {

// `text` as the inside of a JSON string: quotes, backslashes and control
// characters escaped; other bytes (UTF-8 included) as they are.
void AppendEscaped(absl::string_view text, std::string* out) {
  for (const char c : text) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          absl::StrAppendFormat(out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out->push_back(c);
        }
    }
  }
}

void AppendQuoted(absl::string_view text, std::string* out) {
  out->push_back('"');
  AppendEscaped(text, out);
  out->push_back('"');
}

bool LogfmtNeedsQuotes(absl::string_view text) {
  if (text.empty()) return true;
  for (const char c : text) {
    if (c == ' ' || c == '=' || c == '"' || c == '\\' ||
        static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return true;
    }
  }
  return false;
}

void AppendNumber(const LogField& field, std::string* out) {
  if (const auto* number = std::get_if<int64_t>(&field.value)) {
    absl::StrAppend(out, *number);
  } else if (const auto* real = std::get_if<double>(&field.value)) {
    absl::StrAppendFormat(out, "%.3f", *real);
  } else {
    out->append(std::get<bool>(field.value) ? "true" : "false");
  }
}

std::string Timestamp(int64_t time_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(time_ms),
                          absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return absl::InvalidArgumentError(absl::StrCat(
      "--log-level: must be debug, info, warn or error, got \"", name, "\""));
}

absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name) {
  if (name == "logfmt") return LogFormat::kLogfmt;
  if (name == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("--log-format: must be logfmt or json, got \"", name, "\""));
}

absl::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "unknown";
}

Logger::Logger(LogFormat format, LogLevel level, LogSink sink)
    : format_(format), level_(level), sink_(std::move(sink)) {}

void Logger::Log(LogLevel level, absl::string_view message,
                 absl::Span<const LogField> fields) {
  if (!Enabled(level)) return;
  const std::string line = FormatLine(format_, absl::ToUnixMillis(absl::Now()),
                                      level, message, fields);
  absl::MutexLock lock(&mutex_);
  if (sink_) {
    sink_(line);
    return;
  }
  // One fwrite of the whole line to unbuffered stderr: one write(2).
  std::fwrite(line.data(), 1, line.size(), stderr);
}

std::string Logger::FormatLine(LogFormat format, int64_t time_ms,
                               LogLevel level, absl::string_view message,
                               absl::Span<const LogField> fields) {
  std::string line;
  line.reserve(128);
  if (format == LogFormat::kJson) {
    absl::StrAppend(&line, "{\"ts\":\"", Timestamp(time_ms), "\",\"level\":\"",
                    LogLevelName(level), "\",\"msg\":");
    AppendQuoted(message, &line);
    for (const LogField& field : fields) {
      absl::StrAppend(&line, ",\"", field.key, "\":");
      if (const auto* text = std::get_if<std::string>(&field.value)) {
        AppendQuoted(*text, &line);
      } else {
        AppendNumber(field, &line);
      }
    }
    line.append("}\n");
    return line;
  }
  absl::StrAppend(&line, "ts=", Timestamp(time_ms),
                  " level=", LogLevelName(level), " msg=");
  AppendQuoted(message, &line);
  for (const LogField& field : fields) {
    absl::StrAppend(&line, " ", field.key, "=");
    if (const auto* text = std::get_if<std::string>(&field.value)) {
      if (LogfmtNeedsQuotes(*text)) {
        AppendQuoted(*text, &line);
      } else {
        line.append(*text);
      }
    } else {
      AppendNumber(field, &line);
    }
  }
  line.push_back('\n');
  return line;
}

}  // namespace loyalty
