// How failures are named and read, and which methods count as writes (a
// write's lost answer is "outcome unknown"), without a server.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Code, ConnectError } from "@connectrpc/connect";

import {
  AdminService,
  ErrorReason,
  isWriteMethod,
  LoyaltyClient,
  LoyaltyError,
  LoyaltyService,
  parseReason,
  statusCodeName,
} from "../src/index.js";

describe("statusCodeName", () => {
  it("spells every gRPC code as gRPC does", () => {
    const names = Array.from({ length: 17 }, (_, code) => statusCodeName(code));
    assert.deepEqual(
      names,
      [
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
      ].map((name, code) => (code === 0 ? "CODE_0" : name)),
    );
    assert.equal(statusCodeName(99), "CODE_99");
  });
});

describe("parseReason", () => {
  it("reads the reason's name, as the contract sends it", () => {
    assert.deepEqual(parseReason("ERROR_REASON_INSUFFICIENT_POINTS"), {
      name: "ERROR_REASON_INSUFFICIENT_POINTS",
      value: ErrorReason.INSUFFICIENT_POINTS,
    });
  });

  it("reads a number too", () => {
    const reason = parseReason(String(ErrorReason.INSUFFICIENT_POINTS));
    assert.equal(reason.name, "ERROR_REASON_INSUFFICIENT_POINTS");
    assert.equal(reason.value, ErrorReason.INSUFFICIENT_POINTS);
  });

  it("keeps a reason it does not know as sent, with the value UNSPECIFIED", () => {
    assert.deepEqual(parseReason("ERROR_REASON_FROM_A_NEWER_SERVER"), {
      name: "ERROR_REASON_FROM_A_NEWER_SERVER",
      value: ErrorReason.UNSPECIFIED,
    });
    assert.deepEqual(parseReason("999999"), { name: "999999", value: ErrorReason.UNSPECIFIED });
  });

  it("is empty without a reason", () => {
    assert.deepEqual(parseReason(null), { name: "", value: ErrorReason.UNSPECIFIED });
    assert.deepEqual(parseReason(" "), { name: "", value: ErrorReason.UNSPECIFIED });
  });
});

describe("isWriteMethod", () => {
  const methods = [...LoyaltyService.methods, ...AdminService.methods];
  const byName = new Map(methods.map((method) => [method.name, method]));

  it("counts every method whose request has a context as a write, but the two reads", () => {
    for (const method of methods) {
      const hasContext = method.input.fields.some((field) => field.localName === "context");
      const read = method.name === "QuoteEarn" || method.name === "ValidateCoupon";
      assert.equal(isWriteMethod(method), hasContext && !read, method.name);
    }
  });

  it("knows the usual ones", () => {
    for (const name of ["Earn", "Redeem", "Return", "EnrollMember", "Adjust", "GenerateCoupons"]) {
      assert.equal(isWriteMethod(byName.get(name)!), true, name);
    }
    for (const name of ["GetBalance", "ListEntries", "QuoteEarn", "ValidateCoupon", "VerifyLedger"]) {
      assert.equal(isWriteMethod(byName.get(name)!), false, name);
    }
  });
});

describe("LoyaltyError.fromConnectError", () => {
  const method = "loyalty.v1.LoyaltyService/Redeem";

  it("reads the code, the server's message and the reason trailer", () => {
    const metadata = new Headers({ "loyalty-reason": "ERROR_REASON_INSUFFICIENT_POINTS" });
    const error = LoyaltyError.fromConnectError(
      new ConnectError("available 0, asked 5", Code.FailedPrecondition, metadata),
      method,
    );
    assert.equal(error.code, 9);
    assert.equal(error.codeName, "FAILED_PRECONDITION");
    assert.equal(error.detail, "available 0, asked 5");
    assert.equal(error.reason, "ERROR_REASON_INSUFFICIENT_POINTS");
    assert.equal(error.reasonValue, ErrorReason.INSUFFICIENT_POINTS);
    assert.equal(error.transient, false);
    assert.equal(
      error.message,
      `${method}: FAILED_PRECONDITION: available 0, asked 5 (ERROR_REASON_INSUFFICIENT_POINTS)`,
    );
  });

  it("is transient for a transient code, or with the loyalty-transient trailer", () => {
    assert.equal(LoyaltyError.fromConnectError(new ConnectError("busy", Code.Aborted), method).transient, true);
    const marked = new Headers({ "loyalty-transient": "true" });
    assert.equal(LoyaltyError.fromConnectError(new ConnectError("x", Code.Internal, marked), method).transient, true);
  });

  it("takes a CANCELLED the caller did not ask for as a connection lost: UNAVAILABLE", () => {
    const lost = LoyaltyError.fromConnectError(new ConnectError("stream closed", Code.Canceled), method);
    assert.equal(lost.codeName, "UNAVAILABLE");
    assert.equal(lost.transient, true);
    assert.match(lost.detail, /connection lost in flight \(stream closed\)/);
    const asked = LoyaltyError.fromConnectError(new ConnectError("aborted", Code.Canceled), method, true);
    assert.equal(asked.codeName, "CANCELLED");
    assert.equal(asked.transient, false);
  });
});

describe("LoyaltyClient", () => {
  it("has a method for every RPC of both services, named in lowerCamelCase", () => {
    const client = new LoyaltyClient({ address: "127.0.0.1:1", insecureLoopback: true, apiKey: "k" });
    const services: Array<[typeof LoyaltyService | typeof AdminService, Record<string, unknown>]> = [
      [LoyaltyService, client.loyalty],
      [AdminService, client.admin],
    ];
    for (const [service, methods] of services) {
      assert.ok(service.methods.length > 0);
      assert.deepEqual(Object.keys(methods).sort(), service.methods.map((method) => method.localName).sort());
      for (const method of service.methods) {
        assert.equal(typeof methods[method.localName], "function", method.name);
        assert.equal(method.localName[0], method.name[0]!.toLowerCase());
      }
    }
    client.close();
  });
});
