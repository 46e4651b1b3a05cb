// File: tests/crash/crash_test.cc
//
// Crash test of the real loyaltyd: kill -9 (or SIGTERM) under load loses no
// acknowledged write, and every retry gets a deterministic answer (promises 3
// and 4).
//
// Each cycle drives concurrent load from --clients threads (each with its own
// connection and a mix of enroll, earn, redeem, events, adjust and two-phase
// redemption: holds of 1-3 s, captures and releases; earns of orders a few
// seconds younger than the program's return window, pending until they
// mature; returns of earned orders, with redeems on them; transfers between
// members; links and unlinks of phones in several notations, emails and
// cards; legacy imports of a few rows; closes of imported members; merges
// of members, whose old ids the load keeps naming; see workload.h; one
// earn, return and event in three goes through SubmitBatch, as an offline
// till's journal sends them, and its re-sends take either path),
// records every request and its answer, then kills loyaltyd at a random
// moment (the load sends merges more often in the last 30 ms before it, so
// that some merges are in flight), restarts it on the same data directory
// and checks:
//   (c) VerifyLedger is ok (no sequence gaps, hash chain, balances replay) and
//       the ledger reaches at least the newest acknowledged sequence;
//   (a) every acknowledged request (OK, or a remembered NOT_FOUND,
//       FAILED_PRECONDITION or ALREADY_EXISTS) of this cycle, and a sample of
//       earlier cycles', re-sent with the same request id and content gets
//       the same answer (for OK the same entry, points and balance, marked
//       replayed), and the re-sends write nothing: VerifyLedger's
//       last_sequence moves only by timeout RELEASEs and MATUREs, which
//       the sweep (loyaltyd runs with --sweep-interval-ms 200) may write
//       meanwhile;
//   (b) every acknowledged entry of this cycle is in its member's statement;
//   (d) every request whose answer the kill swallowed (UNAVAILABLE,
//       CANCELLED, DEADLINE_EXCEEDED) gets a definite answer when re-sent,
//       and the same one again;
//   (e) holds (hold_check.h): every acknowledged HOLD is in its member's
//       statement with its hold id; an acknowledged capture or release
//       closed that hold with exactly its entry; no hold is closed twice;
//       any other close is a timeout RELEASE by "system" at the hold's
//       expiry, and no hold stays open long past it; HOLD_NOT_ACTIVE and
//       HOLD_NOT_FOUND answers agree with the statement; held_points is the
//       sum of the open holds, in every entry and in the balance; and
//       pending points: each pending EARN's lot matures whole, once, at its
//       time (a MATURE by "system"), less what returns took from it, and
//       pending_points is the sum of the pending lots, in every entry and
//       in the balance;
//   (f) returns (return_check.h): every acknowledged RETURN (and RESTORE)
//       is in its member's statement with the answer's sequence and hash,
//       and every one in a statement was acknowledged; per order, what the
//       returns took back or forgave is exactly the pro-rata share of what
//       the order earned (so never more) and restores never pass what was
//       redeemed on it; ORDER_NOT_FOUND answers name orders that never
//       earned;
//   (g) transfers (transfer_check.h): every acknowledged transfer is in
//       both statements, the TRANSFER_OUT at n on the sender and its
//       TRANSFER_IN at n + 1 on the receiver with the same points and lots;
//       no half exists without the other; transfers never change the
//       members' summed available points; the program's limits hold;
//   (h) identifiers and imports (identity_check.h): every acknowledged link
//       resolves by LookupMember, in every notation, to its member unless
//       unlinked later, every acknowledged unlink misses unless linked
//       again, no identifier belongs to two members; every acknowledged
//       import row's card finds the member its answer named and its
//       entries are in the statement; dry runs of known rows, sent while
//       acknowledged requests are re-sent, answer as the stored state says
//       and write and remember nothing;
//   (i) closes (close_check.h): every acknowledged close's CLOSE entry is in
//       the statement with its sequence and is the member's last entry; it
//       forfeits exactly the available points before it (the balance's
//       forfeited_points_total agrees); the member is MEMBER_STATUS_CLOSED;
//       an erasing close leaves no identifiers and its card no longer finds
//       the member; every write sent after a close was acknowledged and
//       naming its member was refused MEMBER_CLOSED;
//   (j) merges (merge_check.h): every acknowledged merge is in both
//       statements, the MERGE_OUT at n on the source (its last entry) and
//       its MERGE_IN at n + 1 on the target, taking exactly what the source
//       had and adding it to what the target had; no half exists without
//       the other and no request merges twice; every entry of every
//       acknowledged write is on the member its named id meant then (so
//       writes naming a merged member land on its target, chains
//       included); GetMember and GetBalance of a merged member answer with
//       its target, which lists its aliases; MEMBER_MERGED answers only
//       where an alias makes them right; the other checks follow what
//       moved: identifiers (h), open holds (e), orders (f), transfer totals
//       (g);
//   (k) coupons (coupon_check.h): clients race to redeem, reserve, commit
//       and release the same codes, reservations timing out across
//       restarts; every acknowledged coupon exists with exactly as many uses
//       as OK redemptions and commits were acknowledged for it, never more
//       than it allows with its reserved uses, each reservation ended once,
//       and all uses made once a redemption was told it is used up (of a
//       coupon never reserved);
//       coupons issued by program rules (rule_coupon_check.h): every
//       acknowledged Earn that reached the spend bonus has exactly one
//       coupon of it, right after its EARN, none twice and none for any
//       other request;
//   (l) vouchers (voucher_check.h): tills race for a voucher's last units
//       and friends for one gift claim code; every acknowledged voucher
//       exists with its owner, its units conserved (bought = redeemed +
//       transferred out + gifted + refunded + expired + left, never below
//       zero) and exactly the acknowledged pickups, transfers, gifts,
//       claims and refunds taken from it; a claim code is claimed once;
//   (n) rewards (reward_check.h): members race for the last rewards in
//       stock and cancels for one reward; every acknowledged exchange's
//       coupon or voucher exists with its item and owner (no half
//       exchange), cancelled exactly when a cancel was acknowledged, and
//       each item's stock left is its stock less the acknowledged
//       exchanges not cancelled;
//   (o) offline redemptions (offline_check.h): tills' redemptions synced
//       while loyaltyd is killed; no member's applied ones of a sale day
//       pass the day's allowance, and the operator's list of
//       reconciliations is exactly the acknowledged ones taken into debt or
//       refused;
//   (m) bulk coupon codes (generate_check.h): one client streams
//       GenerateCoupons batches through the signal; after the restart every
//       batch begun is called again by its batch id and ends with exactly
//       its count of distinct codes, each streamed code where it was; the
//       batches' codes go to the load as bearer codes that any member
//       redeems, checked with the coupons in (k);
//   (p) the change stream (watch_check.h): a consumer follows WatchEntries
//       through every kill and restart, resuming from its last
//       next_sequence, each entry checked against the chain; after every
//       restart its copy reaches the ledger's head with the head's hash;
//   and no member's balance is negative except by its debt (the program
//   lets returns take spent points down to a floor, per member merged
//   in), held never.
// loyaltyd runs with --identifier-key-file (a key written once into the
// work dir, the same after every restart), so phones and emails are stored
// hashed and found again after each restart.
// At the end, once every hold has expired and every pending lot matured,
// (e) runs again and no hold may be open and no lot pending: the sweep
// released every hold nobody settled and matured every lot.
// With --mode kill, one cycle in ten also kills loyaltyd during its start
// (while RocksDB recovers) before the real restart.
// With --mode term the server gets SIGTERM instead: it must exit 0, and
// in-flight requests either complete (then they must be durable and
// replayable) or fail with UNAVAILABLE or CANCELLED.
//
// ctest runs short settings. Run it long by hand, e.g.:
//   build/tests/crash/crash_test --loyaltyd build/server/loyaltyd
//       --cycles 200 --seconds-per-cycle 3
//   build/tests/crash/crash_test --loyaltyd build/server/loyaltyd
//       --mode term --cycles 50 --seconds-per-cycle 3
// (each on one line).
// --seed repeats a run's choices (not its timing); every run prints its seed.
// On failure the data directory and loyaltyd's log are kept and named.
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "tests/crash/close_check.h"
#include "tests/crash/coupon_check.h"
#include "tests/crash/generate_check.h"
#include "tests/crash/hold_check.h"
#include "tests/crash/identity_check.h"
#include "tests/crash/ledger_client.h"
#include "tests/crash/offline_check.h"
#include "tests/crash/loyaltyd_process.h"
#include "tests/crash/merge_check.h"
#include "tests/crash/recheck.h"
#include "tests/crash/return_check.h"
#include "tests/crash/reward_check.h"
#include "tests/crash/rule_coupon_check.h"
#include "tests/crash/test_program.h"
#include "tests/crash/transfer_check.h"
#include "tests/crash/voucher_check.h"
#include "tests/crash/watch_check.h"
#include "tests/crash/workload.h"

namespace loyalty::crash {
namespace {

struct Flags {
  std::string loyaltyd;
  std::string mode = "kill";
  int cycles = 10;
  double seconds_per_cycle = 2.0;
  int clients = 4;
  uint64_t seed = 0;
  int members = 60;
  int earlier_sample = 300;
  int sweep_interval_ms = 200;
  bool keep_data = false;
  int failures_shown = 20;
};

struct Totals {
  uint64_t sent = 0;
  uint64_t attempts = 0;
  uint64_t acknowledged = 0;
  uint64_t acknowledged_ok = 0;
  uint64_t not_found = 0;
  uint64_t failed_precondition = 0;
  uint64_t already_exists = 0;
  uint64_t in_doubt = 0;
  std::map<int, uint64_t> in_doubt_by_code;  // gRPC code -> requests.
  uint64_t in_doubt_applied = 0;
  uint64_t acknowledged_after_signal = 0;
  uint64_t resent = 0;
  uint64_t statement_entries = 0;
  uint64_t startup_kills = 0;
  // Timeout RELEASEs and MATUREs the sweep wrote while re-sending.
  uint64_t resend_time_driven = 0;
};

// Dry-run import rows of acknowledged rows sent after each restart.
constexpr int kDryRunRowsPerRestart = 8;
// How long before each stop the load sends merges more often.
constexpr double kMergeBurstS = 0.03;
// A run that sent this many requests has surely acknowledged transfers,
// links, unlinks, import rows, merges and pending earns, and named merged
// members; if its statements show none, the checks of them saw nothing and
// prove nothing.
constexpr uint64_t kSentForMemberCommandsMin = 5000;

// Keeps a uniform random sample of every acknowledged request of the run
// (reservoir sampling), so later cycles can re-check old answers without
// keeping them all.
class Reservoir {
 public:
  explicit Reservoir(size_t size_max) : size_max_(size_max) {}
  void Add(const SentRequest& request, std::mt19937_64& random) {
    ++seen_;
    if (kept_.size() < size_max_) {
      kept_.push_back(request);
      return;
    }
    uint64_t slot = std::uniform_int_distribution<uint64_t>(0, seen_ - 1)(random);
    if (slot < size_max_) kept_[slot] = request;
  }
  std::vector<const SentRequest*> Pick(size_t count, std::mt19937_64& random) {
    std::vector<const SentRequest*> picked;
    for (const SentRequest& request : kept_) picked.push_back(&request);
    std::shuffle(picked.begin(), picked.end(), random);
    if (picked.size() > count) picked.resize(count);
    return picked;
  }

 private:
  size_t size_max_;
  uint64_t seen_ = 0;
  std::vector<SentRequest> kept_;
};

class CrashRun {
 public:
  explicit CrashRun(Flags flags)
      : flags_(std::move(flags)),
        kill_mode_(flags_.mode == "kill"),
        random_(flags_.seed),
        history_(5000) {}

  // The process exit code: 0 when every check held.
  int Run();

 private:
  bool Setup();
  // Writes a random identifier key into the work dir: loyaltyd reads it at
  // every start.
  bool WriteIdentifierKey(const std::string& path);
  absl::Status StartServer();
  absl::Status KillDuringStartup();
  // Drives load, stops the server at a random moment; returns every request.
  std::vector<SentRequest> LoadAndStop(int cycle, double* stopped_after_s);
  void Classify(std::vector<SentRequest>& requests,
                std::vector<const SentRequest*>* acknowledged,
                std::vector<SentRequest*>* in_doubt);
  void CheckAfterRestart(int cycle, std::vector<SentRequest>& requests);
  absl::StatusOr<loyalty::v1::VerifyLedgerResponse> VerifyOk(
      absl::string_view when);
  void CheckBalancesNotNegative();
  // (e) with `window` the sequences written while re-sending.
  void CheckHolds(HoldWindow* window, absl::Duration grace);
  // Waits until every hold seen has expired (and every pending lot
  // matured) and the sweep had time to release (mature) it, then checks
  // that none is open (pending).
  void CheckHoldsAllReleased();
  // How long past its expiry a hold may stay open: the sweep runs every
  // sweep_interval_ms, and a restart pauses it.
  absl::Duration HoldReleaseGrace() const;
  // Fails the run when a long enough one never exercised (g) to (j), or
  // pending points (e).
  void CheckMemberCommandsExercised();
  void Fail(std::string problem) { failures_.push_back(std::move(problem)); }
  int Finish();
  void PrintMemberCommandTotals() const;

  Flags flags_;
  bool kill_mode_;
  std::mt19937_64 random_;
  std::string work_dir_;
  LoyaltydOptions server_options_;
  std::unique_ptr<LoyaltydProcess> server_;
  Reservoir history_;
  HoldBook hold_book_;    // Acknowledged holds, for captures and releases.
  HoldCheck hold_check_;  // What answers and statements say about holds.
  OrderBook order_book_;  // Acknowledged earns, for returns and redeems.
  ReturnCheck return_check_{kNegativeBalanceFloorPoints};
  MemberBook member_book_;  // Acknowledged links and import rows.
  TransferCheck transfer_check_;
  IdentityCheck identity_check_{flags_.members};
  CloseCheck close_check_;
  CouponBook coupon_book_;  // Acknowledged coupons, for redemptions.
  CouponCheck coupon_check_;
  RuleCouponCheck rule_coupon_check_;  // Coupons issued by program rules.
  VoucherBook voucher_book_;  // Acknowledged vouchers and claim codes.
  VoucherCheck voucher_check_;
  RewardCheck reward_check_;
  OfflineCheck offline_check_{kOfflineAllowancePoints};
  WatchCheck watch_check_;
  GenerateCheck generate_check_;  // Bulk coupon codes.
  MergeCheck merge_check_;
  uint64_t max_acknowledged_sequence_ = 0;
  Totals totals_;
  Failures failures_;
  absl::Time started_ = absl::Now();
  absl::Time signalled_at_;  // When this cycle's SIGKILL or SIGTERM went out.
  // For the last holds to expire and lots to mature.
  absl::Duration final_hold_wait_;
};

bool CrashRun::Setup() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "loyalty-crash-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::fprintf(stderr, "crash_test: cannot create a temp dir\n");
    return false;
  }
  work_dir_ = pattern;
  server_options_.binary = flags_.loyaltyd;
  server_options_.data_dir = work_dir_ + "/data";
  server_options_.program_path = work_dir_ + "/program.textproto";
  server_options_.keys_path = work_dir_ + "/keys.textproto";
  server_options_.log_path = work_dir_ + "/loyaltyd.log";
  const std::string key_path = work_dir_ + "/identifier.key";
  if (!WriteIdentifierKey(key_path)) return false;
  // The workload redeems other members' codes on purpose, from few keys,
  // far more often than a till would: the highest unknown-code limit keeps
  // those answers COUPON_NOT_FOUND (the limit has its own tests).
  server_options_.extra_args = {
      "--shutdown-grace-ms",   "5000",
      "--sweep-interval-ms",   absl::StrCat(flags_.sweep_interval_ms),
      "--identifier-key-file", key_path,
      "--unknown-coupon-lookups-per-minute", "60000"};
  absl::Status written = WriteCrashTestProgram(server_options_.program_path);
  if (written.ok()) written = WriteCrashTestKeys(server_options_.keys_path);
  if (!written.ok()) {
    std::fprintf(stderr, "crash_test: %s\n", written.ToString().c_str());
    return false;
  }
  return true;
}

bool CrashRun::WriteIdentifierKey(const std::string& path) {
  std::string key;
  for (int i = 0; i < 4; ++i) {
    absl::StrAppend(&key, absl::Hex(random_(), absl::kZeroPad16));
  }
  std::FILE* file = std::fopen(path.c_str(), "w");
  bool written = file != nullptr && std::fputs(key.c_str(), file) >= 0 &&
                 std::fputc('\n', file) != EOF;
  if (file != nullptr) written = std::fclose(file) == 0 && written;
  if (!written) {
    std::fprintf(stderr, "crash_test: cannot write %s\n", path.c_str());
  }
  return written;
}

absl::Status CrashRun::StartServer() {
  auto started = LoyaltydProcess::Start(server_options_);
  if (!started.ok()) return started.status();
  server_ = std::move(*started);
  watch_check_.Attach(server_->address());
  return absl::OkStatus();
}

absl::Status CrashRun::KillDuringStartup() {
  auto spawned = LoyaltydProcess::Spawn(server_options_);
  if (!spawned.ok()) return spawned.status();
  int delay_ms = std::uniform_int_distribution<int>(0, 40)(random_);
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  (*spawned)->Signal(SIGKILL);
  absl::StatusOr<int> ended = (*spawned)->Wait(absl::Seconds(30));
  if (!ended.ok()) return ended.status();
  ++totals_.startup_kills;
  return absl::OkStatus();
}

std::vector<SentRequest> CrashRun::LoadAndStop(int cycle,
                                               double* stopped_after_s) {
  std::atomic<bool> stop{false};
  std::atomic<bool> merge_burst{false};
  std::vector<std::vector<SentRequest>> sent(flags_.clients);
  std::vector<std::unique_ptr<RequestGenerator>> generators;
  std::vector<std::thread> clients;
  std::string address = server_->address();
  for (int c = 0; c < flags_.clients; ++c) {
    WorkloadOptions options;
    options.cycle = cycle;
    options.client = c;
    options.seed = flags_.seed;
    options.members_max = flags_.members;
    options.holds = &hold_book_;
    options.orders = &order_book_;
    options.members = &member_book_;
    options.coupons = &coupon_book_;
    options.vouchers = &voucher_book_;
    options.merge_burst = &merge_burst;
    generators.push_back(std::make_unique<RequestGenerator>(options));
    clients.emplace_back(RunClient, address, generators.back().get(), &stop,
                         &sent[c]);
  }
  // Bulk coupon codes: one more client streams GenerateCoupons batches.
  std::thread generate_client(&GenerateCheck::RunDuringLoad, &generate_check_,
                              address, &stop, &coupon_book_);
  absl::Time load_started = absl::Now();
  double low_s = std::min(0.1, flags_.seconds_per_cycle);
  *stopped_after_s = std::uniform_real_distribution<double>(
      low_s, flags_.seconds_per_cycle)(random_);
  // The last moments before the signal are a burst of merges, so that
  // some are in flight when it comes (whose answers are lost: the checks
  // then see both halves or neither).
  const double burst_s = std::min(kMergeBurstS, *stopped_after_s / 4);
  std::this_thread::sleep_for(std::chrono::microseconds(
      static_cast<int64_t>((*stopped_after_s - burst_s) * 1e6)));
  merge_burst = true;
  std::this_thread::sleep_for(
      std::chrono::microseconds(static_cast<int64_t>(burst_s * 1e6)));

  signalled_at_ = absl::Now();
  server_->Signal(kill_mode_ ? SIGKILL : SIGTERM);
  hold_check_.AddLoadPeriod(load_started, signalled_at_);
  // Under SIGTERM the clients keep sending while loyaltyd drains, so calls
  // also arrive during the shutdown.
  absl::StatusOr<int> ended = server_->Wait(absl::Seconds(60));
  stop = true;
  for (auto& client : clients) client.join();
  generate_client.join();
  if (!ended.ok()) {
    Fail(absl::StrCat("cycle ", cycle, ": ", ended.status().ToString()));
  } else if (kill_mode_ && *ended != -SIGKILL) {
    Fail(absl::StrCat("cycle ", cycle, ": loyaltyd ended with ", *ended,
                      " before the kill; log:\n", server_->LogTail()));
  } else if (!kill_mode_ && *ended != 0) {
    Fail(absl::StrCat("cycle ", cycle, ": loyaltyd exited ", *ended,
                      " after SIGTERM, wanted 0; log:\n", server_->LogTail()));
  } else if (!kill_mode_ &&
             server_->LogTail().find("stopped cleanly") == std::string::npos) {
    Fail(absl::StrCat("cycle ", cycle,
                      ": no \"stopped cleanly\" line after SIGTERM; log:\n",
                      server_->LogTail()));
  }
  server_.reset();

  std::vector<SentRequest> all;
  for (auto& one : sent) {
    for (auto& request : one) all.push_back(std::move(request));
  }
  return all;
}

void CrashRun::Classify(std::vector<SentRequest>& requests,
                        std::vector<const SentRequest*>* acknowledged,
                        std::vector<SentRequest*>* in_doubt) {
  for (SentRequest& request : requests) {
    ++totals_.sent;
    totals_.attempts += request.attempts;
    if (IsAcknowledged(request.outcome)) {
      acknowledged->push_back(&request);
      ++totals_.acknowledged;
      // Under SIGTERM: answered while loyaltyd drained.
      if (request.answered_at > signalled_at_) {
        ++totals_.acknowledged_after_signal;
      }
      switch (request.outcome.code) {
        case grpc::StatusCode::NOT_FOUND:
          ++totals_.not_found;
          break;
        case grpc::StatusCode::FAILED_PRECONDITION:
          ++totals_.failed_precondition;
          break;
        case grpc::StatusCode::ALREADY_EXISTS:
          ++totals_.already_exists;
          break;
        default:
          break;
      }
      if (request.outcome.code == grpc::StatusCode::OK) {
        ++totals_.acknowledged_ok;
        for (const loyalty::v1::LedgerEntry& entry :
             EntriesOf(request.method, request.outcome.response)) {
          max_acknowledged_sequence_ =
              std::max<uint64_t>(max_acknowledged_sequence_, entry.sequence());
        }
      }
      continue;
    }
    bool clean = kill_mode_ ? IsInDoubt(request.outcome)
                            : request.outcome.code ==
                                      grpc::StatusCode::UNAVAILABLE ||
                                  request.outcome.code ==
                                      grpc::StatusCode::CANCELLED;
    if (!clean) {
      Fail(absl::StrCat(MethodName(request.method), " ", request.request_id,
                        ": unexpected answer ", Describe(request.outcome)));
      continue;
    }
    in_doubt->push_back(&request);
    ++totals_.in_doubt;
    ++totals_.in_doubt_by_code[static_cast<int>(request.outcome.code)];
  }
}

absl::StatusOr<loyalty::v1::VerifyLedgerResponse> CrashRun::VerifyOk(
    absl::string_view when) {
  LedgerClient client(server_->address());
  auto verified = client.Verify();
  if (!verified.ok()) {
    Fail(absl::StrCat("VerifyLedger ", when, ": ", verified.status().ToString()));
    return verified;
  }
  if (!verified->ok()) {
    Fail(absl::StrCat("VerifyLedger ", when, " found problems: ",
                      verified->ShortDebugString()));
  }
  return verified;
}

void CrashRun::CheckBalancesNotNegative() {
  LedgerClient client(server_->address());
  for (int k = 0; k < flags_.members; ++k) {
    std::string member_id = absl::StrCat("m-", k);
    auto member = client.GetMember(member_id);
    if (!member.ok()) {
      if (member.status().code() != absl::StatusCode::kNotFound) {
        Fail(absl::StrCat("member ", member_id, ": ",
                          member.status().ToString()));
      }
      continue;
    }
    const loyalty::v1::Balance* balance = &member->balance();
    // Negative available points are a return's debt, down to the floor;
    // a merge nets the debts of two members, so each member merged in may
    // bring one floor's worth.
    const int64_t floor_points = kNegativeBalanceFloorPoints *
                                 (1 + member->merged_member_ids_size());
    const bool debt_ok =
        balance->available_points() >= 0
            ? balance->debt_points() == 0
            : balance->debt_points() == -balance->available_points() &&
                  balance->available_points() >= floor_points;
    if (!debt_ok || balance->held_points() < 0) {
      Fail(absl::StrCat("balance of ", member_id, " is negative: ",
                        balance->ShortDebugString()));
    }
  }
}

absl::Duration CrashRun::HoldReleaseGrace() const {
  if (flags_.sweep_interval_ms == 0) return absl::InfiniteDuration();
  // A restart takes a second or two and the checks run meanwhile.
  return absl::Milliseconds(3 * flags_.sweep_interval_ms) + absl::Seconds(5);
}

void CrashRun::CheckHolds(HoldWindow* window, absl::Duration grace) {
  LedgerClient client(server_->address());
  hold_check_.Check(client, merge_check_.graph(), window, grace, &failures_);
  uint64_t written = window->through - window->after;
  totals_.resend_time_driven += window->time_driven;
  if (written != window->time_driven) {
    Fail(absl::StrCat("re-sending acknowledged requests wrote entries ",
                      window->after + 1, "..", window->through, ", of which ",
                      window->time_driven,
                      " are timeout releases and maturities of the members "
                      "with holds or pending lots"));
  }
}

void CrashRun::CheckHoldsAllReleased() {
  if (flags_.sweep_interval_ms == 0) return;
  absl::Duration grace = absl::Milliseconds(2 * flags_.sweep_interval_ms) +
                         absl::Seconds(1);
  // Just past the point where the newest hold (or pending lot) would
  // count as overdue.
  absl::Time due = absl::FromUnixMillis(hold_check_.due_at_ms_max()) +
                   grace + absl::Milliseconds(100);
  absl::Time now = absl::Now();
  if (now < due) {
    final_hold_wait_ = due - now;
    absl::SleepFor(final_hold_wait_);
  }
  HoldWindow none;
  CheckHolds(&none, grace);
  if (hold_check_.counts().open_last_check != 0 ||
      hold_check_.counts().pending_last_check != 0) {
    Fail(absl::StrCat(hold_check_.counts().open_last_check,
                      " holds are still open and ",
                      hold_check_.counts().pending_last_check,
                      " lots still pending after every hold expired and "
                      "every lot matured"));
  }
}

void CrashRun::CheckAfterRestart(int cycle, std::vector<SentRequest>& requests) {
  std::vector<const SentRequest*> acknowledged;
  std::vector<SentRequest*> in_doubt;
  Classify(requests, &acknowledged, &in_doubt);

  // (c) The ledger is whole and reaches every acknowledged entry.
  auto before = VerifyOk("after the restart");
  if (!before.ok()) return;
  if (before->last_sequence() < max_acknowledged_sequence_) {
    Fail(absl::StrCat("the ledger ends at entry ", before->last_sequence(),
                      " but entry ", max_acknowledged_sequence_,
                      " was acknowledged"));
  }
  // (a) Acknowledged answers are given again and write nothing.
  std::vector<const SentRequest*> resend = acknowledged;
  for (const SentRequest* earlier :
       history_.Pick(flags_.earlier_sample, random_)) {
    resend.push_back(earlier);
  }
  ResendAndCompare(server_->address(), resend, flags_.clients, &failures_);
  totals_.resent += resend.size();
  LedgerClient client(server_->address());
  // (h) Dry runs, inside the window: they may write nothing either.
  identity_check_.CheckDryRuns(client, merge_check_.graph(), cycle,
                               kDryRunRowsPerRestart, random_,
                               &failures_);
  auto after = VerifyOk("after re-sending acknowledged requests");
  if (!after.ok()) return;
  // (p) The change stream's consumer, reconnected, holds the ledger.
  watch_check_.CheckCaughtUp(after->last_sequence(), after->last_hash_hex(),
                             &failures_);
  // Checked in (e): entries in this window may only be timeout RELEASEs
  // and MATUREs.
  HoldWindow window{before->last_sequence(), after->last_sequence()};
  // (b) Acknowledged entries are in the statements.
  totals_.statement_entries += CheckStatements(client, acknowledged, &failures_);
  // (d) Swallowed answers become definite.
  totals_.in_doubt_applied +=
      SettleInDoubt(server_->address(), in_doubt, flags_.clients, &failures_);
  // (e) Holds, with every answer of this cycle now definite.
  hold_check_.Learn(requests, &failures_);
  return_check_.Learn(requests, &failures_);
  transfer_check_.Learn(requests, &failures_);
  identity_check_.Learn(requests, &failures_);
  close_check_.Learn(requests, &failures_);
  for (const std::string& code : generate_check_.TakeOffered()) {
    coupon_check_.AddBearer(code, kCouponTemplateMulti, kCouponUsesMulti);
  }
  coupon_check_.Learn(requests, &failures_);
  rule_coupon_check_.Learn(requests, &failures_);
  voucher_check_.Learn(requests, &failures_);
  reward_check_.Learn(requests, &failures_);
  offline_check_.Learn(requests, &failures_);
  merge_check_.Learn(requests, &failures_);
  for (const SentRequest* request : in_doubt) {
    order_book_.AddEarn(*request);
    member_book_.AddAnswer(*request);
    coupon_book_.AddAnswer(*request);
    voucher_book_.AddAnswer(*request);
    if (request->method != Method::kHold ||
        request->outcome.code != grpc::StatusCode::OK) {
      continue;
    }
    loyalty::v1::HoldPointsResponse response;
    if (response.ParseFromString(request->outcome.response)) {
      hold_book_.Add({response.entry().member_id(), response.hold_id()});
    }
  }
  // (j) Merges first: the other checks follow what they moved.
  merge_check_.Check(client, &failures_);
  const AliasGraph& aliases = merge_check_.graph();
  CheckHolds(&window, HoldReleaseGrace());
  // (f) Returns.
  return_check_.Check(client, aliases, &failures_);
  // (g) Transfers, (h) identifiers and imports.
  transfer_check_.Check(client, aliases, &failures_);
  identity_check_.Check(client, aliases, random_, &failures_);
  // (i) Closes, after (h): its fold says who has an erased card.
  close_check_.Check(client, identity_check_, &failures_);
  // (k) Coupons.
  coupon_check_.Check(client, &failures_);
  rule_coupon_check_.Check(client, &failures_);
  // (l) Vouchers.
  voucher_check_.Check(client, &failures_);
  // (n) Rewards.
  reward_check_.Check(client, &failures_);
  // (o) Offline redemptions: the allowance holds, the operator's list is
  // exactly the acknowledged reconciliations.
  offline_check_.Check(client, &failures_);
  // (m) Bulk coupon codes: every batch begun completes exactly.
  generate_check_.CheckAfterRestart(server_->address(), &failures_);
  CheckBalancesNotNegative();

  for (const SentRequest* request : acknowledged) {
    history_.Add(*request, random_);
  }
  for (const SentRequest* request : in_doubt) {
    if (IsAcknowledged(request->outcome)) history_.Add(*request, random_);
  }
}

int CrashRun::Run() {
  std::printf("crash_test: mode %s, seed %llu, %d cycles of up to %.2f s, "
              "%d clients\n",
              flags_.mode.c_str(), static_cast<unsigned long long>(flags_.seed),
              flags_.cycles, flags_.seconds_per_cycle, flags_.clients);
  if (!Setup()) return 2;
  std::printf("crash_test: work dir %s\n", work_dir_.c_str());
  std::fflush(stdout);
  if (absl::Status s = StartServer(); !s.ok()) {
    Fail(absl::StrCat("first start: ", s.ToString()));
    return Finish();
  }
  for (int cycle = 1; cycle <= flags_.cycles && failures_.empty(); ++cycle) {
    uint64_t acknowledged_before = totals_.acknowledged;
    uint64_t in_doubt_before = totals_.in_doubt;
    uint64_t applied_before = totals_.in_doubt_applied;
    uint64_t after_signal_before = totals_.acknowledged_after_signal;
    double stopped_after_s = 0;
    std::vector<SentRequest> requests = LoadAndStop(cycle, &stopped_after_s);
    if (kill_mode_ && std::bernoulli_distribution(0.1)(random_)) {
      if (absl::Status s = KillDuringStartup(); !s.ok()) {
        Fail(absl::StrCat("cycle ", cycle, ": start killed early: ",
                          s.ToString()));
      }
    }
    if (absl::Status s = StartServer(); !s.ok()) {
      Fail(absl::StrCat("cycle ", cycle, ": restart: ", s.ToString()));
      break;
    }
    CheckAfterRestart(cycle, requests);
    std::printf("cycle %d: %s after %.2f s; %zu sent, %llu acknowledged "
                "(%llu answered after the signal), %llu in doubt (%llu had "
                "applied)%s\n",
                cycle, kill_mode_ ? "kill -9" : "SIGTERM", stopped_after_s,
                requests.size(),
                static_cast<unsigned long long>(totals_.acknowledged -
                                                acknowledged_before),
                static_cast<unsigned long long>(
                    totals_.acknowledged_after_signal - after_signal_before),
                static_cast<unsigned long long>(totals_.in_doubt -
                                                in_doubt_before),
                static_cast<unsigned long long>(totals_.in_doubt_applied -
                                                applied_before),
                failures_.empty() ? "" : "; FAILED");
    std::fflush(stdout);
  }
  if (failures_.empty()) CheckHoldsAllReleased();
  if (failures_.empty()) CheckMemberCommandsExercised();
  if (failures_.empty()) {
    auto verified_at_end = VerifyOk("at the end");
    if (verified_at_end.ok()) {
      watch_check_.CheckCaughtUp(verified_at_end->last_sequence(),
                                 verified_at_end->last_hash_hex(),
                                 &failures_);
    }
    watch_check_.Detach();
    server_->Signal(SIGTERM);
    absl::StatusOr<int> ended = server_->Wait(absl::Seconds(60));
    if (!ended.ok() || *ended != 0) {
      Fail(absl::StrCat("the final SIGTERM: loyaltyd did not exit 0; log:\n",
                        server_->LogTail()));
    }
  }
  return Finish();
}

void CrashRun::CheckMemberCommandsExercised() {
  if (totals_.sent < kSentForMemberCommandsMin) return;
  const TransferCounts& transfers = transfer_check_.counts();
  const IdentityCounts& identities = identity_check_.counts();
  const std::pair<const char*, uint64_t> seen[] = {
      {"TRANSFER_OUT/TRANSFER_IN pairs", transfers.pairs_seen},
      {"LINK entries", identities.links_seen},
      {"UNLINK entries", identities.unlinks_seen},
      {"OPENING entries", identities.openings_seen},
      {"acknowledged import rows", identities.import_rows_ok},
      {"lookups that found a member", identities.lookups_found},
      {"dry-run import rows", identities.dry_run_rows},
      {"CLOSE entries", close_check_.counts().closes_checked_last},
      {"MERGE_OUT/MERGE_IN pairs", merge_check_.counts().pairs_seen},
      {"MERGE_IN entries folded by the identity check", identities.merges_seen},
      {"entries of writes naming an alias, on its member",
       merge_check_.counts().writes_through_alias},
      {"aliases read by GetMember", merge_check_.counts().aliases_read},
      {"pending EARN lots", hold_check_.counts().pending_lots_seen},
      {"MATURE entries", hold_check_.counts().matured},
      {"acknowledged coupon uses", coupon_check_.counts().uses},
      {"acknowledged Earns with a coupon",
       coupon_check_.counts().checkout_uses},
      {"COUPON_USED_UP answers", coupon_check_.counts().used_up},
      {"acknowledged coupon reservations", coupon_check_.counts().reservations},
      {"acknowledged voucher pickups", voucher_check_.counts().pickups},
      {"acknowledged voucher transfers", voucher_check_.counts().transfers},
      {"acknowledged voucher gift claims", voucher_check_.counts().claims},
      {"VOUCHER_UNITS_TOO_FEW answers", voucher_check_.counts().too_few},
      {"acknowledged reward exchanges", reward_check_.counts().redeemed},
      {"acknowledged reward cancels", reward_check_.counts().cancelled},
      {"acknowledged offline redemptions applied",
       offline_check_.counts().applied},
      {"offline redemptions taken into debt", offline_check_.counts().debt},
      {"offline redemptions past the day's allowance",
       offline_check_.counts().refused_over_allowance},
      {"complete GenerateCoupons batches",
       generate_check_.counts().batches_complete},
      {"acknowledged uses of generated (bearer) codes",
       coupon_check_.counts().bearer_uses},
      {"COUPON_ISSUEs of the spend bonus's coupons",
       rule_coupon_check_.counts().issues_seen}};
  for (const auto& [what, count] : seen) {
    if (count == 0) {
      Fail(absl::StrCat("the statements of ", totals_.sent,
                        " requests hold no ", what,
                        ": the transfer, identity, close, merge and "
                        "pending-points checks saw nothing"));
    }
  }
}

void CrashRun::PrintMemberCommandTotals() const {
  const TransferCounts& transfers = transfer_check_.counts();
  std::printf(
      "crash_test transfers: %llu acknowledged OK, %llu "
      "TRANSFER_LIMIT_REACHED, %llu INSUFFICIENT_POINTS, %llu "
      "MEMBER_NOT_FOUND, %llu MEMBER_CLOSED answers; statements: %llu pairs "
      "(%llu moving lots of several expiry dates), %lld points moved, at "
      "most %lld given by one member on one day, %llu entries checked for "
      "conservation\n",
      static_cast<unsigned long long>(transfers.acknowledged_ok),
      static_cast<unsigned long long>(transfers.limit_reached),
      static_cast<unsigned long long>(transfers.insufficient),
      static_cast<unsigned long long>(transfers.member_not_found),
      static_cast<unsigned long long>(transfers.member_closed),
      static_cast<unsigned long long>(transfers.pairs_seen),
      static_cast<unsigned long long>(transfers.multi_lot_pairs),
      static_cast<long long>(transfers.points_moved),
      static_cast<long long>(transfers.given_on_day_max),
      static_cast<unsigned long long>(transfers.entries_folded));
  const IdentityCounts& identities = identity_check_.counts();
  std::printf(
      "crash_test identifiers: %llu links and %llu unlinks acknowledged, %llu "
      "IDENTIFIER_TAKEN, %llu TOO_MANY_IDENTIFIERS, %llu IDENTIFIER_NOT_FOUND "
      "answers; statements: %llu LINK, %llu UNLINK; %llu lookups (%llu "
      "found a member), %llu identifiers owned at the last check\n",
      static_cast<unsigned long long>(identities.links_acknowledged),
      static_cast<unsigned long long>(identities.unlinks_acknowledged),
      static_cast<unsigned long long>(identities.taken),
      static_cast<unsigned long long>(identities.too_many),
      static_cast<unsigned long long>(identities.not_linked),
      static_cast<unsigned long long>(identities.links_seen),
      static_cast<unsigned long long>(identities.unlinks_seen),
      static_cast<unsigned long long>(identities.lookups),
      static_cast<unsigned long long>(identities.lookups_found),
      static_cast<unsigned long long>(identities.owned_last_check));
  std::printf(
      "crash_test imports: %llu rows acknowledged OK (%llu enrolled a member, "
      "%llu linked a phone, %llu with earned_on); statements: %llu OPENING "
      "entries; %llu dry-run rows answered as the stored state says\n",
      static_cast<unsigned long long>(identities.import_rows_ok),
      static_cast<unsigned long long>(identities.import_rows_enrolled),
      static_cast<unsigned long long>(identities.import_rows_phone_linked),
      static_cast<unsigned long long>(identities.import_rows_earned_on),
      static_cast<unsigned long long>(identities.openings_seen),
      static_cast<unsigned long long>(identities.dry_run_rows));
  const CloseCounts& closes = close_check_.counts();
  std::printf(
      "crash_test closes: %llu acknowledged OK (%llu erasing), %llu "
      "MEMBER_NOT_SETTLED answers; later writes refused MEMBER_CLOSED: %llu "
      "closes, %llu transfers, %llu merges, %llu other writes, %llu import "
      "rows; %llu import rows enrolled "
      "another member with an erased card; statements: %llu CLOSE entries "
      "checked at the last restart, forfeiting %lld points\n",
      static_cast<unsigned long long>(closes.acknowledged_ok),
      static_cast<unsigned long long>(closes.acknowledged_erasing),
      static_cast<unsigned long long>(closes.not_settled),
      static_cast<unsigned long long>(closes.later_closes_refused),
      static_cast<unsigned long long>(closes.later_transfers_refused),
      static_cast<unsigned long long>(closes.later_merges_refused),
      static_cast<unsigned long long>(closes.later_writes_refused),
      static_cast<unsigned long long>(closes.later_rows_refused),
      static_cast<unsigned long long>(closes.erased_cards_imported_again),
      static_cast<unsigned long long>(closes.closes_checked_last),
      static_cast<long long>(closes.points_forfeited_last));
  const CouponCounts& coupons = coupon_check_.counts();
  std::printf(
      "crash_test coupons: %llu issued, %llu uses acknowledged (%llu on an "
      "Earn, %llu given back by whole returns), %llu COUPON_USED_UP and %llu "
      "COUPON_NOT_FOUND answers; %llu coupons with every use made at the "
      "last restart\n",
      static_cast<unsigned long long>(coupons.issued),
      static_cast<unsigned long long>(coupons.uses),
      static_cast<unsigned long long>(coupons.checkout_uses),
      static_cast<unsigned long long>(coupons.restores),
      static_cast<unsigned long long>(coupons.used_up),
      static_cast<unsigned long long>(coupons.not_found),
      static_cast<unsigned long long>(coupons.fully_used));
  std::printf(
      "crash_test coupon reservations: %llu acknowledged, %llu committed, "
      "%llu released, %llu ended by their timeout (a later commit or release "
      "refused NOT_ACTIVE)\n",
      static_cast<unsigned long long>(coupons.reservations),
      static_cast<unsigned long long>(coupons.commits),
      static_cast<unsigned long long>(coupons.releases),
      static_cast<unsigned long long>(coupons.timed_out));
  const VoucherCounts& vouchers = voucher_check_.counts();
  std::printf(
      "crash_test vouchers: %llu vouchers (issued, received, claimed); %llu "
      "pickups, %llu transfers, %llu gifts, %llu claims, %llu refunds "
      "acknowledged; %llu VOUCHER_UNITS_TOO_FEW and %llu "
      "VOUCHER_GIFT_NOT_CLAIMABLE answers; %llu vouchers used up at the last "
      "restart\n",
      static_cast<unsigned long long>(vouchers.vouchers),
      static_cast<unsigned long long>(vouchers.pickups),
      static_cast<unsigned long long>(vouchers.transfers),
      static_cast<unsigned long long>(vouchers.gifts),
      static_cast<unsigned long long>(vouchers.claims),
      static_cast<unsigned long long>(vouchers.refunds),
      static_cast<unsigned long long>(vouchers.too_few),
      static_cast<unsigned long long>(vouchers.not_claimable),
      static_cast<unsigned long long>(vouchers.used_up));
  const RewardCounts& rewards = reward_check_.counts();
  std::printf(
      "crash_test rewards: %llu exchanges and %llu cancels acknowledged; "
      "%llu REWARD_OUT_OF_STOCK and %llu REWARD_NOT_CANCELLABLE answers\n",
      static_cast<unsigned long long>(rewards.redeemed),
      static_cast<unsigned long long>(rewards.cancelled),
      static_cast<unsigned long long>(rewards.out_of_stock),
      static_cast<unsigned long long>(rewards.not_cancellable));
  const OfflineCounts& offline = offline_check_.counts();
  std::printf(
      "crash_test offline redemptions: %llu applied (%llu into debt), %llu "
      "past the day's allowance; %llu listed as reconciliations\n",
      static_cast<unsigned long long>(offline.applied),
      static_cast<unsigned long long>(offline.debt),
      static_cast<unsigned long long>(offline.refused_over_allowance),
      static_cast<unsigned long long>(offline.listed));
  const GenerateCounts& generated = generate_check_.counts();
  std::printf(
      "crash_test bulk coupon codes: %llu batches complete (%llu resumed "
      "after a restart), %llu streams cut by the signal, %llu codes "
      "streamed; %llu codes offered to the load, %llu acknowledged uses of "
      "them\n",
      static_cast<unsigned long long>(generated.batches_complete),
      static_cast<unsigned long long>(generated.batches_resumed),
      static_cast<unsigned long long>(generated.batches_cut),
      static_cast<unsigned long long>(generated.codes_streamed),
      static_cast<unsigned long long>(generated.bearer_codes_offered),
      static_cast<unsigned long long>(coupons.bearer_uses));
  const MergeCounts& merges = merge_check_.counts();
  std::printf(
      "crash_test merges: %llu acknowledged OK (%llu into an alias); %llu "
      "sent again after a lost answer (%llu OK as a replay: applied once); "
      "%llu MEMBER_MERGED, %llu TOO_MANY_IDENTIFIERS, %llu ORDER_ID_CONFLICT, "
      "%llu MEMBER_CLOSED, %llu MEMBER_NOT_FOUND answers; "
      "statements: %llu pairs (%llu moving open holds, %llu pending points, "
      "%llu debt, %llu identifiers), %lld points moved; %llu entries of "
      "writes naming an alias on its member; MEMBER_MERGED for %llu closes "
      "of aliases and %llu transfers within one member; %llu GetMember and "
      "GetBalance reads (%llu of aliases)\n",
      static_cast<unsigned long long>(merges.acknowledged_ok),
      static_cast<unsigned long long>(merges.into_alias),
      static_cast<unsigned long long>(merges.retried),
      static_cast<unsigned long long>(merges.retried_replayed),
      static_cast<unsigned long long>(merges.member_merged),
      static_cast<unsigned long long>(merges.too_many),
      static_cast<unsigned long long>(merges.order_conflict),
      static_cast<unsigned long long>(merges.member_closed),
      static_cast<unsigned long long>(merges.member_not_found),
      static_cast<unsigned long long>(merges.pairs_seen),
      static_cast<unsigned long long>(merges.pairs_with_held),
      static_cast<unsigned long long>(merges.pairs_with_pending),
      static_cast<unsigned long long>(merges.pairs_with_debt),
      static_cast<unsigned long long>(merges.pairs_with_identifiers),
      static_cast<long long>(merges.points_moved),
      static_cast<unsigned long long>(merges.writes_through_alias),
      static_cast<unsigned long long>(merges.closes_refused_merged),
      static_cast<unsigned long long>(merges.transfers_refused_merged),
      static_cast<unsigned long long>(merges.members_read),
      static_cast<unsigned long long>(merges.aliases_read));
  if (!merges.other_answers.empty()) {
    std::printf("crash_test merges: other answers:");
    for (const auto& [reason, count] : merges.other_answers) {
      std::printf(" %s: %llu", reason.c_str(),
                  static_cast<unsigned long long>(count));
    }
    std::printf("\n");
  }
}

int CrashRun::Finish() {
  watch_check_.Detach();
  server_.reset();  // Kills loyaltyd if it still runs.
  double seconds = absl::ToDoubleSeconds(absl::Now() - started_);
  const WatchCounts watched = watch_check_.counts();
  std::printf(
      "crash_test change stream: the consumer holds %llu entries, checked "
      "against the chain, over %llu streams; its copy was the ledger at %llu "
      "checks\n",
      static_cast<unsigned long long>(watched.entries),
      static_cast<unsigned long long>(watched.streams),
      static_cast<unsigned long long>(watched.caught_up_checks));
  std::printf(
      "crash_test summary: mode %s, seed %llu, %d cycles, %llu requests sent "
      "(%llu sends), %llu acknowledged (%llu OK, %llu NOT_FOUND, %llu "
      "FAILED_PRECONDITION, %llu ALREADY_EXISTS; %llu answered after the "
      "signal), %llu in doubt (%llu had applied), %llu re-verified by re-sending, %llu statement entries "
      "checked, %llu kills during start, ledger ends at entry %llu, %.1f s\n",
      flags_.mode.c_str(), static_cast<unsigned long long>(flags_.seed),
      flags_.cycles, static_cast<unsigned long long>(totals_.sent),
      static_cast<unsigned long long>(totals_.attempts),
      static_cast<unsigned long long>(totals_.acknowledged),
      static_cast<unsigned long long>(totals_.acknowledged_ok),
      static_cast<unsigned long long>(totals_.not_found),
      static_cast<unsigned long long>(totals_.failed_precondition),
      static_cast<unsigned long long>(totals_.already_exists),
      static_cast<unsigned long long>(totals_.acknowledged_after_signal),
      static_cast<unsigned long long>(totals_.in_doubt),
      static_cast<unsigned long long>(totals_.in_doubt_applied),
      static_cast<unsigned long long>(totals_.resent),
      static_cast<unsigned long long>(totals_.statement_entries),
      static_cast<unsigned long long>(totals_.startup_kills),
      static_cast<unsigned long long>(max_acknowledged_sequence_), seconds);
  const HoldCounts& holds = hold_check_.counts();
  std::printf(
      "crash_test holds: %llu acknowledged, %llu captures and %llu releases "
      "acknowledged, %llu HOLD_NOT_ACTIVE, %llu HOLD_NOT_FOUND, %llu "
      "TOO_MANY_HOLDS answers; statements: %llu holds, %llu timed out "
      "(%llu of them while the load ran), %llu pending lots, %llu matured "
      "(%llu timeout releases and maturities while acknowledged requests "
      "were re-sent), %llu holds open and %llu lots pending at the last "
      "check (after waiting %.1f s for the last to expire)\n",
      static_cast<unsigned long long>(holds.holds_acknowledged),
      static_cast<unsigned long long>(holds.captures_acknowledged),
      static_cast<unsigned long long>(holds.releases_acknowledged),
      static_cast<unsigned long long>(holds.not_active),
      static_cast<unsigned long long>(holds.not_found),
      static_cast<unsigned long long>(holds.too_many),
      static_cast<unsigned long long>(holds.holds_seen),
      static_cast<unsigned long long>(holds.timed_out),
      static_cast<unsigned long long>(holds.timed_out_while_loaded),
      static_cast<unsigned long long>(holds.pending_lots_seen),
      static_cast<unsigned long long>(holds.matured),
      static_cast<unsigned long long>(totals_.resend_time_driven),
      static_cast<unsigned long long>(holds.open_last_check),
      static_cast<unsigned long long>(holds.pending_last_check),
      absl::ToDoubleSeconds(final_hold_wait_));
  const ReturnCounts& returns = return_check_.counts();
  std::printf(
      "crash_test returns: %llu acknowledged OK (%llu with a RESTORE), %llu "
      "ORDER_NOT_FOUND, %llu RETURN_EXCEEDS_ORDER answers; statements: %llu "
      "RETURN entries, %llu orders returned whole, %lld points taken back, "
      "%lld forgiven, %lld restored, %llu entries with debt\n",
      static_cast<unsigned long long>(returns.acknowledged_ok),
      static_cast<unsigned long long>(returns.restores_acknowledged),
      static_cast<unsigned long long>(returns.order_not_found),
      static_cast<unsigned long long>(returns.exceeds),
      static_cast<unsigned long long>(returns.returns_seen),
      static_cast<unsigned long long>(returns.orders_fully_returned),
      static_cast<long long>(returns.points_reversed),
      static_cast<long long>(returns.points_forgiven),
      static_cast<long long>(returns.points_restored),
      static_cast<unsigned long long>(returns.entries_in_debt));
  PrintMemberCommandTotals();
  std::printf("crash_test: in-doubt answers by gRPC code:");
  for (const auto& [code, count] : totals_.in_doubt_by_code) {
    std::printf(" %d: %llu", code, static_cast<unsigned long long>(count));
  }
  std::printf(" (1 CANCELLED, 4 DEADLINE_EXCEEDED, 8 RESOURCE_EXHAUSTED, "
              "14 UNAVAILABLE)\n");
  if (failures_.empty()) {
    if (!flags_.keep_data) {
      std::error_code ignored;
      std::filesystem::remove_all(work_dir_, ignored);
    }
    std::printf("crash_test: PASS\n");
    return 0;
  }
  size_t shown = std::min<size_t>(failures_.size(), flags_.failures_shown);
  for (size_t i = 0; i < shown; ++i) {
    std::printf("FAIL: %s\n", failures_[i].c_str());
  }
  if (failures_.size() > shown) {
    std::printf("... and %zu more failures\n", failures_.size() - shown);
  }
  std::printf("crash_test: FAILED (seed %llu); data and log kept in %s\n",
              static_cast<unsigned long long>(flags_.seed), work_dir_.c_str());
  return 1;
}

}  // namespace
}  // namespace loyalty::crash

int main(int argc, char** argv) {
  loyalty::crash::Flags flags;
  CLI::App app{"crash_test: kill loyaltyd under load, restart, verify"};
  app.add_option("--loyaltyd", flags.loyaltyd, "path of the loyaltyd binary")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--mode", flags.mode,
                 "kill: kill -9 under load; term: SIGTERM under load")
      ->check(CLI::IsMember({"kill", "term"}))
      ->capture_default_str();
  app.add_option("--cycles", flags.cycles, "load, stop, restart, verify cycles")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--seconds-per-cycle", flags.seconds_per_cycle,
                 "load lasts a random time up to this before the stop")
      ->check(CLI::Range(0.01, 3600.0))
      ->capture_default_str();
  app.add_option("--clients", flags.clients,
                 "client threads, each with its own connection")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--seed", flags.seed, "random seed (0: pick one)");
  app.add_option("--members", flags.members, "size of the member pool")
      ->check(CLI::Range(4, 1'000'000))
      ->capture_default_str();
  app.add_option("--earlier-sample", flags.earlier_sample,
                 "acknowledged requests of earlier cycles re-sent each cycle")
      ->check(CLI::Range(0, 1'000'000))
      ->capture_default_str();
  app.add_option("--sweep-interval-ms", flags.sweep_interval_ms,
                 "loyaltyd's --sweep-interval-ms (0: no sweep, and no check "
                 "that holds nobody settled get released)")
      ->check(CLI::Range(0, 86'400'000))
      ->capture_default_str();
  app.add_option("--failures-shown", flags.failures_shown,
                 "failures printed at the end (the rest are counted)")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_flag("--keep-data", flags.keep_data,
               "keep the data dir and log even when the run passes");
  CLI11_PARSE(app, argc, argv);
  if (flags.seed == 0) flags.seed = std::random_device{}() | 1;
  loyalty::crash::KillChildrenOnTerminationSignals();
  return loyalty::crash::CrashRun(std::move(flags)).Run();
}
