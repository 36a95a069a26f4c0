import { describe, expect, test } from "bun:test";
import { IngotError } from "../../ts/errors.ts";
import { GgufFile, GgufValueType, encodeGguf, type GgufMetadataEntry } from "../../ts/gguf/index.ts";

const entries: GgufMetadataEntry[] = [
  { key: "general.architecture", type: GgufValueType.STRING, value: "qwen2" },
  { key: "n.u8", type: GgufValueType.UINT8, value: 7 },
  { key: "n.f64", type: GgufValueType.FLOAT64, value: 0.125 },
  { key: "n.u64", type: GgufValueType.UINT64, value: 123456789012n },
  { key: "n.huge", type: GgufValueType.UINT64, value: 2n ** 60n },
  { key: "flag", type: GgufValueType.BOOL, value: true },
  { key: "a.f32", type: GgufValueType.ARRAY, arrayType: GgufValueType.FLOAT32, value: new Float32Array([0.5, -2]) },
  { key: "a.i32", type: GgufValueType.ARRAY, arrayType: GgufValueType.INT32, value: new Int32Array([1, -2, 3]) },
  { key: "a.u8", type: GgufValueType.ARRAY, arrayType: GgufValueType.UINT8, value: new Uint8Array([1, 6]) },
  { key: "a.u32big", type: GgufValueType.ARRAY, arrayType: GgufValueType.UINT32, value: new Uint32Array([4e9]) },
  { key: "a.f64frac", type: GgufValueType.ARRAY, arrayType: GgufValueType.FLOAT64, value: new Float64Array([1.5]) },
  { key: "a.i64", type: GgufValueType.ARRAY, arrayType: GgufValueType.INT64, value: new BigInt64Array([-3n, 4n]) },
  { key: "a.str", type: GgufValueType.ARRAY, arrayType: GgufValueType.STRING, value: ["x", "y"] },
];
const f = GgufFile.fromBytes(encodeGguf({ metadata: entries, tensors: [] }), "mem.gguf");

function codeOf(fn: () => unknown): { code: string; message: string } {
  try { fn(); } catch (e) {
    if (e instanceof IngotError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("did not throw");
}

describe("GgufFile accessors", () => {
  test("present values", () => {
    expect(f.path).toBe("mem.gguf");
    expect(f.architecture()).toBe("qwen2");
    expect(f.has("flag")).toBe(true);
    expect(f.has("nope")).toBe(false);
    expect(f.getNumber("n.u8")).toBe(7);
    expect(f.getNumber("n.f64")).toBe(0.125);
    expect(f.metadata.get("n.u64")).toBe(123456789012n); // 64-bit scalars stay bigint in the raw map
    expect(f.getNumber("n.u64")).toBe(123456789012);
    expect(f.getBool("flag")).toBe(true);
    expect(f.getStringArray("a.str")).toEqual(["x", "y"]);
    expect(f.getArray("a.u8")).toEqual(new Uint8Array([1, 6]));
  });

  test("missing values are undefined, require* throws GGUF_MISSING_KEY naming the key", () => {
    expect(f.getString("nope")).toBeUndefined();
    expect(f.getNumber("nope")).toBeUndefined();
    expect(f.getBool("nope")).toBeUndefined();
    expect(f.getArray("nope")).toBeUndefined();
    expect(f.getStringArray("nope")).toBeUndefined();
    expect(f.getFloat32Array("nope")).toBeUndefined();
    expect(f.getInt32Array("nope")).toBeUndefined();
    for (const fn of [() => f.requireString("x.y"), () => f.requireNumber("x.y")]) {
      const e = codeOf(fn);
      expect(e.code).toBe("GGUF_MISSING_KEY");
      expect(e.message).toContain("'x.y'");
    }
    const noArch = GgufFile.fromBytes(encodeGguf({ metadata: [], tensors: [] }));
    expect(codeOf(() => noArch.architecture())).toMatchObject({ code: "GGUF_MISSING_KEY" });
  });

  test("wrong types throw GGUF_BAD_VALUE naming the key and both types", () => {
    const cases: [() => unknown, string][] = [
      [() => f.getString("n.u8"), "'n.u8'"], [() => f.requireString("flag"), "'flag'"],
      [() => f.getNumber("general.architecture"), "'general.architecture'"], [() => f.getNumber("flag"), "'flag'"],
      [() => f.getNumber("a.f32"), "'a.f32'"], [() => f.getNumber("n.huge"), "'n.huge'"],
      [() => f.getBool("n.u8"), "'n.u8'"], [() => f.getArray("n.u8"), "'n.u8'"],
      [() => f.getStringArray("a.i32"), "ARRAY of INT32"], [() => f.getFloat32Array("a.str"), "'a.str'"],
      [() => f.getInt32Array("general.architecture"), "STRING"], [() => f.getInt32Array("a.u32big"), "'a.u32big'[0]"],
      [() => f.getInt32Array("a.f64frac"), "'a.f64frac'[0]"],
    ];
    for (const [fn, fragment] of cases) {
      const e = codeOf(fn);
      expect(e.code).toBe("GGUF_BAD_VALUE");
      expect(e.message).toContain(fragment);
    }
  });

  test("numeric array conversions", () => {
    const same = f.getFloat32Array("a.f32")!;
    expect(same).toBe(f.metadata.get("a.f32") as Float32Array); // no copy when already Float32
    expect(f.getFloat32Array("a.i32")).toEqual(new Float32Array([1, -2, 3]));
    expect(f.getFloat32Array("a.i64")).toEqual(new Float32Array([-3, 4]));
    expect(f.getInt32Array("a.i32")).toBe(f.metadata.get("a.i32") as Int32Array);
    expect(f.getInt32Array("a.u8")).toEqual(new Int32Array([1, 6]));
    expect(f.getInt32Array("a.i64")).toEqual(new Int32Array([-3, 4]));
  });

  test("tensorData refuses a tensor that is not in the file", () => {
    const e = codeOf(() => f.tensorData({ name: "ghost", dims: [32], type: 0, offset: 0, byteSize: 128, nElements: 32 }));
    expect(e.code).toBe("BAD_ARGUMENT");
  });
});

describe("writer validation", () => {
  const bad = (m: GgufMetadataEntry) => codeOf(() => encodeGguf({ metadata: [m], tensors: [] }));
  test("values must match their declared type", () => {
    expect(bad({ key: "k", type: GgufValueType.UINT8, value: 256 })).toMatchObject({ code: "GGUF_BAD_VALUE" });
    expect(bad({ key: "k", type: GgufValueType.INT32, value: 1.5 }).message).toContain("'k'");
    expect(bad({ key: "k", type: GgufValueType.STRING, value: 3 }).code).toBe("GGUF_BAD_VALUE");
    expect(bad({ key: "k", type: GgufValueType.UINT64, value: -1n }).code).toBe("GGUF_BAD_VALUE");
    expect(bad({ key: "k", type: GgufValueType.ARRAY, arrayType: GgufValueType.UINT8, value: [1, 300] as never }).code)
      .toBe("GGUF_BAD_VALUE");
    expect(bad({ key: "k", type: GgufValueType.ARRAY, arrayType: GgufValueType.STRING, value: ["a", 1] as never }).code)
      .toBe("GGUF_BAD_VALUE");
    const dup = codeOf(() => encodeGguf({
      metadata: [{ key: "k", type: GgufValueType.BOOL, value: true }, { key: "k", type: GgufValueType.BOOL, value: false }],
      tensors: [],
    }));
    expect(dup.message).toContain("duplicate");
  });

  test("tensors must be consistent", () => {
    const t = (dims: number[], n: number, type = 0) => codeOf(() =>
      encodeGguf({ metadata: [], tensors: [{ name: "t", type, dims, data: new Uint8Array(n) }] }));
    expect(t([4], 15).code).toBe("BAD_ARGUMENT");
    expect(t([1, 1, 1, 1, 1], 4).message).toContain("1-4");
    expect(t([33, 1], 34, 8).message).toContain("block size");
    expect(t([4], 16, 77).code).toBe("GGUF_UNKNOWN_TYPE");
    expect(codeOf(() => encodeGguf({ version: 1 as never, metadata: [], tensors: [] })).code).toBe("BAD_ARGUMENT");
    expect(codeOf(() => encodeGguf({ alignment: 48, metadata: [], tensors: [] })).code).toBe("BAD_ARGUMENT");
  });
});
