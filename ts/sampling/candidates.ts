/** The engine's on-device top-k of one output row, in the form the sampler takes. */
import type { InferenceContext } from "../engine/types.ts";
import type { TopCandidates } from "./sampler.ts";

/** Row `row` of the last forward's device top-k, or undefined when the context computes none. */
export function rowCandidates(context: InferenceContext, row: number): TopCandidates | undefined {
  const top = context.topK?.();
  if (!top) return undefined;
  const from = row * top.k;
  return { values: top.values.subarray(from, from + top.k), ids: top.ids.subarray(from, from + top.k) };
}
