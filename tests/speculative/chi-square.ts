/**
 * Pearson's chi-square goodness-of-fit test: observed counts against exact probabilities, cells with
 * an expected count below 5 pooled into one, p-value from the regularised upper incomplete gamma.
 */

export interface ChiSquareResult {
  statistic: number;
  degreesOfFreedom: number;
  pValue: number;
  cells: number;
}

/** `expected` holds probabilities (summing to 1, within rounding); `observed` counts per same key. */
export function chiSquare(observed: Map<string, number>, expected: Map<string, number>, trials: number): ChiSquareResult {
  for (const key of observed.keys()) {
    if (!expected.has(key) || expected.get(key)! <= 0) throw new Error(`observed outcome ${key} has probability 0`);
  }
  let statistic = 0, cells = 0, pooledObserved = 0, pooledExpected = 0;
  for (const [key, p] of expected) {
    const e = p * trials, o = observed.get(key) ?? 0;
    if (e < 5) {
      pooledObserved += o;
      pooledExpected += e;
      continue;
    }
    statistic += (o - e) ** 2 / e;
    cells++;
  }
  if (pooledExpected > 0) {
    statistic += (pooledObserved - pooledExpected) ** 2 / pooledExpected;
    cells++;
  }
  const degreesOfFreedom = cells - 1;
  return { statistic, degreesOfFreedom, pValue: chiSquareSurvival(statistic, degreesOfFreedom), cells };
}

/** P(X ≥ x) for X ~ χ²(k) = Q(k/2, x/2). */
export function chiSquareSurvival(x: number, k: number): number {
  return upperGammaRegularized(k / 2, x / 2);
}

/** Q(a, x): series for x < a + 1, continued fraction (Lentz) otherwise (Numerical Recipes §6.2). */
function upperGammaRegularized(a: number, x: number): number {
  if (x <= 0) return 1;
  const lnPrefix = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a, term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(lnPrefix);
  }
  const tiny = 1e-300;
  let b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(lnPrefix) * h;
}

/** Lanczos approximation (g = 7, n = 9). */
function logGamma(z: number): number {
  const g = 7;
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  z -= 1;
  let x = c[0]!;
  for (let i = 1; i < g + 2; i++) x += c[i]! / (z + i);
  const t = z + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(x);
}
