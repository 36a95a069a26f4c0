import { describe, expect, test } from "bun:test";
import { IngotError } from "../../ts/errors.ts";
import { GgmlType, ggmlTypeFromName, ggmlTypeInfo, tensorByteSize } from "../../ts/gguf/index.ts";

describe("ggml type table", () => {
  // Block sizes / bytes per block from ggml's block structs (ggml-common.h).
  const expected: [GgmlType, number, number][] = [
    [GgmlType.F32, 1, 4], [GgmlType.F16, 1, 2], [GgmlType.BF16, 1, 2], [GgmlType.F64, 1, 8],
    [GgmlType.I8, 1, 1], [GgmlType.I16, 1, 2], [GgmlType.I32, 1, 4], [GgmlType.I64, 1, 8],
    [GgmlType.Q4_0, 32, 18], [GgmlType.Q4_1, 32, 20], [GgmlType.Q5_0, 32, 22], [GgmlType.Q5_1, 32, 24],
    [GgmlType.Q8_0, 32, 34], [GgmlType.Q8_1, 32, 36],
    [GgmlType.Q2_K, 256, 84], [GgmlType.Q3_K, 256, 110], [GgmlType.Q4_K, 256, 144], [GgmlType.Q5_K, 256, 176],
    [GgmlType.Q6_K, 256, 210], [GgmlType.Q8_K, 256, 292],
    [GgmlType.IQ2_XXS, 256, 66], [GgmlType.IQ2_XS, 256, 74], [GgmlType.IQ2_S, 256, 82], [GgmlType.IQ3_XXS, 256, 98],
    [GgmlType.IQ3_S, 256, 110], [GgmlType.IQ1_S, 256, 50], [GgmlType.IQ1_M, 256, 56], [GgmlType.IQ4_NL, 32, 18],
    [GgmlType.IQ4_XS, 256, 136], [GgmlType.TQ1_0, 256, 54], [GgmlType.TQ2_0, 256, 66], [GgmlType.MXFP4, 32, 17],
  ];
  test("every enum member has the right block layout", () => {
    const members = Object.values(GgmlType).filter((v) => typeof v === "number");
    expect(members.length).toBe(expected.length);
    for (const [t, blockSize, typeSize] of expected) {
      expect(ggmlTypeInfo(t)).toEqual({ name: GgmlType[t]!, blockSize, typeSize });
    }
  });

  test("unknown ids throw GGUF_UNKNOWN_TYPE", () => {
    for (const id of [4, 5, 31, 32, 33, 36, 37, 38, 40, 1000, -1]) {
      expect(() => ggmlTypeInfo(id)).toThrow(IngotError);
      try { ggmlTypeInfo(id); } catch (e) { expect((e as IngotError).code).toBe("GGUF_UNKNOWN_TYPE"); }
    }
  });

  test("names are case-insensitive; unknown names are BAD_ARGUMENT", () => {
    expect(ggmlTypeFromName("Q4_K")).toBe(GgmlType.Q4_K);
    expect(ggmlTypeFromName("q8_0")).toBe(GgmlType.Q8_0);
    expect(ggmlTypeFromName("bf16")).toBe(GgmlType.BF16);
    expect(ggmlTypeFromName("mxfp4")).toBe(GgmlType.MXFP4);
    try { ggmlTypeFromName("Q4_K_M"); expect.unreachable(); } catch (e) {
      expect((e as IngotError).code).toBe("BAD_ARGUMENT");
      expect((e as Error).message).toContain("Q4_K_M");
    }
  });

  test("tensorByteSize", () => {
    expect(tensorByteSize(GgmlType.F32, [256])).toBe(1024);
    expect(tensorByteSize(GgmlType.F16, [3, 5, 7])).toBe(210);
    expect(tensorByteSize(GgmlType.Q8_0, [256, 4096])).toBe(1114112); // 8 blocks * 34 B * 4096 rows
    expect(tensorByteSize(GgmlType.Q4_K, [512, 1536])).toBe(2 * 144 * 1536);
    expect(tensorByteSize(GgmlType.Q6_K, [256, 1, 1, 2])).toBe(420);
    for (const dims of [[100, 2], [0], [], [-32], [32.5]]) {
      try { tensorByteSize(GgmlType.Q8_0, dims); expect.unreachable(); } catch (e) {
        expect((e as IngotError).code).toBe("BAD_ARGUMENT");
      }
    }
    expect(() => tensorByteSize(GgmlType.F32, [2 ** 30, 2 ** 30])).toThrow(/overflow/);
  });
});
