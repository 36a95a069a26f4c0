/**
 * bun:ffi binding of the sampler's native whole-row step (Sources/IngotCPU/sample_select.c,
 * declared in ingot_sample.h), which lives in the CPU engine's library and is opened the way
 * ts/engine/cpu/native.ts opens it. Arrays are passed as pointers: nothing is copied or allocated
 * per call.
 */
import { dlopen, FFIType } from "bun:ffi";
import { existsSync } from "node:fs";
import { buildNative, nativeLibraryPath } from "../engine/cpu/build.ts";
import { IngotError } from "../errors.ts";

/** The C signatures (exported for tests that open other builds of the same file). */
export const SAMPLE_SYMBOLS = {
  ingot_sample_candidates: {
    args: [FFIType.ptr, FFIType.i32, FFIType.f64, FFIType.f64, FFIType.ptr, FFIType.ptr, FFIType.ptr],
    returns: FFIType.i32,
  },
} as const;

type SampleLibrary = ReturnType<typeof dlopen<typeof SAMPLE_SYMBOLS>>["symbols"];

let library: SampleLibrary | null = null;

function sampleLibrary(): SampleLibrary {
  if (library) return library;
  try {
    if (!existsSync(nativeLibraryPath)) buildNative();
    library = dlopen(nativeLibraryPath, SAMPLE_SYMBOLS).symbols;
  } catch (e) {
    throw new IngotError("NATIVE_MISSING", `cannot load the sampler's native step (${nativeLibraryPath}): ${(e as Error).message}. Run \`bun run build\`.`, { cause: e });
  }
  return library;
}

/** Work memory `wholeRowCandidates` needs for a row of `n` logits. */
export function candidateScratch(n: number): BigUint64Array {
  return new BigUint64Array(2 * n);
}

/**
 * The candidates of the whole row for top-p `topP` (1: off) and min-p `minP` (0: off), best first
 * (descending logit, ties lower id first): a prefix of the ranking that holds the whole nucleus,
 * less only tokens min-p certainly drops. Writes their ids and their probabilities at temperature 1
 * over the whole row (not only over the candidates), and returns how many. The exact top-p and min-p
 * cuts are left to the chain. `row` holds the logits after bias and penalties.
 */
export function wholeRowCandidates(row: Float32Array, topP: number, minP: number, ids: Int32Array, probs: Float64Array, scratch: BigUint64Array): number {
  const n = row.length;
  if (ids.length < n || probs.length < n || scratch.length < 2 * n) throw new IngotError("BAD_ARGUMENT", `candidate buffers too small for a row of ${n}`);
  const count = sampleLibrary().ingot_sample_candidates(row, n, topP, minP > 0 ? Math.log(minP) : -Infinity, ids, probs, scratch);
  if (count < 1) throw new IngotError("NATIVE_ERROR", `ingot_sample_candidates failed (${count})`);
  return count;
}
