// File: tests/server/log_test.cc
//
// The log line encodings (server/log.h): logfmt quoting and escaping, JSON
// escaping, levels and their names.
#include "server/log.h"

#include <string>
#include <vector>

#include "catch2/catch.hpp"

namespace loyalty {
namespace {

// 2026-12-07T17:01:02.345Z.
constexpr int64_t kTimeMs = 1'796'662'862'345;

TEST_CASE("logfmt writes bare values plainly and quotes what needs it",
          "[server][log]") {
  const std::string line =
      Logger::FormatLine(LogFormat::kLogfmt, kTimeMs, LogLevel::kInfo, "rpc",
                         {{"method", "Earn"},
                          {"code", "OK"},
                          {"latency_ms", 1.5},
                          {"entries", int64_t{3}},
                          {"replayed", true},
                          {"principal", "till 12"},
                          {"empty", ""},
                          {"equals", "a=b"}});
  CHECK(line ==
        "ts=2026-12-07T17:01:02.345Z level=info msg=\"rpc\" method=Earn "
        "code=OK latency_ms=1.500 entries=3 replayed=true "
        "principal=\"till 12\" empty=\"\" equals=\"a=b\"\n");
}

TEST_CASE(
    "logfmt escapes quotes, backslashes and newlines so an event "
    "stays one line",
    "[server][log]") {
  const std::string line = Logger::FormatLine(
      LogFormat::kLogfmt, kTimeMs, LogLevel::kWarn, "say \"hi\"",
      {{"error", "line one\nline \"two\"\t\\ end\r"}, {"bell", "\x07"}});
  CHECK(line ==
        "ts=2026-12-07T17:01:02.345Z level=warn msg=\"say \\\"hi\\\"\" "
        "error=\"line one\\nline \\\"two\\\"\\t\\\\ end\\r\" "
        "bell=\"\\u0007\"\n");
  // One line: the only newline ends it.
  CHECK(line.find('\n') == line.size() - 1);
}

TEST_CASE("JSON lines quote strings, not numbers, and escape as JSON does",
          "[server][log]") {
  const std::string line = Logger::FormatLine(
      LogFormat::kJson, kTimeMs, LogLevel::kError, "storage write failed",
      {{"error", "disk \"full\"\nagain"},
       {"keys", 3},
       {"latency_ms", 0.25},
       {"ok", false},
       {"utf8", "Jürgen"}});
  CHECK(line ==
        "{\"ts\":\"2026-12-07T17:01:02.345Z\",\"level\":\"error\","
        "\"msg\":\"storage write failed\","
        "\"error\":\"disk \\\"full\\\"\\nagain\",\"keys\":3,"
        "\"latency_ms\":0.250,\"ok\":false,\"utf8\":\"Jürgen\"}\n");
}

TEST_CASE("a logger writes its level and above, whole lines to its sink",
          "[server][log]") {
  std::vector<std::string> lines;
  Logger logger(LogFormat::kLogfmt, LogLevel::kWarn,
                [&lines](absl::string_view line) { lines.emplace_back(line); });
  CHECK_FALSE(logger.Enabled(LogLevel::kInfo));
  CHECK(logger.Enabled(LogLevel::kError));
  logger.Debug("hidden");
  logger.Info("hidden too");
  logger.Warn("shown", {{"n", 1}});
  logger.Error("shown too");
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("level=warn msg=\"shown\" n=1\n") != std::string::npos);
  CHECK(lines[1].find("level=error msg=\"shown too\"\n") != std::string::npos);
}

TEST_CASE(
    "log levels and formats parse by name; anything else names the "
    "flag",
    "[server][log]") {
  CHECK(*ParseLogLevel("debug") == LogLevel::kDebug);
  CHECK(*ParseLogLevel("info") == LogLevel::kInfo);
  CHECK(*ParseLogLevel("warn") == LogLevel::kWarn);
  CHECK(*ParseLogLevel("error") == LogLevel::kError);
  CHECK(*ParseLogFormat("logfmt") == LogFormat::kLogfmt);
  CHECK(*ParseLogFormat("json") == LogFormat::kJson);
  absl::StatusOr<LogLevel> loud = ParseLogLevel("loud");
  REQUIRE_FALSE(loud.ok());
  CHECK(loud.status().message().find("--log-level") == 0);
  absl::StatusOr<LogFormat> xml = ParseLogFormat("xml");
  REQUIRE_FALSE(xml.ok());
  CHECK(xml.status().message().find("--log-format") == 0);
  CHECK(LogLevelName(LogLevel::kWarn) == "warn");
}

}  // namespace
}  // namespace loyalty
