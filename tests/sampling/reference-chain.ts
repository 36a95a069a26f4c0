/**
 * A deliberately naive sampling chain written straight from llama.cpp's definitions (full sort of
 * the whole vocabulary at every step, no shortcuts): the outside reference the Sampler is checked
 * against. Order: logit bias, penalties, top-k, top-p, min-p, temperature.
 */
export interface ReferenceSettings {
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  repeatPenalty?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  penaltyWindow?: number;
  logitBias?: Record<number, number>;
}

export function referenceDistribution(logits: ArrayLike<number>, history: number[], s: ReferenceSettings): Map<number, number> {
  const l = Array.from(logits);
  for (const [id, b] of Object.entries(s.logitBias ?? {})) l[Number(id)] = Math.fround(l[Number(id)]! + b); // logits are floats
  const counts = new Map<number, number>();
  for (const id of history.slice(-(s.penaltyWindow ?? 64))) counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const [id, n] of counts) {
    const r = s.repeatPenalty ?? 1;
    l[id] = Math.fround((l[id]! > 0 ? l[id]! / r : l[id]! * r) - n * (s.frequencyPenalty ?? 0) - (s.presencePenalty ?? 0));
  }
  let cand = l.map((v, id) => ({ id, v })).sort((a, b) => b.v - a.v || a.id - b.id);
  if (s.temperature === 0) return new Map([[cand[0]!.id, 1]]);
  if (s.topK > 0) cand = cand.slice(0, s.topK);
  const softmax = (c: typeof cand, t: number) => {
    const m = c[0]!.v / t;
    const e = c.map((x) => Math.exp(x.v / t - m));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / z);
  };
  let p = softmax(cand, 1);
  if (s.topP < 1) {
    let cum = 0, keep = cand.length;
    for (let i = 0; i < cand.length; i++) if ((cum += p[i]!) >= s.topP) { keep = i + 1; break; }
    cand = cand.slice(0, keep);
    p = softmax(cand, 1);
  }
  if (s.minP > 0) cand = cand.filter((_, i) => p[i]! >= p[0]! * s.minP);
  const final = softmax(cand, s.temperature);
  return new Map(cand.map((c, i) => [c.id, final[i]!]));
}
