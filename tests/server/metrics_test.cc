// File: tests/server/metrics_test.cc
//
// loyaltyd's metrics and request log, in process: calls that succeed, fail
// and are refused, then a scrape of /metrics over real HTTP whose counters,
// histogram and gauges must count exactly those calls; the scrape's
// families must be the ones deploy/monitoring/metric_names.txt lists (the
// alert rules and dashboard are checked against that list); and the log
// must name each call without its API key or the phone number it carried.
#include "server/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "catch2/catch.hpp"
#include "tests/server/server_test_util.h"

namespace loyalty::testing {
namespace {

using namespace loyalty::v1;  // NOLINT: tests name many messages.

constexpr char kPhone[] = "+49 30 12345678";

// GET http://127.0.0.1:port/path: the status line and the body.
struct HttpResponse {
  std::string status_line;
  std::string body;
};
HttpResponse HttpGet(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address),
                    sizeof(address)) == 0);
  const std::string request =
      "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  REQUIRE(::send(fd, request.data(), request.size(), 0) ==
          static_cast<ssize_t>(request.size()));
  std::string received;
  char buffer[8192];
  ssize_t got = 0;
  while ((got = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) {
    received.append(buffer, static_cast<size_t>(got));
  }
  ::close(fd);
  const size_t header_end = received.find("\r\n\r\n");
  REQUIRE(header_end != std::string::npos);
  return HttpResponse{received.substr(0, received.find("\r\n")),
                      received.substr(header_end + 4)};
}

// One scrape in the text exposition format, by series.
class Scrape {
 public:
  explicit Scrape(const std::string& text) {
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      if (absl::ConsumePrefix(&line, "# TYPE ")) {
        const size_t space = line.find(' ');
        families_[std::string(line.substr(0, space))] =
            std::string(line.substr(space + 1));
        continue;
      }
      if (line.empty() || line.front() == '#') continue;
      const size_t space = line.rfind(' ');
      REQUIRE(space != absl::string_view::npos);
      absl::string_view series = line.substr(0, space);
      Labels labels;
      std::string name(series.substr(0, series.find('{')));
      if (series.find('{') != absl::string_view::npos) {
        absl::string_view inside = series.substr(series.find('{') + 1);
        inside = absl::StripSuffix(inside, "}");
        for (absl::string_view pair : absl::StrSplit(inside, "\",")) {
          if (pair.empty()) continue;
          const size_t equals = pair.find('=');
          absl::string_view value = pair.substr(equals + 1);
          value = absl::StripPrefix(value, "\"");
          value = absl::StripSuffix(value, "\"");
          labels[std::string(pair.substr(0, equals))] = std::string(value);
        }
      }
      samples_[name][labels] = std::stod(std::string(line.substr(space + 1)));
    }
  }
  using Labels = std::map<std::string, std::string>;

  // The sample of `name` with exactly `labels`; -1 when there is none.
  double Value(const std::string& name, const Labels& labels = {}) const {
    auto family = samples_.find(name);
    if (family == samples_.end()) return -1;
    auto sample = family->second.find(labels);
    return sample == family->second.end() ? -1 : sample->second;
  }
  // Each family's type, by name.
  const std::map<std::string, std::string>& families() const {
    return families_;
  }

 private:
  std::map<std::string, std::map<Labels, double>> samples_;
  std::map<std::string, std::string> families_;
};

Scrape::Labels Rpc(const std::string& service, const std::string& method,
                   const std::string& code = "") {
  Scrape::Labels labels = {{"grpc_type", "unary"},
                           {"grpc_service", "loyalty.v1." + service},
                           {"grpc_method", method}};
  if (!code.empty()) labels["grpc_code"] = code;
  return labels;
}

// Captures a server's log lines.
struct LogLines {
  absl::Mutex mutex;
  std::vector<std::string> lines;

  std::shared_ptr<Logger> MakeLogger() {
    return std::make_shared<Logger>(LogFormat::kLogfmt, LogLevel::kInfo,
                                    [this](absl::string_view line) {
                                      absl::MutexLock lock(&mutex);
                                      lines.emplace_back(line);
                                    });
  }
  std::vector<std::string> Take() {
    absl::MutexLock lock(&mutex);
    return lines;
  }
};

// deploy/monitoring/metric_names.txt: each family's type, by name.
std::map<std::string, std::string> ListedMetrics() {
  std::ifstream file(std::string(LOYALTY_SOURCE_DIR) +
                     "/deploy/monitoring/metric_names.txt");
  REQUIRE(file);
  std::map<std::string, std::string> metrics;
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> words = absl::StrSplit(line, ' ');
    REQUIRE(words.size() == 2);
    metrics[words[0]] = words[1];
  }
  return metrics;
}

ServerOptions MetricsOptions(const TempDir& dir, LogLines* log) {
  ServerOptions options = TestServerOptions(dir.path() + "/data");
  options.metrics_listen_address = "127.0.0.1:0";
  options.logger = log->MakeLogger();
  // The test keys, and a rate limit of one call for the app role.
  options.keys_file = dir.path() + "/keys.textproto";
  std::ofstream(options.keys_file)
      << TestKeysFileText()
      << "rate_limits { role: ROLE_APP calls_per_second: 1 burst_calls: 1 "
         "}\n";
  return options;
}

grpc::Status EnrollWithPhone(TestServer& server, const std::string& member_id,
                             const std::string& request_id) {
  EnrollMemberRequest request;
  *request.mutable_context() = PosContext(request_id);
  request.set_member_id(member_id);
  MemberIdentifier* phone = request.add_identifiers();
  phone->set_kind(IDENTIFIER_KIND_PHONE);
  phone->set_value(kPhone);
  EnrollMemberResponse response;
  auto context = ContextWithKey("pos-key");
  return server.LoyaltyStub()->EnrollMember(context.get(), request, &response);
}

grpc::StatusCode GetMemberAs(TestServer& server, const std::string& key,
                             const std::string& member_id) {
  GetMemberRequest request;
  request.set_member_id(member_id);
  Member member;
  auto context = ContextWithKey(key);
  return server.LoyaltyStub()
      ->GetMember(context.get(), request, &member)
      .error_code();
}

TEST_CASE(
    "a scrape of /metrics counts each call by method and code, times "
    "it, and reports the ledger's entries and members",
    "[server][metrics]") {
  TempDir dir;
  LogLines log;
  ManualClock clock(1'800'000'000'000);
  const ServerOptions options = MetricsOptions(dir, &log);
  {
    TestServer server(options, &clock);
    REQUIRE(server.server().metrics_port() > 0);

    // Two members enrolled, one of them retried (a replay).
    REQUIRE(EnrollWithPhone(server, "alice", "enroll-alice").ok());
    REQUIRE(EnrollWithPhone(server, "alice", "enroll-alice").ok());
    EnrollMemberRequest bob;
    *bob.mutable_context() = PosContext("enroll-bob");
    bob.set_member_id("bob");
    EnrollMemberResponse enrolled;
    auto bob_context = ContextWithKey("pos-key");
    REQUIRE(server.LoyaltyStub()
                ->EnrollMember(bob_context.get(), bob, &enrolled)
                .ok());
    // A lookup by the phone number.
    LookupMemberRequest lookup;
    lookup.mutable_identifier()->set_kind(IDENTIFIER_KIND_PHONE);
    lookup.mutable_identifier()->set_value(kPhone);
    Member found;
    auto lookup_context = ContextWithKey("pos-key");
    REQUIRE(server.LoyaltyStub()
                ->LookupMember(lookup_context.get(), lookup, &found)
                .ok());
    // Failures: unknown member, unknown key, the app role's second call.
    CHECK(GetMemberAs(server, "pos-key", "carol") ==
          grpc::StatusCode::NOT_FOUND);
    CHECK(GetMemberAs(server, "not-a-key", "alice") ==
          grpc::StatusCode::UNAUTHENTICATED);
    CHECK(GetMemberAs(server, "app-key", "alice") == grpc::StatusCode::OK);
    CHECK(GetMemberAs(server, "app-key", "alice") ==
          grpc::StatusCode::RESOURCE_EXHAUSTED);

    const HttpResponse response =
        HttpGet(server.server().metrics_port(), "/metrics");
    INFO(response.body);
    CHECK(absl::StrContains(response.status_line, " 200"));
    const Scrape scrape(response.body);

    CHECK(scrape.Value("grpc_server_handled_total",
                       Rpc("LoyaltyService", "EnrollMember", "OK")) == 3);
    CHECK(scrape.Value("grpc_server_handled_total",
                       Rpc("LoyaltyService", "LookupMember", "OK")) == 1);
    CHECK(scrape.Value("grpc_server_handled_total",
                       Rpc("LoyaltyService", "GetMember", "OK")) == 1);
    CHECK(scrape.Value("grpc_server_handled_total",
                       Rpc("LoyaltyService", "GetMember", "NotFound")) == 1);
    CHECK(scrape.Value("grpc_server_handled_total",
                       Rpc("LoyaltyService", "GetMember", "Unauthenticated")) ==
          1);
    CHECK(scrape.Value(
              "grpc_server_handled_total",
              Rpc("LoyaltyService", "GetMember", "ResourceExhausted")) == 1);
    // No series for a code that never happened.
    CHECK(scrape.Value("grpc_server_handled_total",
                       Rpc("LoyaltyService", "EnrollMember", "Internal")) ==
          -1);
    // The histogram saw every call of its method, each in some bucket.
    CHECK(scrape.Value("grpc_server_handling_seconds_count",
                       Rpc("LoyaltyService", "EnrollMember")) == 3);
    CHECK(scrape.Value("grpc_server_handling_seconds_count",
                       Rpc("LoyaltyService", "GetMember")) == 4);
    Scrape::Labels inf = Rpc("LoyaltyService", "GetMember");
    inf["le"] = "+Inf";
    CHECK(scrape.Value("grpc_server_handling_seconds_bucket", inf) == 4);
    CHECK(scrape.Value("grpc_server_handling_seconds_sum",
                       Rpc("LoyaltyService", "GetMember")) > 0);
    // A method nobody called has its histogram, empty.
    CHECK(scrape.Value("grpc_server_handling_seconds_count",
                       Rpc("AdminService", "Adjust")) == 0);

    CHECK(scrape.Value("loyalty_authentication_failures_total") == 1);
    CHECK(scrape.Value("loyalty_rate_limited_total",
                       {{"principal", "app-backend"}}) == 1);
    CHECK(scrape.Value("loyalty_idempotent_replays_total") == 1);
    CHECK(scrape.Value("loyalty_ledger_entries") == 2);
    CHECK(scrape.Value("loyalty_members") == 2);
    CHECK(scrape.Value("loyalty_writer_entries_total") == 2);
    CHECK(scrape.Value("loyalty_writer_commands_total") == 3);
    CHECK(scrape.Value("loyalty_writer_queue_depth") == 0);
    CHECK(scrape.Value("loyalty_ledger_writes_refused") == 0);
    CHECK(scrape.Value("loyalty_watch_streams") == 0);
    CHECK(scrape.Value("loyalty_writer_sync_seconds_count") ==
          scrape.Value("loyalty_writer_batches_total"));
    CHECK(scrape.Value("loyalty_writer_batch_commands_sum") == 3);

    // The scrape's families are the listed ones with their types, no more,
    // no fewer.
    CHECK(scrape.families() == ListedMetrics());

    // Anything but /metrics is not served.
    CHECK(absl::StrContains(
        HttpGet(server.server().metrics_port(), "/").status_line, " 404"));
  }

  // A restart counts the stored members once, then goes on counting.
  TestServer restarted(options, &clock);
  const Scrape after(
      HttpGet(restarted.server().metrics_port(), "/metrics").body);
  CHECK(after.Value("loyalty_members") == 2);
  CHECK(after.Value("loyalty_ledger_entries") == 2);
  CHECK(after.Value("loyalty_writer_entries_total") == 0);
}

TEST_CASE(
    "the request log names each call's method, code, principal and "
    "request id, never its API key or phone number",
    "[server][metrics][log]") {
  TempDir dir;
  LogLines log;
  ManualClock clock(1'800'000'000'000);
  {
    TestServer server(MetricsOptions(dir, &log), &clock);
    REQUIRE(EnrollWithPhone(server, "alice", "enroll-alice").ok());
    // The same phone again: refused, with its error in the log.
    CHECK(EnrollWithPhone(server, "alice-2", "enroll-alice-2").error_code() ==
          grpc::StatusCode::ALREADY_EXISTS);
    CHECK(GetMemberAs(server, "not-a-key", "alice") ==
          grpc::StatusCode::UNAUTHENTICATED);
  }
  const std::vector<std::string> lines = log.Take();
  std::string all;
  for (const std::string& line : lines) all += line;
  INFO(all);

  auto find = [&lines](const std::string& wanted) {
    for (const std::string& line : lines) {
      if (absl::StrContains(line, wanted)) return line;
    }
    return std::string();
  };
  const std::string enrolled = find("request_id=enroll-alice\n");
  REQUIRE_FALSE(enrolled.empty());
  CHECK(absl::StrContains(enrolled,
                          "level=info msg=\"rpc\" "
                          "method=EnrollMember "
                          "service=loyalty.v1.LoyaltyService "
                          "code=OK latency_ms="));
  CHECK(absl::StrContains(enrolled, "principal=pos-terminal"));
  const std::string refused = find("request_id=enroll-alice-2");
  REQUIRE_FALSE(refused.empty());
  CHECK(absl::StrContains(refused,
                          "code=AlreadyExists "
                          "reason=ERROR_REASON_IDENTIFIER_TAKEN"));
  CHECK(absl::StrContains(refused, "error=\""));
  const std::string unknown_key = find("code=Unauthenticated");
  REQUIRE_FALSE(unknown_key.empty());
  CHECK_FALSE(absl::StrContains(unknown_key, "principal="));
  // No secret anywhere: not the keys, not the phone in any spelling.
  CHECK_FALSE(absl::StrContains(all, "pos-key"));
  CHECK_FALSE(absl::StrContains(all, "not-a-key"));
  CHECK_FALSE(absl::StrContains(all, "12345678"));
  CHECK_FALSE(absl::StrContains(all, "+49"));
}

TEST_CASE(
    "the metrics address is HOST:PORT with an IP address; anything else "
    "is refused naming --metrics-listen",
    "[server][metrics]") {
  CHECK(CheckMetricsAddress("0.0.0.0:9464").ok());
  CHECK(CheckMetricsAddress("127.0.0.1:0").ok());
  CHECK(CheckMetricsAddress("[::1]:9464").ok());
  CHECK(CheckMetricsAddress("[::]:65535").ok());
  for (const char* bad :
       {"", "9464", ":9464", "localhost:9464", "127.0.0.1",
        "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:http",
        "1.2.3:80", "256.0.0.1:80", "[]:80", "[example]:80", "::1:9464"}) {
    INFO(bad);
    absl::Status status = CheckMetricsAddress(bad);
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StartsWith(status.message(), "--metrics-listen: "));
  }
}

TEST_CASE("a server refuses a metrics address in use and changes nothing",
          "[server][metrics]") {
  TempDir dir;
  LogLines log;
  TestServer first(MetricsOptions(dir, &log), nullptr);
  TempDir other;
  ServerOptions options = MetricsOptions(other, &log);
  options.metrics_listen_address =
      "127.0.0.1:" + std::to_string(first.server().metrics_port());
  SystemClock clock;
  auto second = LoyaltyServer::Start(TestProgram(), options, &clock);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == absl::StatusCode::kUnavailable);
  CHECK(absl::StartsWith(second.status().message(), "--metrics-listen: "));
  // Storage was never opened.
  CHECK_FALSE(std::filesystem::exists(options.data_dir));
}

}  // namespace
}  // namespace loyalty::testing
