import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  GgmlType, GgufFile, GgufValueType, encodeGguf, writeGguf, type GgufMetadataEntry, type GgufWriteTensor,
} from "../../ts/gguf/index.ts";
import { DRAFT } from "./helpers.ts";

const draft = GgufFile.open(DRAFT);
const draftTensors = (): GgufWriteTensor[] =>
  draft.tensors.map((t) => ({ name: t.name, type: t.type, dims: t.dims, data: draft.tensorData(t) }));
const tmp = mkdtempSync(join(tmpdir(), "ingot-gguf-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function expectSameMetadata(a: GgufMetadataEntry[], b: GgufMetadataEntry[]): void {
  expect(b.length).toBe(a.length);
  for (let i = 0; i < a.length; i++) {
    expect(b[i]!.key).toBe(a[i]!.key);
    expect(b[i]!.type).toBe(a[i]!.type);
    expect(b[i]!.arrayType).toBe(a[i]!.arrayType);
    expect(b[i]!.value).toEqual(a[i]!.value);
  }
}

describe("round trip", () => {
  test("re-encoding the llama.cpp-written draft reproduces its bytes exactly", () => {
    const out = encodeGguf({ metadata: draft.entries, tensors: draftTensors() });
    expect(out.length).toBe(draft.fileSize);
    expect(Buffer.compare(Buffer.from(out), Buffer.from(draft.bytes))).toBe(0);
  });

  test("a vocabulary-only file written by llama.cpp's convert script round-trips exactly (no trailing padding)", () => {
    const vocab = GgufFile.open(join(import.meta.dir, "../fixtures/vocab/ggml-vocab-llama-spm.gguf"));
    expect(vocab.tensors.length).toBe(0);
    expect(vocab.fileSize % 32).not.toBe(0); // the convert script does not pad a file without tensors
    // LLaMA's SentencePiece vocabulary: 32000 pieces, <unk> <s> </s>, then byte tokens.
    expect(vocab.getStringArray("tokenizer.ggml.tokens")!.slice(0, 4)).toEqual(["<unk>", "<s>", "</s>", "<0x00>"]);
    expect(vocab.getFloat32Array("tokenizer.ggml.scores")!.length).toBe(32000);
    expect(vocab.getNumber("tokenizer.ggml.bos_token_id")).toBe(1);
    expect(vocab.getNumber("tokenizer.ggml.eos_token_id")).toBe(2);
    const out = encodeGguf({ metadata: vocab.entries, tensors: [] });
    expect(Buffer.compare(Buffer.from(out), Buffer.from(vocab.bytes))).toBe(0);
  });

  test("parses from a view at an odd byte offset inside a larger buffer", () => {
    const big = new Uint8Array(draft.fileSize + 7);
    big.set(draft.bytes, 3);
    const f = GgufFile.fromBytes(big.subarray(3, 3 + draft.fileSize));
    expectSameMetadata(draft.entries, f.entries);
    const t = f.tensor("output_norm.weight")!;
    expect(Buffer.compare(Buffer.from(f.tensorData(t)), Buffer.from(draft.tensorData(t)))).toBe(0);
  });

  for (const version of [2, 3] as const) {
    for (const alignment of [32, 64]) {
      test(`v${version}, alignment ${alignment}: metadata (types included) and tensor bytes survive`, () => {
        const metadata = draft.entries.filter((e) => e.key !== "general.alignment");
        const out = encodeGguf({ version, alignment, metadata, tensors: draftTensors() });
        const back = GgufFile.fromBytes(out);
        expect(back.version).toBe(version);
        expect(back.alignment).toBe(alignment);
        expect(back.dataOffset % alignment).toBe(0);
        // A non-default alignment must be recorded in the file for readers to find it.
        const expected = alignment === 32 ? metadata
          : [...metadata, { key: "general.alignment", type: GgufValueType.UINT32, value: alignment }];
        expectSameMetadata(expected, back.entries);
        expect(back.tensors.length).toBe(draft.tensors.length);
        for (const t of draft.tensors) {
          const u = back.tensor(t.name)!;
          expect(u.offset % alignment).toBe(0);
          expect({ ...u, offset: 0 }).toEqual({ ...t, offset: 0 });
          expect(Buffer.compare(Buffer.from(back.tensorData(u)), Buffer.from(draft.tensorData(t)))).toBe(0);
        }
      });
    }
  }

  test("general.alignment in metadata sets the alignment; a contradicting option is refused", () => {
    const out = encodeGguf({ metadata: draft.entries, tensors: [] });
    expect(GgufFile.fromBytes(out).alignment).toBe(32);
    const m64 = draft.entries.map((e) => (e.key === "general.alignment" ? { ...e, value: 64 } : e));
    const back = GgufFile.fromBytes(encodeGguf({ metadata: m64, tensors: draftTensors() }));
    expect(back.alignment).toBe(64);
    expect(back.dataOffset % 64).toBe(0);
    expect(() => encodeGguf({ alignment: 128, metadata: m64, tensors: [] })).toThrow(/contradicts/);
  });

  test("every value type, nested arrays, odd strings", () => {
    const metadata: GgufMetadataEntry[] = [
      { key: "u8", type: GgufValueType.UINT8, value: 255 },
      { key: "i8", type: GgufValueType.INT8, value: -128 },
      { key: "u16", type: GgufValueType.UINT16, value: 65535 },
      { key: "i16", type: GgufValueType.INT16, value: -32768 },
      { key: "u32", type: GgufValueType.UINT32, value: 4294967295 },
      { key: "i32", type: GgufValueType.INT32, value: -2147483648 },
      { key: "f32", type: GgufValueType.FLOAT32, value: 0.5 },
      { key: "f64", type: GgufValueType.FLOAT64, value: Math.PI },
      { key: "u64", type: GgufValueType.UINT64, value: 18446744073709551615n },
      { key: "i64", type: GgufValueType.INT64, value: -9223372036854775808n },
      { key: "t", type: GgufValueType.BOOL, value: true },
      { key: "s", type: GgufValueType.STRING, value: "\uFEFFbom kept, ünïcödé, 😀, \0 nul" },
      { key: "empty", type: GgufValueType.STRING, value: "" },
      { key: "a.u8", type: GgufValueType.ARRAY, arrayType: GgufValueType.UINT8, value: new Uint8Array([1, 2, 255]) },
      { key: "a.i8", type: GgufValueType.ARRAY, arrayType: GgufValueType.INT8, value: new Int8Array([-1, 5]) },
      { key: "a.u16", type: GgufValueType.ARRAY, arrayType: GgufValueType.UINT16, value: new Uint16Array([7, 65535]) },
      { key: "a.i16", type: GgufValueType.ARRAY, arrayType: GgufValueType.INT16, value: new Int16Array([-7]) },
      { key: "a.u32", type: GgufValueType.ARRAY, arrayType: GgufValueType.UINT32, value: new Uint32Array([1, 4e9]) },
      { key: "a.i32", type: GgufValueType.ARRAY, arrayType: GgufValueType.INT32, value: new Int32Array([-1, 2, 3]) },
      { key: "a.f32", type: GgufValueType.ARRAY, arrayType: GgufValueType.FLOAT32, value: new Float32Array([0.25, -1e30]) },
      { key: "a.f64", type: GgufValueType.ARRAY, arrayType: GgufValueType.FLOAT64, value: new Float64Array([1e300]) },
      { key: "a.u64", type: GgufValueType.ARRAY, arrayType: GgufValueType.UINT64, value: new BigUint64Array([2n ** 63n]) },
      { key: "a.i64", type: GgufValueType.ARRAY, arrayType: GgufValueType.INT64, value: new BigInt64Array([-5n]) },
      { key: "a.bool", type: GgufValueType.ARRAY, arrayType: GgufValueType.BOOL, value: [true, false, true] },
      { key: "a.str", type: GgufValueType.ARRAY, arrayType: GgufValueType.STRING, value: ["", "a", "\uFEFF", "Ġthe", "𝄞x"] },
      { key: "a.empty", type: GgufValueType.ARRAY, arrayType: GgufValueType.INT32, value: new Int32Array(0) },
      {
        key: "a.nested", type: GgufValueType.ARRAY, arrayType: GgufValueType.ARRAY,
        value: [new Int32Array([1, 2]), ["x", "y"], [[true], new Float32Array([3])]],
      },
    ];
    const tensors: GgufWriteTensor[] = [
      { name: "f32", type: GgmlType.F32, dims: [3], data: new Uint8Array(new Float32Array([1, 2, 3]).buffer) },
      { name: "q4k", type: GgmlType.Q4_K, dims: [256, 2], data: new Uint8Array(288).fill(7) },
      { name: "ünï", type: GgmlType.I8, dims: [1, 1, 1, 5], data: new Uint8Array([1, 2, 3, 4, 5]) },
    ];
    const back = GgufFile.fromBytes(encodeGguf({ metadata, tensors }));
    expectSameMetadata(metadata, back.entries);
    expect(back.getString("s")!.charCodeAt(0)).toBe(0xfeff);
    for (const t of tensors) {
      const u = back.tensor(t.name)!;
      expect(u.dims).toEqual(t.dims);
      expect(u.type).toBe(t.type);
      expect([...back.tensorData(u)]).toEqual([...t.data]);
    }
    // Plain number arrays are accepted for numeric array types and read back typed.
    const plain = GgufFile.fromBytes(encodeGguf({
      metadata: [{ key: "x", type: GgufValueType.ARRAY, arrayType: GgufValueType.FLOAT32, value: [1, 2] as never }],
      tensors: [],
    }));
    expect(plain.getArray("x")).toEqual(new Float32Array([1, 2]));
  });

  test("invalid UTF-8 decodes with replacement characters, in keys and string arrays", () => {
    const ok = encodeGguf({
      metadata: [
        { key: "kA", type: GgufValueType.STRING, value: "vA" },
        { key: "arr", type: GgufValueType.ARRAY, arrayType: GgufValueType.STRING, value: ["ab", "\u00e9", "cd"] },
      ],
      tensors: [],
    });
    const bytes = ok.slice();
    // key "kA" -> "k\xff"; "\u00e9" (c3 a9) -> "\xc3x" split so the array needs the slow path.
    const kA = Buffer.from(bytes).indexOf("kA");
    bytes[kA + 1] = 0xff;
    const e9 = Buffer.from(bytes).indexOf(Buffer.from([0xc3, 0xa9]));
    bytes[e9 + 1] = 0x78;
    const f = GgufFile.fromBytes(bytes);
    expect(f.entries[0]!.key).toBe("k\uFFFD");
    expect(f.getStringArray("arr")).toEqual(["ab", "\uFFFDx", "cd"]);
    // A string starting with a continuation byte must not be glued to its neighbour.
    const b2 = encodeGguf({
      metadata: [{ key: "arr", type: GgufValueType.ARRAY, arrayType: GgufValueType.STRING, value: ["\u00e9", "\u00e9"] }],
      tensors: [],
    });
    // Rewrite the two strings as "c3 a9 c3" + "a9": the concatenation is valid UTF-8, the strings are not.
    const at = Buffer.from(b2).lastIndexOf(Buffer.from([0xc3, 0xa9]));
    const raw = Buffer.concat([
      Buffer.from(b2.subarray(0, at - 8 - 2 - 8)),
      u64le(3), Buffer.from([0xc3, 0xa9, 0xc3]), u64le(1), Buffer.from([0xa9]),
    ]);
    const g = GgufFile.fromBytes(new Uint8Array(raw));
    expect(g.getStringArray("arr")).toEqual(["\u00e9\uFFFD", "\uFFFD"]);
  });

  test("writeGguf writes atomically via a temp file and leaves nothing behind", () => {
    const path = join(tmp, "draft-copy.gguf");
    writeGguf(path, { metadata: draft.entries, tensors: draftTensors() });
    expect(Buffer.compare(readFileSync(path), Buffer.from(draft.bytes))).toBe(0);
    expect(readdirSync(tmp)).toEqual(["draft-copy.gguf"]);
    // Overwrite with a different file: the old one is replaced whole.
    writeGguf(path, { version: 2, alignment: 64, metadata: [{ key: "general.architecture", type: GgufValueType.STRING, value: "x" }], tensors: [] });
    const back = GgufFile.open(path);
    expect(back.version).toBe(2);
    expect(back.architecture()).toBe("x");
    // A failing write (bad tensor) throws before touching the target and leaves no temp file.
    expect(() => writeGguf(path, { metadata: [], tensors: [{ name: "t", type: GgmlType.F32, dims: [4], data: new Uint8Array(3) }] }))
      .toThrow(/need 16/);
    expect(readdirSync(tmp)).toEqual(["draft-copy.gguf"]);
    expect(GgufFile.open(path).architecture()).toBe("x");
  });
});

function u64le(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}
