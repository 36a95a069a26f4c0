/**
 * The sampler's native whole-row step (Sources/IngotCPU/sample_select.c, declared in ingot_sample.h),
 * called through the CPU engine's library (ts/engine/cpu/native.ts). Arrays are passed as pointers:
 * nothing is copied or allocated per call.
 */
import { cpuLibrary, SAMPLE_SYMBOLS } from "../engine/cpu/native.ts";
import { IngotError } from "../errors.ts";

/** The C signatures (for tests that open other builds of the same file). */
export { SAMPLE_SYMBOLS };

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
  const count = cpuLibrary().ingot_sample_candidates(row, n, topP, minP > 0 ? Math.log(minP) : -Infinity, ids, probs, scratch);
  if (count < 1) throw new IngotError("NATIVE_ERROR", `ingot_sample_candidates failed (${count})`);
  return count;
}
