// File: server/method_table.h
//
// How loyaltyd serves its RPCs: one row per method of the contract's
// services, each armed on every completion queue. Mutations get their rows
// from the ledger's command table (ledger/commands.h): a row per command
// whose kInfo has a unary RPC, served by one adapter (authorize by the row's
// access, submit, answer when durable). Reads, the two batch RPCs and the
// admin reports are listed in method_table.cc. Rows whose request names a
// coupon code (CodeLookup::kCouponCode) also pass each call through the
// unknown-code limiter, in the same two adapters. Building the table checks
// that every method of LoyaltyService and AdminService has exactly one row,
// so a new RPC without one stops loyaltyd at start instead of hanging calls.
#ifndef LOYALTY_SERVER_METHOD_TABLE_H_
#define LOYALTY_SERVER_METHOD_TABLE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/completion_queue.h"
#include "grpcpp/impl/codegen/service_type.h"
#include "ledger/engine/command.h"
#include "ledger/engine/ledger.h"
#include "loyalty/v1/loyalty_service.grpc.pb.h"
#include "server/auth.h"
#include "server/background.h"
#include "server/backups.h"
#include "server/stream_call.h"
#include "server/unknown_code_limiter.h"
#include "server/watch_entries.h"

namespace loyalty {

// A generated service with every method served raw through a completion
// queue, addressed by its index in the service descriptor (what the
// generated RawService's RequestXxx methods do, one method each).
template <typename Generated>
class QueueService final : public Generated::Service {
 public:
  QueueService();

  // The method's index, or -1 when the service has no method `name`.
  static int MethodIndex(absl::string_view name);
  static std::vector<std::string> MethodNames();

  // Methods are raw (async_call.h says why): requests and responses are
  // bytes here.
  void RequestUnary(int index, grpc::ServerContext* context,
                    grpc::ByteBuffer* request,
                    grpc::ServerAsyncResponseWriter<grpc::ByteBuffer>* responder,
                    grpc::ServerCompletionQueue* queue, void* tag) {
    this->RequestAsyncUnary(index, context, request, responder, queue, queue,
                            tag);
  }
  // Server-streaming methods (GenerateCoupons, WatchEntries).
  void RequestStream(int index, grpc::ServerContext* context,
                     grpc::ByteBuffer* request,
                     grpc::ServerAsyncWriter<grpc::ByteBuffer>* writer,
                     grpc::ServerCompletionQueue* queue, void* tag) {
    this->RequestAsyncServerStreaming(index, context, request, writer, queue,
                                      queue, tag);
  }
};

using LoyaltyQueueService = QueueService<loyalty::v1::LoyaltyService>;
using AdminQueueService = QueueService<loyalty::v1::AdminService>;

// One served method: arms a call of it on a queue.
class MethodBase {
 public:
  virtual ~MethodBase() = default;
  virtual void Arm(grpc::ServerCompletionQueue* queue) = 0;
};

// Whether a row's request names a coupon code. Such calls go through the
// unknown-code limiter (server/unknown_code_limiter.h): a caller whose
// allowance is spent is refused before the request is read, and a call
// answered COUPON_NOT_FOUND is charged to its caller.
enum class CodeLookup {
  kNone,
  kCouponCode,  // Always (GetCoupon, ValidateCoupon, RedeemCoupon).
  // Only the calls whose coupon_codes are not empty (Earn, QuoteEarn): an
  // order without coupons is never limited.
  kCouponCodesIfSent,
};

// What a row lists: the method, which roles may call it and whether it
// looks up a coupon code (for the table tests and the README's table).
struct MethodRow {
  Service service;
  std::string method;
  RoleSet roles;
  CodeLookup code_lookup;
  std::unique_ptr<MethodBase> served;
};

// What the adapters need; all pointers outlive the table.
struct MethodEnvironment {
  LoyaltyQueueService* loyalty_service;
  AdminQueueService* admin_service;
  const Authenticator* auth;
  Ledger* ledger;
  BackgroundRunner* background;
  // Guards the rows with CodeLookup::kCouponCode.
  UnknownCodeLimiter* unknown_codes;
  // Builds GetServerStats' answer.
  std::function<loyalty::v1::ServerStats()> stats;
  // Bulk coupon codes: counts the running streaming calls (GenerateCoupons,
  // WatchEntries).
  StreamRegistry* streams;
  // The change stream's sessions (WatchEntries).
  WatchHub* watches;
  // Backups into --backup-dir (Backup).
  Backups* backups;
};

// Every method's row. Aborts (a build without a row for some RPC is a bug)
// when a contract method has no row or two.
std::vector<MethodRow> BuildMethodTable(const MethodEnvironment& environment);

}  // namespace loyalty

#endif  // LOYALTY_SERVER_METHOD_TABLE_H_
