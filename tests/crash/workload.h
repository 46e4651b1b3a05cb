// File: tests/crash/workload.h
//
// The load of the crash tests: random but valid mutations the way channels
// send them, and a client loop that sends them and records every request
// with its answer.
//
// The mix, per request: 10% enroll (a pool member id with its card, someone
// else's card, or a server-assigned id), 45% earn (1-5 basket lines in EUR or
// USD from a POS or the app; 1 in 20 repeats an order already sent),
// 30% redeem (often more than the balance), 15% admin adjust (credit or
// debit). Members are "m-<k>" for k < members_max, chosen with a bias to a
// few hot members so that requests of different clients collide on one
// member; 1 in 20 names a member who never exists. So the answers include OK
// and every remembered rejection: NOT_FOUND, FAILED_PRECONDITION (too few
// points) and ALREADY_EXISTS (member, card or order taken).
//
// Request ids are "c<cycle>-t<client>-<n>", unique in a run.
#ifndef LOYALTY_TESTS_CRASH_WORKLOAD_H_
#define LOYALTY_TESTS_CRASH_WORKLOAD_H_

#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "tests/crash/ledger_client.h"

namespace loyalty::crash {

// One mutation sent, and what came back.
struct SentRequest {
  Method method = Method::kEnroll;
  std::string api_key;
  std::string request;     // The serialized request message.
  std::string request_id;
  std::string member_id;   // As requested; "" when the server assigns it.
  int cycle = 0;
  int attempts = 0;        // Sends so far (a client retries in-doubt answers).
  Outcome outcome;         // The last answer; IsAcknowledged once definite.
  absl::Time answered_at;  // When `outcome` came back.
};

struct WorkloadOptions {
  int cycle = 0;
  int client = 0;
  uint64_t seed = 0;
  int members_max = 60;
  int hot_members = 4;
};

class RequestGenerator {
 public:
  explicit RequestGenerator(const WorkloadOptions& options);
  SentRequest Next();

 private:
  std::string PickMember();
  SentRequest NextEnroll(std::string request_id);
  SentRequest NextEarn(std::string request_id);
  SentRequest NextRedeem(std::string request_id);
  SentRequest NextAdjust(std::string request_id);
  SentRequest NextEvent(std::string request_id);
  int Uniform(int low, int high);  // In [low, high].
  bool Chance(double p);

  WorkloadOptions options_;
  std::mt19937_64 random_;
  uint64_t counter_ = 0;
  std::vector<std::pair<std::string, std::string>> orders_;  // member, order
};

// Sends `generator`'s requests one after another over its own connection to
// `address` until `stop` is set, and appends each to `sent`. An in-doubt
// answer is retried with the same request (as a POS would) until it is
// definite or `stop` is set.
void RunClient(const std::string& address, RequestGenerator* generator,
               const std::atomic<bool>* stop, std::vector<SentRequest>* sent);

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_WORKLOAD_H_
