// src/contract.ts restates proto/loyalty/v1/contract.h; this test reads the
// header and fails when the two disagree, or when the header gains a
// constant the TypeScript side lacks.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

import { contract } from "../src/index.js";
import { repositoryRoot } from "./support/loyaltyd.js";

const header = readFileSync(join(repositoryRoot, "proto/loyalty/v1/contract.h"), "utf8");

// kReasonMetadataKey -> REASON_METADATA_KEY
function typescriptName(cppName: string): string {
  return cppName
    .slice(1)
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase();
}

function headerConstants(): Map<string, string | number> {
  const constants = new Map<string, string | number>();
  for (const found of header.matchAll(/constexpr char (k\w+)\[\] = "([^"]*)";/g)) {
    constants.set(found[1]!, found[2]!);
  }
  for (const found of header.matchAll(/constexpr int (k\w+) = (-?[0-9]+);/g)) {
    constants.set(found[1]!, Number(found[2]));
  }
  return constants;
}

describe("contract", () => {
  it("every constant of contract.h has its twin in contract.ts, with the same value", () => {
    const constants = headerConstants();
    assert.ok(constants.size >= 7, `read only ${constants.size} constants from contract.h`);
    const restated = contract as unknown as Record<string, unknown>;
    for (const [cppName, value] of constants) {
      assert.equal(restated[typescriptName(cppName)], value, `${cppName} as ${typescriptName(cppName)}`);
    }
  });

  it("isTransientCode holds for exactly the codes IsTransientCode names", () => {
    const body = /bool IsTransientCode\(int code\) \{([^}]*)\}/.exec(header);
    assert.ok(body, "IsTransientCode not found in contract.h");
    const constants = headerConstants();
    const named = [...body[1]!.matchAll(/code == (k\w+)/g)].map((found) => constants.get(found[1]!));
    assert.ok(named.length > 0);
    const transient = new Set(named);
    for (let code = 0; code <= 16; code++) {
      assert.equal(contract.isTransientCode(code), transient.has(code), `code ${code}`);
    }
  });
});
