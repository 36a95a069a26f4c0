/** Summary statistics for repeated measurements on a noisy machine: report min and median, not mean. */
export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export const median = (v: readonly number[]) => quantile(v, 0.5);
export const min = (v: readonly number[]) => Math.min(...v);
export const max = (v: readonly number[]) => Math.max(...v);
