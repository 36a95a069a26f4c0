/**
 * CPU engines (worker pools), one per thread count, shared by every model and context in the process:
 * a target and a draft model alternate on the same workers instead of two pools spinning against
 * each other on the same cores.
 */
import type { Pointer } from "bun:ffi";
import { check, cpuLibrary } from "./native.ts";

const engines = new Map<number, Pointer>();

let physicalCores: number | null = null;

/** The physical cores (performance cores on Apple Silicon), from the engine: JS sees only logical ones. */
export function defaultThreads(): number {
  physicalCores ??= Math.max(1, cpuLibrary().ingot_cpu_default_threads());
  return physicalCores;
}

export function cpuEngine(threads = defaultThreads()): Pointer {
  const existing = engines.get(threads);
  if (existing) return existing;
  const out = new BigUint64Array(1);
  check(cpuLibrary().ingot_cpu_engine_create(threads, out), `starting ${threads} CPU worker threads`);
  const engine = Number(out[0]) as Pointer;
  engines.set(threads, engine);
  return engine;
}
