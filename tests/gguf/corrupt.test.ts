import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IngotError } from "../../ts/errors.ts";
import { GgmlType, GgufFile, GgufValueType, MAX_ARRAY_DEPTH } from "../../ts/gguf/index.ts";
import { DRAFT, Raw, parseError } from "./helpers.ts";

const draft = GgufFile.open(DRAFT);

/** A valid file: 1 kv, tensors given as [name, nDims, dims, type, offset], data zero-filled to `dataBytes`. */
function file(opts: {
  kvs?: (r: Raw) => Raw; nKv?: number | bigint;
  tensors?: [string, number, (number | bigint)[], number, number | bigint][]; nTensors?: number | bigint;
  dataBytes?: number; version?: number;
} = {}): Uint8Array {
  const tensors = opts.tensors ?? [["w", 2, [32, 2], GgmlType.F32, 0]];
  const r = new Raw().header(opts.nTensors ?? tensors.length, opts.nKv ?? 1, opts.version ?? 3);
  if (opts.kvs) opts.kvs(r);
  else r.str("general.architecture").u32(GgufValueType.STRING).str("llama");
  for (const [name, nDims, dims, type, offset] of tensors) {
    r.str(name).u32(nDims);
    for (const d of dims) r.u64(d);
    r.u32(type).u64(offset);
  }
  return r.padTo(32).zeros(opts.dataBytes ?? 256).build();
}

function expectError(bytes: Uint8Array, code: string, ...fragments: (string | RegExp)[]): IngotError {
  const e = parseError(bytes);
  expect(e.code).toBe(code as never);
  for (const f of fragments) {
    if (typeof f === "string") expect(e.message).toContain(f);
    else expect(e.message).toMatch(f);
  }
  return e;
}

describe("the base fixture is valid", () => {
  test("parses", () => {
    const f = GgufFile.fromBytes(file());
    expect(f.architecture()).toBe("llama");
    expect(f.tensor("w")!.byteSize).toBe(256);
  });
});

describe("truncation", () => {
  test("every prefix of a small file is GGUF_TRUNCATED naming what was being read", () => {
    const full = file();
    for (let n = 0; n < full.length; n++) {
      const e = expectError(full.subarray(0, n), "GGUF_TRUNCATED", / at offset \d+: /);
      expect(e.message).toMatch(/file ends at \d+|end of the file at \d+/);
    }
  });

  test("truncated draft model: header, vocabulary, tensor infos, data", () => {
    const lengths = [0, 3, 4, 7, 15, 23, 24, 100, 1000, 20000, 60000, 100000, draft.dataOffset - 40,
      draft.dataOffset - 1, draft.dataOffset, draft.dataOffset + 1, draft.dataOffset + 2_000_000, draft.fileSize - 1];
    for (const n of lengths) expectError(draft.bytes.subarray(0, n), "GGUF_TRUNCATED", " at offset ", "test.gguf");
    expectError(draft.bytes.subarray(0, 2), "GGUF_TRUNCATED", "magic at offset 0: needs 4 bytes, file ends at 2");
    expectError(draft.bytes.subarray(0, 6), "GGUF_TRUNCATED", "version at offset 4");
    expectError(draft.bytes.subarray(0, 20), "GGUF_TRUNCATED", "tensor count at offset 8");
    expectError(draft.bytes.subarray(0, draft.dataOffset + 100), "GGUF_TRUNCATED",
      "tensor info #0 'output.weight' offset", "ends past the end of the file");
  });

  test("a string array cut short names the element", () => {
    const tokens = draft.entries.findIndex((e) => e.key === "tokenizer.ggml.tokens");
    const e = expectError(draft.bytes.subarray(0, 40000), "GGUF_TRUNCATED");
    expect(e.message).toContain(`metadata #${tokens} 'tokenizer.ggml.tokens'[`);
  });
});

describe("magic and version", () => {
  test("bad magic", () => {
    const b = file();
    b.set([0x47, 0x47, 0x4d, 0x4c]); // "GGML"
    expectError(b, "GGUF_BAD_MAGIC", "magic at offset 0", '"GGML"');
    b.set([0x6c, 0x6d, 0x67, 0x67]); // legacy ggml written as u32 "ggml"
    expectError(b, "GGUF_BAD_MAGIC", "pre-GGUF");
    expectError(new Uint8Array(64), "GGUF_BAD_MAGIC", "00 00 00 00");
  });

  test("v1 is refused with an explanation", () => {
    expectError(file({ version: 1 }), "GGUF_BAD_VERSION", "version at offset 4", "v1 is not supported");
  });

  test("other versions", () => {
    expectError(file({ version: 4 }), "GGUF_BAD_VERSION", "unsupported GGUF version 4");
    expectError(file({ version: 0 }), "GGUF_BAD_VERSION", "version 0");
    expectError(file({ version: 0x03000000 }), "GGUF_BAD_VERSION", "big-endian");
    expect(GgufFile.fromBytes(file({ version: 2 })).version).toBe(2);
  });
});

describe("absurd counts are rejected before allocating", () => {
  test("tensor count", () => {
    expectError(file({ nTensors: 2n ** 63n }), "GGUF_LIMIT", "tensor count at offset 8", "9223372036854775808");
    expectError(file({ nTensors: 0xffffffffffffffffn }), "GGUF_LIMIT", "tensor count at offset 8");
    expectError(file({ nTensors: 1_000_000 }), "GGUF_TRUNCATED", "tensor count at offset 8", "1000000");
  });

  test("kv count", () => {
    expectError(file({ nKv: 2n ** 40n }), "GGUF_LIMIT", "metadata kv count at offset 16");
    expectError(file({ nKv: 50 }), "GGUF_TRUNCATED", "metadata kv count at offset 16");
  });

  test("string length (key and value)", () => {
    expectError(file({ kvs: (r) => r.u64(2n ** 62n) }), "GGUF_LIMIT", "metadata #0 key string length at offset 24");
    expectError(file({ kvs: (r) => r.str("k").u32(GgufValueType.STRING).u64(1e12) }), "GGUF_LIMIT",
      "metadata #0 'k' value string length at offset 37");
    expectError(file({ kvs: (r) => r.str("k").u32(GgufValueType.STRING).u64(5000) }), "GGUF_TRUNCATED",
      "metadata #0 'k' value string length at offset 37", "5000");
    expectError(file({ tensors: [["w", 1, [32], 0, 0]], kvs: (r) => r.str("k").u32(GgufValueType.UINT8).u8(1) }).map(
      (x, i, a) => (i >= 38 && i < 46 ? [0, 0, 0, 0, 0, 0, 0, 0x40][i - 38]! : x),
    ), "GGUF_LIMIT", "tensor info #0 name string length at offset 38");
  });

  test("array length", () => {
    const arr = (n: number | bigint, t = GgufValueType.FLOAT32) => (r: Raw) =>
      r.str("a").u32(GgufValueType.ARRAY).u32(t).u64(n);
    expectError(file({ kvs: arr(2n ** 61n) }), "GGUF_LIMIT", "metadata #0 'a' array length at offset 41");
    expectError(file({ kvs: arr(100_000) }), "GGUF_TRUNCATED", "metadata #0 'a' array length at offset 41", "400000");
    // 300 strings need at least 2400 bytes even if all are empty.
    expectError(file({ kvs: arr(300, GgufValueType.STRING) }), "GGUF_TRUNCATED", "array length", "2400");
    // A string element inside an array with an absurd length.
    const inner = (r: Raw) => r.str("a").u32(GgufValueType.ARRAY).u32(GgufValueType.STRING).u64(2).str("ok").u64(2n ** 50n);
    expectError(file({ kvs: inner }), "GGUF_LIMIT", "metadata #0 'a'[1] string length at offset 59");
  });
});

describe("tensor infos", () => {
  test("n_dims out of range", () => {
    expectError(file({ tensors: [["w", 5, [32, 1, 1, 1, 2], GgmlType.F32, 0]] }), "GGUF_BAD_TENSOR",
      "tensor info #0 'w' n_dims at offset", "5 dimensions (must be 1-4)");
    expectError(file({ tensors: [["w", 0, [], GgmlType.F32, 0]] }), "GGUF_BAD_TENSOR", "n_dims");
    expectError(file({ tensors: [["w", 0xffffffff, [], GgmlType.F32, 0]] }), "GGUF_BAD_TENSOR", "n_dims");
  });

  test("zero, negative and overflowing dims", () => {
    expectError(file({ tensors: [["w", 2, [32, 0], GgmlType.F32, 0]] }), "GGUF_BAD_TENSOR", "'w' dims[1] at offset", "is zero");
    expectError(file({ tensors: [["w", 2, [32, -2n], GgmlType.F32, 0]] }), "GGUF_BAD_TENSOR", "dims[1]", "negative");
    expectError(file({ tensors: [["w", 1, [2n ** 60n], GgmlType.F32, 0]] }), "GGUF_BAD_TENSOR", "dims[0]", "exceeds 2^53");
    expectError(file({ tensors: [["w", 3, [2 ** 20, 2 ** 20, 2 ** 20], GgmlType.F32, 0]] }), "GGUF_BAD_TENSOR",
      "'w' dims at offset", "overflows");
    expectError(file({ tensors: [["w", 2, [2 ** 26, 2 ** 26], GgmlType.F64, 0]] }), "GGUF_BAD_TENSOR", "byte size");
  });

  test("row length not a multiple of the block size", () => {
    expectError(file({ tensors: [["w", 2, [48, 2], GgmlType.Q8_0, 0]] }), "GGUF_BAD_TENSOR",
      "'w' dims[0]", "not a multiple of the Q8_0 block size 32");
  });

  test("unknown ggml type names the tensor", () => {
    for (const t of [4, 31, 36, 40, 0xffffffff]) {
      expectError(file({ tensors: [["blk.0.attn_q.weight", 2, [32, 2], t, 0]] }), "GGUF_UNKNOWN_TYPE",
        "tensor info #0 'blk.0.attn_q.weight' type at offset", `unknown ggml tensor type id ${t}`);
    }
  });

  test("offsets: unaligned, past the end, straddling; overlapping is fine", () => {
    expectError(file({ tensors: [["w", 2, [32, 2], GgmlType.F32, 8]] }), "GGUF_BAD_TENSOR",
      "tensor info #0 'w' offset at offset", "not a multiple of the alignment 32");
    expectError(file({ tensors: [["w", 2, [32, 2], GgmlType.F32, 2 ** 40]] }), "GGUF_BAD_TENSOR",
      "'w' offset", "past the end of the file");
    expectError(file({ tensors: [["w", 2, [32, 2], GgmlType.F32, 2n ** 62n]] }), "GGUF_BAD_TENSOR", "'w' offset");
    expectError(file({ tensors: [["w", 2, [32, 2], GgmlType.F32, 0]], dataBytes: 255 }), "GGUF_TRUNCATED",
      "'w' offset", "ends past the end of the file");
    const ok = GgufFile.fromBytes(file({
      tensors: [["a", 2, [32, 2], GgmlType.F32, 0], ["b", 1, [32], GgmlType.F32, 0], ["c", 1, [32], GgmlType.F32, 128]],
    }));
    expect(ok.tensors.map((t) => t.offset)).toEqual([0, 0, 128]);
  });

  test("duplicate tensor names", () => {
    expectError(file({ tensors: [["w", 1, [32], GgmlType.F32, 0], ["w", 1, [32], GgmlType.F32, 128]] }),
      "GGUF_BAD_TENSOR", "tensor info #1 'w' name", "duplicate");
  });
});

describe("metadata values", () => {
  test("unknown value types", () => {
    expectError(file({ kvs: (r) => r.str("k").u32(13).u32(0) }), "GGUF_UNKNOWN_TYPE",
      "metadata #0 'k' value type at offset 33", "unknown GGUF value type 13");
    expectError(file({ kvs: (r) => r.str("k").u32(GgufValueType.ARRAY).u32(99).u64(0) }), "GGUF_UNKNOWN_TYPE",
      "metadata #0 'k' array element type at offset 37");
  });

  test("duplicate keys", () => {
    const kvs = (r: Raw) => r.str("a.b").u32(GgufValueType.UINT8).u8(1).str("a.b").u32(GgufValueType.UINT8).u8(2);
    expectError(file({ nKv: 2, kvs }), "GGUF_BAD_VALUE", "metadata #1 'a.b' key at offset 40", "duplicate key 'a.b'");
  });

  test("bool bytes other than 0/1", () => {
    expectError(file({ kvs: (r) => r.str("b").u32(GgufValueType.BOOL).u8(2) }), "GGUF_BAD_VALUE", "'b' bool value at offset 37");
    expectError(file({ kvs: (r) => r.str("b").u32(GgufValueType.ARRAY).u32(GgufValueType.BOOL).u64(3).bytes([1, 0, 7]) }),
      "GGUF_BAD_VALUE", "'b'[2] bool value at offset 51");
  });

  test("array nesting depth", () => {
    const nest = (levels: number) => (r: Raw) => {
      r.str("n").u32(GgufValueType.ARRAY);
      for (let i = 1; i < levels; i++) r.u32(GgufValueType.ARRAY).u64(1);
      return r.u32(GgufValueType.UINT8).u64(1).u8(42);
    };
    const ok = GgufFile.fromBytes(file({ kvs: nest(MAX_ARRAY_DEPTH) }));
    let v: unknown = ok.getArray("n");
    for (let i = 1; i < MAX_ARRAY_DEPTH; i++) v = (v as unknown[])[0];
    expect(v).toEqual(new Uint8Array([42]));
    expectError(file({ kvs: nest(MAX_ARRAY_DEPTH + 1) }), "GGUF_LIMIT", "'n'[0][0]", "nested deeper than");
    // Deep nesting far beyond the limit is still a clean error, not a stack overflow.
    expectError(file({ kvs: nest(100_000) }), "GGUF_LIMIT", "nested deeper than");
  });

  test("general.alignment must be a UINT32 power of two", () => {
    const align = (type: GgufValueType, write: (r: Raw) => Raw) => (r: Raw) => write(r.str("general.alignment").u32(type));
    expectError(file({ kvs: align(GgufValueType.UINT32, (r) => r.u32(0)) }), "GGUF_BAD_VALUE",
      "metadata #0 'general.alignment' value at offset 53", "0 is not a power of two");
    expectError(file({ kvs: align(GgufValueType.UINT32, (r) => r.u32(48)) }), "GGUF_BAD_VALUE", "general.alignment");
    expectError(file({ kvs: align(GgufValueType.UINT64, (r) => r.u64(32)) }), "GGUF_BAD_VALUE",
      "metadata #0 'general.alignment' value type at offset 49", "must be UINT32, found UINT64");
    const f = GgufFile.fromBytes(file({ kvs: align(GgufValueType.UINT32, (r) => r.u32(16)), dataBytes: 256 }));
    expect(f.alignment).toBe(16);
  });
});

describe("opening files", () => {
  const dir = mkdtempSync(join(tmpdir(), "ingot-gguf-open-"));
  test("missing file, directory, empty file", () => {
    try { GgufFile.open(join(dir, "nope.gguf")); expect.unreachable(); } catch (e) {
      expect((e as IngotError).code).toBe("FILE_NOT_FOUND");
      expect((e as Error).message).toContain("nope.gguf");
    }
    try { GgufFile.open(dir); expect.unreachable(); } catch (e) { expect((e as IngotError).code).toBe("BAD_ARGUMENT"); }
    writeFileSync(join(dir, "empty.gguf"), "");
    try { GgufFile.open(join(dir, "empty.gguf")); expect.unreachable(); } catch (e) {
      expect((e as IngotError).code).toBe("GGUF_TRUNCATED");
      expect((e as Error).message).toContain("empty.gguf");
    }
    rmSync(dir, { recursive: true, force: true });
  });
});
