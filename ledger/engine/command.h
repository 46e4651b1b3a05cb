// File: ledger/engine/command.h
//
// What a command is, for the engine: a *spec* (one struct per mutation, in
// its domain's folder) and the queued instance the writer runs.
//
// A spec describes a mutation once; the queue, idempotency, the writer's
// dispatch, the server's registration and its authorization all read it:
//
//   struct EarnCommand {
//     static constexpr CommandInfo kInfo{.name = "Earn", ...};
//     using Request = loyalty::v1::EarnRequest;
//     using Response = loyalty::v1::EarnResponse;
//     using Prepared = EarnComputation;   // What Prepare hands to Decide.
//     // Caller's thread: validation (InvalidArgument naming the field) and
//     // whatever the writer should not spend time on.
//     static absl::Status Prepare(const Rules&, int64_t now_ms, Request&,
//                                 Prepared&);
//     // Writer thread: the rule. Reads state through the batch, checks,
//     // appends entries (each folded by FoldEntry) and fills the response.
//     static absl::Status Decide(const Rules&, Batch&, Queued<EarnCommand>&);
//   };
//
// A rule *decides*; a fold (engine/fold.h) *applies* an entry to state. The
// rule runs once, when the command is new; the fold runs on every replay.
#ifndef LOYALTY_LEDGER_ENGINE_COMMAND_H_
#define LOYALTY_LEDGER_ENGINE_COMMAND_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "ledger/members/identifiers.h"
#include "loyalty/v1/keys.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty {

class Batch;

// The principal on entries the ledger writes by itself.
inline constexpr absl::string_view kSystemPrincipal = "system";

// Which gRPC service carries a command's RPC.
enum class Service { kLoyalty, kAdmin };

// Who may call a command: the roles of the API keys file
// (proto/loyalty/v1/keys.proto), as a set. The server's one authorization
// step reads it, then holds each role to its own channels and scope (POS
// keys to their stores, partner keys to their members; server/auth.h).
class RoleSet {
 public:
  constexpr RoleSet() = default;
  constexpr RoleSet(std::initializer_list<loyalty::v1::Role> roles) {
    for (loyalty::v1::Role role : roles) bits_ |= Bit(role);
  }
  constexpr bool Contains(loyalty::v1::Role role) const {
    return (bits_ & Bit(role)) != 0;
  }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr bool operator==(const RoleSet&) const = default;

 private:
  static constexpr uint32_t Bit(loyalty::v1::Role role) {
    return uint32_t{1} << static_cast<int>(role);
  }
  uint32_t bits_ = 0;
};

// The role sets the command table and the read rows use, named after who
// they serve. README, "API keys and roles", prints the resulting table.
namespace roles {
using loyalty::v1::ROLE_ADMIN;
using loyalty::v1::ROLE_APP;
using loyalty::v1::ROLE_AUDITOR;
using loyalty::v1::ROLE_PARTNER;
using loyalty::v1::ROLE_POS;
// At a till and in the app: earn's neighbours, coupons and vouchers used at
// checkout, enrolment, lookups.
inline constexpr RoleSet kTillAndApp{ROLE_POS, ROLE_APP, ROLE_ADMIN};
// Earning and the member lookups a partner needs too.
inline constexpr RoleSet kEarning{ROLE_POS, ROLE_APP, ROLE_PARTNER,
                                  ROLE_ADMIN};
// What members do themselves, through the app or web shop.
inline constexpr RoleSet kMemberFacing{ROLE_APP, ROLE_ADMIN};
// Statements and balances: the earning roles and the auditor.
inline constexpr RoleSet kStatements{ROLE_POS, ROLE_APP, ROLE_PARTNER,
                                     ROLE_ADMIN, ROLE_AUDITOR};
// Operators' reports: admin and auditor.
inline constexpr RoleSet kReports{ROLE_ADMIN, ROLE_AUDITOR};
inline constexpr RoleSet kAdminOnly{ROLE_ADMIN};
// Commands no key may call (the sweep, which the server runs itself).
inline constexpr RoleSet kNobody{};
}  // namespace roles

// The row of the command table that is not a type.
struct CommandInfo {
  // The command's name: its unary RPC's method name, and part of every
  // stored fingerprint (so it may never change).
  absl::string_view name;
  Service service = Service::kLoyalty;
  // Who may call it; nobody unless the row says.
  RoleSet roles;
  // False for commands reached only through a batch RPC (ImportMember rows
  // arrive in ImportMembers); the server registers no unary RPC for them.
  bool unary_rpc = true;
  // Whether callers may ask for a dry run: the rule runs against the stored
  // state in a batch that is dropped; nothing is written or remembered.
  bool has_dry_run = false;
};

// The program-derived context every rule reads. Built once at Open.
struct Rules {
  const loyalty::v1::ProgramConfig& program;
  absl::TimeZone time_zone;  // The program's: days, months, expiry dates.
  const IdentifierCodec& identifiers;
};

// Who sent a command: the authenticated principal (promise 8).
struct Caller {
  std::string principal;
};

// Options of one submission.
struct SubmitOptions {
  bool dry_run = false;  // Only for specs with kInfo.has_dry_run.
};

// A command in the writer's queue. The engine sees only this interface;
// Queued<Spec> binds it to a spec.
class QueuedCommand {
 public:
  virtual ~QueuedCommand() = default;

  // Runs the spec's rule. The outcome is the returned status.
  virtual absl::Status Decide(const Rules& rules, Batch& batch) = 0;
  // The OK response, for the request record.
  virtual std::string SerializeResponse() const = 0;
  // Takes a remembered OK response as this command's answer (marked
  // replayed); DataLoss when it does not decode.
  virtual absl::Status Replay(absl::string_view response_bytes) = 0;
  // Hands outcome (and the response, when OK) to the caller. Called once.
  virtual void Complete() = 0;

  std::string principal;
  // RequestKey(principal, request id); empty for commands nobody remembers.
  std::string request_key;
  // SHA-256 over the command's name and the request's deterministic bytes.
  std::string fingerprint;
  bool dry_run = false;
  // The request's context.occurred_at_ms (0: it happens now); the writer
  // refuses a new command whose event is older than the program allows.
  int64_t occurred_at_ms = 0;
  // Set by the writer (or by Submit for an early rejection).
  absl::Status outcome;

  // Whether the outcome is remembered under the request id (every command
  // with a request id; not the ledger's own sweep).
  bool remembered() const { return !request_key.empty(); }
};

// One queued command of `Spec`. Rules read and fill its fields.
template <typename Spec>
class Queued final : public QueuedCommand {
 public:
  using Request = typename Spec::Request;
  using Response = typename Spec::Response;
  using Done = absl::AnyInvocable<void(absl::StatusOr<Response>) &&>;

  Queued(Request request_in, Done done)
      : request(std::move(request_in)), done_(std::move(done)) {}

  absl::Status Decide(const Rules& rules, Batch& batch) override {
    return Spec::Decide(rules, batch, *this);
  }
  std::string SerializeResponse() const override {
    if constexpr (std::is_base_of_v<google::protobuf::Message, Response>) {
      return response.SerializeAsString();
    } else {
      return std::string();  // Not remembered (see remembered()).
    }
  }
  absl::Status Replay(absl::string_view response_bytes) override {
    if constexpr (std::is_base_of_v<google::protobuf::Message, Response>) {
      Response parsed;
      if (!parsed.ParseFromArray(response_bytes.data(),
                                 static_cast<int>(response_bytes.size()))) {
        return absl::DataLossError("a remembered response cannot be decoded");
      }
      parsed.set_replayed(true);
      response = std::move(parsed);
      return absl::OkStatus();
    } else {
      return absl::InternalError("this command is never remembered");
    }
  }
  void Complete() override {
    if (outcome.ok()) {
      std::move(done_)(std::move(response));
    } else {
      std::move(done_)(outcome);
    }
  }

  // Alias resolution rewrites the member ids it names, so rules may change
  // it; everything stored or remembered about it was fixed before queueing.
  Request request;
  typename Spec::Prepared prepared{};
  Response response{};

 private:
  Done done_;
};

// Prepared for specs whose rule needs nothing computed before queueing.
struct NothingPrepared {};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_ENGINE_COMMAND_H_
