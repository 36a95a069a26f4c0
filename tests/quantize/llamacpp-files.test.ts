/**
 * Quantizing the F16 demo target reproduces llama-quantize's own files (made from the same F16 file):
 * the same type for every tensor, the same tensor bytes, and in fact the same file, byte for byte.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { GgmlType, GgufFile } from "../../ts/gguf/index.ts";
import { llamaCppTarget, quantizedOnce, TARGET_F16 } from "./helpers.ts";
import { useModelTestTimeout } from "../timeouts.ts";

useModelTestTimeout();

function identicalBytesPercent(a: Uint8Array, b: Uint8Array): number {
  let same = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] === b[i]) same++;
  return (100 * same) / Math.max(a.length, b.length);
}

describe("quantize reproduces llama.cpp's files", () => {
  for (const type of ["Q8_0", "Q6_K", "Q4_0", "Q4_K_M", "Q5_K_M"]) {
    test(type, () => {
      const { path, summary } = quantizedOnce(TARGET_F16, type);
      const ours = GgufFile.open(path);
      const theirs = GgufFile.open(llamaCppTarget(type));

      expect(ours.tensors.map((t) => [t.name, GgmlType[t.type]])).toEqual(theirs.tensors.map((t) => [t.name, GgmlType[t.type]]));
      for (const t of theirs.tensors) {
        const mine = ours.tensor(t.name)!;
        expect(Buffer.from(ours.tensorData(mine)).equals(Buffer.from(theirs.tensorData(t)))).toBe(true);
      }
      expect(ours.entries.map((e) => e.key)).toEqual(theirs.entries.map((e) => e.key));
      expect(ours.getNumber("general.file_type")).toBe(theirs.getNumber("general.file_type")!);
      expect(ours.getNumber("general.quantization_version")).toBe(2);

      const percent = identicalBytesPercent(readFileSync(path), readFileSync(llamaCppTarget(type)));
      console.log(`${type}: ${percent.toFixed(4)}% identical bytes, ${summary.seconds.toFixed(2)} s`);
      expect(percent).toBe(100);
      expect(summary.outputBytes).toBe(theirs.fileSize);
    });
  }
});
