/** Float targets, copies and requantization: checked against the input values and exact identities. */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { kernels } from "../../ts/engine/cpu/kernels-ffi.ts";
import { GgmlType, GgufFile } from "../../ts/gguf/index.ts";
import { quantizeModel } from "../../ts/quantize/index.ts";
import { DRAFT_F16, DRAFT_Q8_0, quantizedOnce, scratch, TARGET_F16 } from "./helpers.ts";
import { useModelTestTimeout } from "../timeouts.ts";

useModelTestTimeout();

function values(file: GgufFile, name: string): Float32Array {
  const t = file.tensor(name)!;
  const out = new Float32Array(t.nElements);
  expect(kernels.dequantize(t.type, file.tensorData(t), out, t.nElements)).toBe(0);
  return out;
}

function relativeRmsError(x: Float32Array, y: Float32Array): number {
  let err = 0, norm = 0;
  for (let i = 0; i < x.length; i++) { err += (y[i]! - x[i]!) ** 2; norm += x[i]! ** 2; }
  return Math.sqrt(err / norm);
}

describe("float targets", () => {
  test("F16 from F16 keeps every tensor's bytes; only file_type and quantization_version change", () => {
    const input = GgufFile.open(TARGET_F16);
    const out = GgufFile.open(quantizedOnce(TARGET_F16, "F16").path);
    for (const t of input.tensors) {
      const o = out.tensor(t.name)!;
      expect(o.type).toBe(t.type);
      expect(Buffer.from(out.tensorData(o)).equals(Buffer.from(input.tensorData(t)))).toBe(true);
    }
    expect(out.getNumber("general.file_type")).toBe(1);
    expect(out.getNumber("general.quantization_version")).toBe(2);
    expect(out.entries.slice(-2).map((e) => e.key)).toEqual(["general.quantization_version", "general.file_type"]);
  });

  test("BF16 rounds each F16 value to the nearest bf16 (relative error at most 2^-8); F32 is exact", () => {
    const input = GgufFile.open(TARGET_F16);
    const bf16 = GgufFile.open(quantizedOnce(TARGET_F16, "BF16").path);
    const f32 = GgufFile.open(quantizedOnce(TARGET_F16, "F32").path);
    expect(bf16.getNumber("general.file_type")).toBe(32);
    expect(f32.getNumber("general.file_type")).toBe(0);
    for (const name of ["blk.0.attn_q.weight", "output.weight"]) {
      expect(GgmlType[bf16.tensor(name)!.type]).toBe("BF16");
      const x = values(input, name), b = values(bf16, name), f = values(f32, name);
      expect(f).toEqual(x);
      let worst = 0;
      for (let i = 0; i < x.length; i++) if (x[i] !== 0) worst = Math.max(worst, Math.abs(b[i]! - x[i]!) / Math.abs(x[i]!));
      expect(worst).toBeLessThanOrEqual(2 ** -8);
      expect(worst).toBeGreaterThan(0);
    }
  });
});

describe("already-quantized input", () => {
  test("to its own type: nothing to convert, so no --allow-requantize needed and the file is unchanged", () => {
    const out = join(scratch, "draft-q8_0-again.gguf");
    const s = quantizeModel(DRAFT_Q8_0, out, { type: "Q8_0" });
    expect(readFileSync(out).equals(readFileSync(DRAFT_Q8_0))).toBe(true);
    expect(s.tensorTypes).toEqual({ F32: 5, Q8_0: 16 });
  });

  test("with allowRequantize: dequantised first; within 10% of quantizing the F16 original directly", () => {
    const out = join(scratch, "draft-q8_0-to-q4_0.gguf");
    quantizeModel(DRAFT_Q8_0, out, { type: "Q4_0", allowRequantize: true });
    const requantized = GgufFile.open(out);
    const direct = GgufFile.open(quantizedOnce(DRAFT_F16, "Q4_0").path);
    const original = GgufFile.open(DRAFT_F16);
    expect(requantized.tensors.map((t) => [t.name, t.type])).toEqual(direct.tensors.map((t) => [t.name, t.type]));
    for (const t of original.tensors.filter((t) => t.dims.length === 2)) {
      const x = values(original, t.name);
      const viaQ8 = relativeRmsError(x, values(requantized, t.name));
      const straight = relativeRmsError(x, values(direct, t.name));
      expect(viaQ8).toBeLessThanOrEqual(straight * 1.1);
      expect(straight).toBeLessThan(0.1);
    }
  });
});
