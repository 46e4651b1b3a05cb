// Checks the change stream's entries (AdminService.WatchEntries) the way the
// ledger chains them, as loyalty/client/entry_chain.h does for C++:
// hash = SHA-256(prev_hash || body), where prev_hash is the body's own field
// and, along an unfiltered stream, the hash of the entry before. A consumer
// that checks every entry proves it missed none and that none was altered;
// with filters, each entry's own hash still proves its content.
//
//   const chain = new EntryChain();
//   for await (const response of client.admin.watchEntries({ fromSequence: 1n })) {
//     for (const streamed of response.entries) handle(chain.accept(streamed));
//   }

import { createHash } from "node:crypto";

import { fromBinary } from "@bufbuild/protobuf";

import { type LedgerEntry, LedgerEntrySchema } from "./gen/loyalty/v1/common_pb.js";
import type { StreamedEntry } from "./gen/loyalty/v1/loyalty_service_pb.js";

/** An entry that does not check: what is wrong, and at which sequence. */
export class EntryChainError extends Error {
  constructor(
    readonly sequence: bigint,
    problem: string,
  ) {
    super(`change stream entry ${sequence}: ${problem}`);
    this.name = "EntryChainError";
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

export class EntryChain {
  /**
   * Starts after `lastSequence` (0: before the first entry), whose hash was
   * `lastHash` (empty when not known: the first entry accepted is then
   * checked on its own hash only). A consumer that resumes passes what it
   * stored last.
   */
  constructor(
    private lastSequenceValue: bigint = 0n,
    private lastHashValue: Uint8Array = new Uint8Array(),
  ) {}

  get lastSequence(): bigint {
    return this.lastSequenceValue;
  }

  get lastHash(): Uint8Array {
    return this.lastHashValue;
  }

  /**
   * Checks `streamed` against its own hash and, when `contiguous` (an
   * unfiltered stream), against the chain. Returns its entry; throws
   * EntryChainError, accepting nothing, when it does not check.
   */
  accept(streamed: StreamedEntry, contiguous = true): LedgerEntry {
    const sequence = streamed.sequence;
    let entry: LedgerEntry;
    try {
      entry = fromBinary(LedgerEntrySchema, streamed.body);
    } catch {
      throw new EntryChainError(sequence, "the body is not a LedgerEntry");
    }
    if (entry.sequence !== sequence) {
      throw new EntryChainError(sequence, `the body says sequence ${entry.sequence}`);
    }
    const computed = createHash("sha256").update(entry.prevHash).update(streamed.body).digest();
    if (!sameBytes(computed, streamed.hash)) {
      throw new EntryChainError(sequence, "the hash is not SHA-256(prev_hash || body): altered");
    }
    if (contiguous) {
      if (sequence !== this.lastSequenceValue + 1n) {
        throw new EntryChainError(sequence, `expected sequence ${this.lastSequenceValue + 1n}: entries are missing`);
      }
      if (this.lastHashValue.length > 0 && !sameBytes(entry.prevHash, this.lastHashValue)) {
        throw new EntryChainError(sequence, "its prev_hash is not the hash of the entry before");
      }
    } else if (sequence <= this.lastSequenceValue) {
      throw new EntryChainError(sequence, `not after ${this.lastSequenceValue}: sent twice or out of order`);
    }
    entry.hash = streamed.hash;
    this.lastSequenceValue = sequence;
    this.lastHashValue = streamed.hash;
    return entry;
  }
}
