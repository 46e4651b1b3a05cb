// File: server/generate_coupons_call.h
//
// Bulk coupon codes: the GenerateCoupons adapter. One call is a session
// that sends the batch's chunks (ledger/coupons/generate_coupons.h) to the
// ledger one at a time, in batch order, from the first, and streams each
// chunk's codes (read from its COUPON_GENERATE entry, so they are synced)
// as soon as its command completes. Chunks an earlier call wrote answer
// with that chunk, so a rerun first streams what exists, then writes the
// rest.
//
// One chunk is in flight at a time: a chunk decided after a refused one
// would be remembered under its request id with a refusal that a retry
// with the same request id could never get past. The session also holds
// back while kStreamAheadMax responses wait for a slow client, so memory
// stays bounded by a few chunks whatever the batch's size.
#ifndef LOYALTY_SERVER_GENERATE_COUPONS_CALL_H_
#define LOYALTY_SERVER_GENERATE_COUPONS_CALL_H_

#include <cstddef>

#include "ledger/engine/ledger.h"
#include "loyalty/v1/loyalty_service.grpc.pb.h"
#include "server/stream_call.h"

namespace loyalty {

using GenerateCouponsCall = StreamCall<loyalty::v1::GenerateCouponsRequest,
                                       loyalty::v1::GenerateCouponsResponse>;

// Responses a session lets wait for the client before it holds back.
inline constexpr size_t kStreamAheadMax = 4;

// Runs one authorized call to its end: validates the request (the call is
// finished with INVALID_ARGUMENT naming the field), then streams the batch
// and finishes the call with OK once every code of the batch was sent, or
// with the first chunk's refusal.
void RunGenerateCoupons(Ledger* ledger, const Caller& caller,
                        GenerateCouponsCall* call);

}  // namespace loyalty

#endif  // LOYALTY_SERVER_GENERATE_COUPONS_CALL_H_
