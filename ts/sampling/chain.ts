/**
 * The steps of the sampling chain as plain functions over a candidate list: ids (sorted by descending
 * logit) and their probabilities. Each step narrows the list in place and returns the new count.
 */

/** Sorts ids[0..n) by descending logit (ties: lower id first, so results are deterministic). */
export function sortByLogit(ids: Int32Array, w: Float32Array, n: number): void {
  if (n <= PACKED_SORT_FROM || w.length > ID_SPAN) {
    ids.subarray(0, n).sort((a, b) => w[b]! - w[a]! || a - b);
    return;
  }
  // Long lists: one number per candidate, (order of -logit) × 2^21 + id, sorted natively without a
  // comparator — exact, since an order key takes 32 bits and ids fewer than 21.
  if (keys.length < n) keys = new Float64Array(n);
  const bits = new Uint32Array(floatBits.buffer);
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    floatBits[0] = w[id]! + 0; // -0 → +0
    const u = bits[0]!;
    // The float's bits as an unsigned integer that grows as the float shrinks.
    const descending = u >= 0x80000000 ? u : ~u & 0x7fffffff;
    keys[i] = descending * ID_SPAN + id;
  }
  const sorted = keys.subarray(0, n).sort();
  for (let i = 0; i < n; i++) ids[i] = sorted[i]! % ID_SPAN;
}

const PACKED_SORT_FROM = 512;
const ID_SPAN = 2 ** 21;
const floatBits = new Float32Array(1);
let keys = new Float64Array(0);

/** p[i] = softmax(w[ids[i]] / temperature) over the first n candidates (sorted, so ids[0] is the max). */
export function softmaxInto(w: Float32Array, ids: Int32Array, n: number, temperature: number, p: Float64Array): void {
  const max = w[ids[0]!]! / temperature;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(w[ids[i]!]! / temperature - max);
    p[i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) p[i]! /= sum;
}

/** Smallest prefix whose probability reaches `threshold` (at least one; all n when it never does). */
export function nucleus(p: Float64Array, n: number, threshold: number): number {
  let cum = 0;
  for (let i = 0; i < n; i++) {
    cum += p[i]!;
    if (cum >= threshold) return i + 1;
  }
  return n;
}

/** Keeps the prefix of candidates at least minP × as likely as the first. */
export function minProbability(p: Float64Array, n: number, minP: number): number {
  const floor = p[0]! * minP;
  let k = 1;
  while (k < n && p[k]! >= floor) k++;
  return k;
}

/** Locally typical sampling (Meister et al.): keep tokens whose surprise is closest to the entropy. */
export function typical(ids: Int32Array, p: Float64Array, n: number, typicalP: number): number {
  let entropy = 0;
  for (let i = 0; i < n; i++) if (p[i]! > 0) entropy -= p[i]! * Math.log(p[i]!);
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => Math.abs(-Math.log(p[a]!) - entropy) - Math.abs(-Math.log(p[b]!) - entropy) || a - b,
  );
  let cum = 0, keep = 0;
  for (; keep < n; keep++) {
    cum += p[order[keep]!]!;
    if (cum >= typicalP) {
      keep++;
      break;
    }
  }
  // Keep the chosen tokens in their original (descending-logit) order.
  const chosen = order.slice(0, Math.max(1, keep)).sort((a, b) => a - b);
  const keptIds = chosen.map((i) => ids[i]!);
  const keptP = chosen.map((i) => p[i]!);
  keptIds.forEach((id, i) => { ids[i] = id; p[i] = keptP[i]!; });
  return chosen.length;
}

/** Writes the ids of the k largest logits among w[0..n) to out[0..k) (unordered; ties keep the lower id). */
export function selectTopK(w: Float32Array, n: number, k: number, heap: Int32Array, out: Int32Array): number {
  for (let i = 0; i < k; i++) {
    heap[i] = i;
    siftUp(heap, w, i);
  }
  let floor = w[heap[0]!]!;
  for (let i = k; i < n; i++) {
    if (w[i]! > floor) {
      heap[0] = i;
      siftDown(heap, w, k);
      floor = w[heap[0]!]!;
    }
  }
  out.set(heap.subarray(0, k));
  return k;
}

/** Min-heap by logit; among equal logits the higher id is weaker, so ties keep lower ids. */
function weaker(w: Float32Array, a: number, b: number): boolean {
  return w[a]! < w[b]! || (w[a] === w[b] && a > b);
}

function siftUp(h: Int32Array, w: Float32Array, i: number): void {
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!weaker(w, h[i]!, h[parent]!)) break;
    [h[i], h[parent]] = [h[parent]!, h[i]!];
    i = parent;
  }
}

function siftDown(h: Int32Array, w: Float32Array, n: number): void {
  let i = 0;
  for (;;) {
    const l = 2 * i + 1, r = l + 1;
    let m = i;
    if (l < n && weaker(w, h[l]!, h[m]!)) m = l;
    if (r < n && weaker(w, h[r]!, h[m]!)) m = r;
    if (m === i) return;
    [h[i], h[m]] = [h[m]!, h[i]!];
    i = m;
  }
}
