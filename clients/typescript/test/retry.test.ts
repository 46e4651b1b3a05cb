// The retry rules as pure functions: which failures retry, and how long the
// jittered backoff may wait.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { backoffCeilingMs, backoffDelayMs, isRetryable, type RetryPolicy } from "../src/index.js";

const policy: RetryPolicy = { attemptsMax: 8, initialBackoffMs: 50, backoffMaxMs: 1000 };

// A seeded generator (mulberry32), so the draws are the same on every run.
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("isRetryable", () => {
  it("retries UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED and ABORTED only", () => {
    const retried = [];
    for (let code = 0; code <= 16; code++) {
      if (isRetryable(code, new Headers())) retried.push(code);
    }
    assert.deepEqual(retried, [4, 8, 10, 14]);
  });

  it("retries any code the server marks loyalty-transient: true", () => {
    assert.equal(isRetryable(9, new Headers({ "loyalty-transient": "true" })), true);
    assert.equal(isRetryable(13, new Headers({ "loyalty-transient": "true" })), true);
    assert.equal(isRetryable(9, new Headers({ "loyalty-transient": "false" })), false);
    assert.equal(isRetryable(9, new Headers({ "loyalty-reason": "ERROR_REASON_INSUFFICIENT_POINTS" })), false);
    assert.equal(isRetryable(9, undefined), false);
  });
});

describe("backoff", () => {
  it("doubles the ceiling per retry from initialBackoffMs up to backoffMaxMs", () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6].map((retry) => backoffCeilingMs(policy, retry));
    assert.deepEqual(ceilings, [50, 100, 200, 400, 800, 1000, 1000]);
  });

  it("stays at backoffMaxMs for any number of retries, never Infinity", () => {
    assert.equal(backoffCeilingMs(policy, 1_000_000), 1000);
    assert.equal(backoffCeilingMs({ ...policy, backoffMaxMs: 600_000 }, 5000), 600_000);
  });

  it("waits between 0 and the ceiling inclusive, with full jitter", () => {
    assert.equal(
      backoffDelayMs(policy, 2, () => 0),
      0,
    );
    assert.equal(
      backoffDelayMs(policy, 2, () => 0.999999999),
      200,
    );
    assert.equal(
      backoffDelayMs(policy, 2, () => 1),
      200,
      "a source returning 1 stays inside",
    );
    assert.equal(
      backoffDelayMs(policy, 2, () => 0.5),
      100,
    );
  });

  it("spreads seeded draws over the whole window", () => {
    const random = seededRandom(4242);
    for (let retry = 0; retry < 8; retry++) {
      const ceiling = backoffCeilingMs(policy, retry);
      const delays = Array.from({ length: 2000 }, () => backoffDelayMs(policy, retry, random));
      assert.ok(delays.every((delay) => Number.isInteger(delay) && delay >= 0 && delay <= ceiling));
      const mean = delays.reduce((sum, delay) => sum + delay, 0) / delays.length;
      // Uniform over 0..ceiling has mean ceiling / 2; 2000 draws land well
      // within 10% of it.
      assert.ok(Math.abs(mean - ceiling / 2) < ceiling * 0.1, `retry ${retry}: mean ${mean} of 0..${ceiling}`);
      assert.ok(Math.min(...delays) < ceiling * 0.05 && Math.max(...delays) > ceiling * 0.95);
    }
  });
});
