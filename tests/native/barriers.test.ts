/** The CPU lowering's barrier plan (ts/engine/cpu/barriers.ts): which ops may run back to back. */
import { describe, expect, test } from "bun:test";
import { BarrierPlanner, type Access } from "../../ts/engine/cpu/barriers.ts";

const matmul = (out: string): Access => ({ reads: ["xq"], writes: [out] });
const rowOp = (reads: string[], writes: string[], rowLocal: "tokens" | "outputs" = "tokens"): Access => ({ reads, writes, rowLocal });

function plan(ops: Access[]): boolean[] {
  const p = new BarrierPlanner();
  return ops.map((op) => p.needsBarrierBefore(op));
}

describe("barrier planner", () => {
  test("independent matmuls sharing one quantised input run back to back", () => {
    expect(plan([rowOp(["xn"], ["xq"]), matmul("q"), matmul("k"), matmul("v")])).toEqual([false, true, false, false]);
  });

  test("row-local ops over the same rows chain without barriers, even when one reads the other", () => {
    expect(plan([rowOp(["x"], ["xn"]), rowOp(["xn"], ["xq"]), rowOp(["q"], ["q"]), rowOp(["k"], ["kv:0:k"])])).toEqual([false, false, false, false]);
  });

  test("row-local ops over different row counts are split by a barrier", () => {
    expect(plan([rowOp(["hidden"], ["hiddenNorm"], "outputs"), rowOp(["hiddenNorm"], ["xq"], "tokens")])).toEqual([false, true]);
  });

  test("read after write, write after read and write after write all need a barrier", () => {
    expect(plan([matmul("q"), rowOp(["q"], ["q"])])).toEqual([false, true]); // RAW
    expect(plan([matmul("q"), rowOp(["x"], ["xq"])])).toEqual([false, true]); // WAR on xq
    expect(plan([matmul("q"), { reads: ["attn"], writes: ["q"] }])).toEqual([false, true]); // WAW
  });

  test("an op is checked against everything since the last barrier, not only its predecessor", () => {
    // attention reads the cache that the first op of the group wrote
    const ops = [rowOp(["k"], ["kv:0:k"]), rowOp(["v"], ["kv:0:v"]), { reads: ["q", "kv:0:k", "kv:0:v"], writes: ["attn"] }];
    expect(plan(ops)).toEqual([false, false, true]);
    expect(plan([matmul("gate"), matmul("up"), rowOp(["gate", "up"], ["gate"])])).toEqual([false, false, true]);
  });
});
