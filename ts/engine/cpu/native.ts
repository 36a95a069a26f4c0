/**
 * The whole bun:ffi boundary of the CPU engine (ingot_cpu.h, and the sampler's ingot_sample.h) in one
 * module: symbol types, the lazily opened library, and checked wrappers that turn negative return
 * codes into IngotErrors carrying the engine's own error text.
 */
import { dlopen, FFIType, toArrayBuffer, type Pointer } from "bun:ffi";
import { existsSync } from "node:fs";
import { IngotError } from "../../errors.ts";
import { buildNative, nativeLibraryPath } from "./build.ts";

/** The sampler's whole-row step (ingot_sample.h), in the same library; ts/sampling/native.ts wraps it. */
export const SAMPLE_SYMBOLS = {
  ingot_sample_candidates: {
    args: [FFIType.ptr, FFIType.i32, FFIType.f64, FFIType.f64, FFIType.ptr, FFIType.ptr, FFIType.ptr],
    returns: FFIType.i32,
  },
} as const;

const symbols = {
  ...SAMPLE_SYMBOLS,
  ingot_cpu_engine_create: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  ingot_cpu_engine_destroy: { args: [FFIType.ptr], returns: FFIType.void },
  ingot_cpu_engine_threads: { args: [FFIType.ptr], returns: FFIType.i32 },
  ingot_cpu_default_threads: { args: [], returns: FFIType.i32 },
  ingot_cpu_last_error: { args: [], returns: FFIType.cstring },
  ingot_cpu_alloc: { args: [FFIType.u64], returns: FFIType.ptr },
  ingot_cpu_free: { args: [FFIType.ptr], returns: FFIType.void },
  ingot_cpu_program_create: { args: [FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  ingot_cpu_program_destroy: { args: [FFIType.ptr], returns: FFIType.void },
  ingot_cpu_program_run: { args: [FFIType.ptr], returns: FFIType.i32 },
  ingot_cpu_quantized_row_bytes: { args: [FFIType.i32, FFIType.i64], returns: FFIType.i64_fast },
  ingot_cpu_vec_dot_type: { args: [FFIType.i32], returns: FFIType.i32 },
  ingot_cpu_row_bytes: { args: [FFIType.i32, FFIType.i64], returns: FFIType.i64_fast },
  ingot_cpu_repacked_layout: { args: [FFIType.i32, FFIType.i64, FFIType.i64], returns: FFIType.i32 },
  ingot_cpu_release_pages: { args: [FFIType.ptr, FFIType.i64], returns: FFIType.i32 },
  ingot_cpu_repacked_bytes: { args: [FFIType.i32, FFIType.i64, FFIType.i64], returns: FFIType.i64_fast },
  ingot_cpu_repack: { args: [FFIType.i32, FFIType.ptr, FFIType.i64, FFIType.i64, FFIType.i64, FFIType.ptr], returns: FFIType.i32 },
} as const;

type CpuLibrary = ReturnType<typeof dlopen<typeof symbols>>["symbols"];

let library: CpuLibrary | null = null;

/** Opens build/libingot_cpu, building it first when a fresh checkout has not yet. */
export function cpuLibrary(): CpuLibrary {
  if (library) return library;
  try {
    if (!existsSync(nativeLibraryPath)) buildNative();
    library = dlopen(nativeLibraryPath, symbols).symbols;
  } catch (e) {
    throw new IngotError("NATIVE_MISSING", `cannot load the CPU engine (${nativeLibraryPath}): ${(e as Error).message}. Run \`bun run build\`.`, { cause: e });
  }
  return library;
}

export function check(rc: number | bigint, what: string): number {
  const n = Number(rc);
  if (n < 0) throw new IngotError("NATIVE_ERROR", `${what}: ${cpuLibrary().ingot_cpu_last_error() || `error ${n}`}`);
  return n;
}

/** Native memory (64-byte aligned, zeroed) plus a view of it made once. Free with `free()`. */
export class NativeBuffer {
  readonly ptr: Pointer;
  readonly bytes: Uint8Array;
  private freed = false;

  constructor(readonly size: number) {
    const p = cpuLibrary().ingot_cpu_alloc(size) as Pointer | null;
    if (!p) throw new IngotError("NATIVE_ERROR", `could not allocate ${size} bytes of native memory`);
    this.ptr = p;
    this.bytes = new Uint8Array(toArrayBuffer(p, 0, size));
  }

  /** Address of byte `offset`, as stored in op records. */
  address(offset = 0): bigint {
    return BigInt(this.ptr) + BigInt(offset);
  }

  f32(offsetBytes = 0, length = (this.size - offsetBytes) >> 2): Float32Array {
    return new Float32Array(this.bytes.buffer, this.bytes.byteOffset + offsetBytes, length);
  }

  i32(offsetBytes = 0, length = (this.size - offsetBytes) >> 2): Int32Array {
    return new Int32Array(this.bytes.buffer, this.bytes.byteOffset + offsetBytes, length);
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    cpuLibrary().ingot_cpu_free(this.ptr);
  }
}
