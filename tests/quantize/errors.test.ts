/** Bad input gives a clear IngotError, and a failed quantization leaves no file behind. */
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IngotError } from "../../ts/errors.ts";
import { GgmlType, GgufValueType, writeGguf } from "../../ts/gguf/index.ts";
import { quantizeModel } from "../../ts/quantize/index.ts";
import { DRAFT_F16, DRAFT_Q8_0, filesIn, scratch } from "./helpers.ts";
import { useModelTestTimeout } from "../timeouts.ts";

useModelTestTimeout();

function quantizeError(input: string, output: string, type: string, allowRequantize = false): IngotError {
  try {
    quantizeModel(input, output, { type, allowRequantize });
  } catch (e) {
    if (e instanceof IngotError) return e;
    throw new Error(`expected an IngotError, got ${String(e)}`);
  }
  throw new Error("expected quantizeModel to fail");
}

/** A fresh empty directory for one case, so "nothing left behind" is easy to check. */
function emptyDir(name: string): string {
  const dir = join(scratch, `errors-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A one-layer llama-shaped GGUF with one F32 matrix. */
function tinyModel(path: string, values: Float32Array, metadata = true): void {
  writeGguf(path, {
    metadata: metadata
      ? [
          { key: "general.architecture", type: GgufValueType.STRING, value: "llama" },
          { key: "llama.block_count", type: GgufValueType.UINT32, value: 1 },
        ]
      : [{ key: "general.name", type: GgufValueType.STRING, value: "just data" }],
    tensors: [{ name: "blk.0.attn_q.weight", type: GgmlType.F32, dims: [32, values.length / 32], data: new Uint8Array(values.buffer) }],
  });
}

describe("quantize refuses bad input", () => {
  test("unknown type: names the choices", () => {
    const dir = emptyDir("type");
    const e = quantizeError(DRAFT_F16, join(dir, "out.gguf"), "Q9_K");
    expect(e.code).toBe("BAD_ARGUMENT");
    expect(e.message).toContain("unknown quantization type 'Q9_K'");
    expect(e.message).toContain("Q4_K_M");
    expect(filesIn(dir)).toEqual([]);
  });

  test("missing input file", () => {
    const dir = emptyDir("missing");
    const e = quantizeError(join(dir, "nope.gguf"), join(dir, "out.gguf"), "Q8_0");
    expect(e.code).toBe("FILE_NOT_FOUND");
    expect(e.message).toContain("nope.gguf");
    expect(filesIn(dir)).toEqual([]);
  });

  test("a GGUF that is not a model: vocabulary only, or no architecture", () => {
    const dir = emptyDir("not-model");
    const vocab = join(import.meta.dir, "../fixtures/vocab/ggml-vocab-gpt-2.gguf");
    const e1 = quantizeError(vocab, join(dir, "out.gguf"), "Q8_0");
    expect(e1.code).toBe("BAD_INPUT");
    expect(e1.message).toContain("is not a model GGUF: it has no tensors");
    const bare = join(dir, "bare.gguf");
    tinyModel(bare, new Float32Array(64).fill(1), false);
    const e2 = quantizeError(bare, join(dir, "out.gguf"), "Q8_0");
    expect(e2.message).toContain("is not a model GGUF: it has no 'general.architecture'");
    expect(filesIn(dir)).toEqual(["bare.gguf"]);
  });

  test("not a GGUF at all", () => {
    const dir = emptyDir("not-gguf");
    writeFileSync(join(dir, "text.gguf"), "hello, this is not a GGUF file at all");
    const e = quantizeError(join(dir, "text.gguf"), join(dir, "out.gguf"), "Q8_0");
    expect(e.code).toBe("GGUF_BAD_MAGIC");
    expect(filesIn(dir)).toEqual(["text.gguf"]);
  });

  test("output in a missing directory", () => {
    const e = quantizeError(DRAFT_F16, join(scratch, "no-such-dir", "out.gguf"), "Q8_0");
    expect(e.code).toBe("BAD_ARGUMENT");
    expect(e.message).toContain("does not exist");
  });

  test("already-quantized input without allowRequantize", () => {
    const dir = emptyDir("requant");
    const e = quantizeError(DRAFT_Q8_0, join(dir, "out.gguf"), "Q4_0");
    expect(e.code).toBe("BAD_INPUT");
    expect(e.message).toContain("is already Q8_0: requantizing is disabled");
    expect(e.message).toContain("--allow-requantize");
    expect(filesIn(dir)).toEqual([]);
  });

  test("a failure half-way through (a NaN in the weights) leaves no file and keeps an older one intact", () => {
    const dir = emptyDir("nan");
    const values = new Float32Array(32 * 8).map((_, i) => Math.sin(i));
    values[100] = Number.NaN;
    tinyModel(join(dir, "nan.gguf"), values);
    const e = quantizeError(join(dir, "nan.gguf"), join(dir, "out.gguf"), "Q4_0");
    expect(e.code).toBe("BAD_INPUT");
    expect(e.message).toContain("'blk.0.attn_q.weight' holds a non-finite value (NaN) at element 100");
    expect(filesIn(dir)).toEqual(["nan.gguf"]);

    writeFileSync(join(dir, "out.gguf"), "previous output");
    quantizeError(join(dir, "nan.gguf"), join(dir, "out.gguf"), "Q4_0");
    expect(Bun.file(join(dir, "out.gguf")).size).toBe("previous output".length);
    expect(filesIn(dir)).toEqual(["nan.gguf", "out.gguf"]);
  });
});
