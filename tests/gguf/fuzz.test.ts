import { expect, test } from "bun:test";
import { IngotError } from "../../ts/errors.ts";
import { GgufFile } from "../../ts/gguf/index.ts";
import { DRAFT } from "./helpers.ts";
import { useModelTestTimeout } from "../timeouts.ts";
import { Rng } from "../../ts/sampling/rng.ts";

useModelTestTimeout();

/** Seeded floats in [0, 1) from the project's PRNG, so failures reproduce from (seed, iteration). */
function prng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

const ITERATIONS = 3000;
const SEED = 0x1bad5eed;

test(`fuzz: ${ITERATIONS} header mutations of the draft model either parse or throw IngotError`, () => {
  const original = GgufFile.open(DRAFT);
  const headerEnd = original.dataOffset;
  const work = original.bytes.slice(); // one mutable copy, header restored after every iteration
  const dv = new DataView(work.buffer);
  const rand = prng(SEED);
  const int = (n: number) => Math.floor(rand() * n);
  // Bias positions toward the structural parts: the counts and first keys, and the tensor infos.
  const pos = (width: number): number => {
    const r = rand();
    const p = r < 0.35 ? int(1024) : r < 0.7 ? headerEnd - 1400 + int(1400) : int(headerEnd);
    return Math.max(0, Math.min(p, headerEnd - width));
  };
  const huge = [2n ** 64n - 1n, 2n ** 63n, 2n ** 53n, 2n ** 32n, 2n ** 32n - 1n, 2n ** 31n, 1n << 40n, 4_000_000n, 65536n];

  let parsed = 0;
  let rejected = 0;
  const codes = new Map<string, number>();
  const t0 = performance.now();
  for (let i = 0; i < ITERATIONS; i++) {
    let length = work.length;
    const nMutations = 1 + int(3);
    const kinds: string[] = [];
    for (let m = 0; m < nMutations; m++) {
      const kind = int(6);
      kinds.push(String(kind));
      if (kind === 0) work[pos(1)] ^= 1 << int(8); // bit flip
      else if (kind === 1) work[pos(1)] = int(256); // random byte
      else if (kind === 2) dv.setBigUint64(pos(8), huge[int(huge.length)]!, true); // huge u64
      else if (kind === 3) dv.setUint32(pos(4), int(64), true); // small u32: types, n_dims, lengths
      else if (kind === 4) dv.setBigUint64(pos(8), BigInt(int(2 ** 20)), true); // plausible u64
      else length = Math.min(length, rand() < 0.5 ? int(headerEnd + 64) : int(work.length)); // truncation
    }
    try {
      const f = GgufFile.fromBytes(work.subarray(0, length), "fuzz.gguf");
      // Whatever parsed must be self-consistent: every tensor's bytes lie inside the file.
      for (const t of f.tensors) {
        if (f.dataOffset + t.offset + t.byteSize > length) throw new Error(`tensor ${t.name} escapes the file`);
        f.tensorData(t);
      }
      parsed++;
    } catch (e) {
      if (!(e instanceof IngotError)) {
        throw new Error(`iteration ${i} (seed ${SEED}, mutations ${kinds.join(",")}): non-IngotError ${String(e)}`);
      }
      expect(e.message).toMatch(/ at offset \d+: /);
      codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
      rejected++;
    }
    work.set(original.bytes.subarray(0, headerEnd), 0); // restore
  }
  const ms = performance.now() - t0;
  console.log(`fuzz: ${parsed} parsed, ${rejected} rejected in ${ms.toFixed(0)} ms;`,
    Object.fromEntries([...codes].sort((a, b) => b[1] - a[1])));
  expect(parsed + rejected).toBe(ITERATIONS);
  expect(rejected).toBeGreaterThan(ITERATIONS / 4);
  expect(parsed).toBeGreaterThan(0);
});

test("fuzz: random truncations of a tiny file and random garbage", () => {
  const rand = prng(7);
  for (let i = 0; i < 2000; i++) {
    const n = Math.floor(rand() * 200);
    const b = new Uint8Array(n);
    for (let j = 0; j < n; j++) b[j] = Math.floor(rand() * 256);
    if (n >= 4 && rand() < 0.8) b.set([0x47, 0x47, 0x55, 0x46]);
    if (n >= 8 && rand() < 0.7) b.set([3, 0, 0, 0], 4);
    try {
      GgufFile.fromBytes(b);
    } catch (e) {
      if (!(e instanceof IngotError)) throw new Error(`garbage #${i}: non-IngotError ${String(e)}`);
    }
  }
});
