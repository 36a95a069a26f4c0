/**
 * Which engine runs a model: the C engine on the CPU, the Swift engine on Metal, or the same Metal
 * path through the MSL emulator. `auto` picks Metal on Apple Silicon when the Swift dylib has been
 * built, and the CPU everywhere else.
 */
import { existsSync } from "node:fs";
import { IngotError } from "../errors.ts";
import type { Model } from "../model/model.ts";
import { CpuContext } from "./cpu/context.ts";
import { MetalContext } from "./metal/context.ts";
import { MetalDevice } from "./metal/device.ts";
import { emuPaths, repoRoot, shaderDir, swiftDylibCandidates } from "./metal/paths.ts";
import type { ContextOptions, InferenceContext } from "./types.ts";

export const BACKENDS = ["cpu", "metal", "metal-emu", "auto"] as const;
export type Backend = (typeof BACKENDS)[number];
export type ResolvedBackend = Exclude<Backend, "auto">;

export interface BackendContextOptions extends ContextOptions {
  /** Engine (default "cpu"). */
  backend?: Backend;
  /** Metal only: count bytes per dispatch (the emulator's profiling library). */
  profile?: boolean;
}

export function parseBackend(value: string): Backend {
  if ((BACKENDS as readonly string[]).includes(value)) return value as Backend;
  throw new IngotError("BAD_ARGUMENT", `unknown backend '${value}': use one of ${BACKENDS.join(", ")}`);
}

function swiftDylib(): string | null {
  return swiftDylibCandidates.find((p) => existsSync(p)) ?? null;
}

export function resolveBackend(backend: Backend): ResolvedBackend {
  if (backend !== "auto") return backend;
  return process.platform === "darwin" && process.arch === "arm64" && swiftDylib() ? "metal" : "cpu";
}

const devices = new Map<string, MetalDevice>();

/** One device per engine and shader library for the whole process (a target and its draft share it). */
export function metalDevice(kind: "metal" | "metal-emu", profile = false): MetalDevice {
  const key = `${kind}:${profile}`;
  const existing = devices.get(key);
  if (existing) return existing;
  let device: MetalDevice;
  if (kind === "metal") {
    const dylib = swiftDylib();
    if (!dylib) {
      throw new IngotError("NATIVE_MISSING", "the Metal engine is not built: run `swift build -c release --product IngotMetal` on a Mac (macOS 14+)");
    }
    const metallib = `${repoRoot}/build/ingot.metallib`;
    device = MetalDevice.open(dylib, existsSync(metallib) ? metallib : shaderDir);
  } else {
    if (![emuPaths.runtime, emuPaths.kernels, emuPaths.profileKernels].every(existsSync)) {
      const r = Bun.spawnSync(["bun", `${repoRoot}/tools/metal-emu/build.ts`], { stdout: "inherit", stderr: "inherit" });
      if (r.exitCode !== 0) throw new IngotError("NATIVE_MISSING", "the MSL emulator is not built and building it failed: run `bun tools/metal-emu/build.ts` (needs clang++-16)");
    }
    device = MetalDevice.open(emuPaths.runtime, profile ? emuPaths.profileKernels : emuPaths.kernels);
  }
  devices.set(key, device);
  return device;
}

export function createContext(model: Model, opts: BackendContextOptions = {}): InferenceContext {
  const backend = resolveBackend(opts.backend ?? "cpu");
  if (backend === "cpu") {
    if (opts.profile) throw new IngotError("BAD_ARGUMENT", "--profile is only available with --backend metal-emu");
    return new CpuContext(model, opts);
  }
  return new MetalContext(model, metalDevice(backend, opts.profile ?? false), opts);
}
