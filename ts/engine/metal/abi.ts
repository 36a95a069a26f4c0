/**
 * The whole bun:ffi boundary of the Metal engine (Sources/IngotMetalABI/include/ingot_metal.h) in one
 * module. The same symbols are served by the Swift dylib (macOS) and by the MSL emulator
 * (build/libingot_metal_emu.so); `metalLibrary(path)` opens either once per path.
 */
import { dlopen, FFIType } from "bun:ffi";
import { existsSync } from "node:fs";
import { IngotError } from "../../errors.ts";

const symbols = {
  ingot_metal_last_error: { args: [], returns: FFIType.cstring },
  ingot_metal_device_open: { args: [FFIType.cstring, FFIType.ptr], returns: FFIType.i32 },
  ingot_metal_device_close: { args: [FFIType.ptr], returns: FFIType.void },
  ingot_metal_device_query: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  ingot_metal_pipeline: { args: [FFIType.ptr, FFIType.cstring, FFIType.ptr], returns: FFIType.i32 },
  ingot_metal_buffer_create: { args: [FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  ingot_metal_buffer_from_file: {
    args: [FFIType.ptr, FFIType.cstring, FFIType.u64, FFIType.u64, FFIType.i32, FFIType.ptr],
    returns: FFIType.i32,
  },
  ingot_metal_buffer_free: { args: [FFIType.ptr], returns: FFIType.void },
  ingot_metal_buffer_contents: { args: [FFIType.ptr], returns: FFIType.ptr },
  ingot_metal_buffer_size: { args: [FFIType.ptr], returns: FFIType.u64_fast },
  ingot_metal_buffer_write: { args: [FFIType.ptr, FFIType.u64, FFIType.ptr, FFIType.u64], returns: FFIType.i32 },
  ingot_metal_buffer_read: { args: [FFIType.ptr, FFIType.u64, FFIType.ptr, FFIType.u64], returns: FFIType.i32 },
  ingot_metal_program_create: { args: [FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  ingot_metal_program_free: { args: [FFIType.ptr], returns: FFIType.void },
  ingot_metal_program_run: { args: [FFIType.ptr], returns: FFIType.i32 },
  ingot_metal_program_set_profiling: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  ingot_metal_program_stats: { args: [FFIType.ptr, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
} as const;

export type MetalSymbols = ReturnType<typeof dlopen<typeof symbols>>["symbols"];

/** Return codes of ingot_metal.h. */
export const MetalStatus = {
  OK: 0, INVALID: -1, NOMEM: -2, NOT_FOUND: -3, COMPILE: -4, EXECUTION: -5, UNSUPPORTED: -6, IO: -7,
} as const;

export const Storage = { SHARED: 0, PRIVATE: 1 } as const;

/** Record sizes of the ABI (checked against the header by tests/metal/abi.test.ts). */
export const MAX_BINDINGS = 16;
export const DISPATCH_BYTES = 40 + 16 * MAX_BINDINGS;
export const STAT_BYTES = 48;
export const DEVICE_INFO_BYTES = 128 + 8 + 6 * 4;

const opened = new Map<string, MetalSymbols>();

export function metalLibrary(path: string): MetalSymbols {
  const existing = opened.get(path);
  if (existing) return existing;
  if (!existsSync(path)) {
    throw new IngotError("NATIVE_MISSING", `the Metal engine library ${path} does not exist: build it (see README, "Metal")`);
  }
  try {
    const lib = dlopen(path, symbols).symbols;
    opened.set(path, lib);
    return lib;
  } catch (e) {
    throw new IngotError("NATIVE_MISSING", `cannot load the Metal engine library ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Turns a negative return code into an IngotError carrying the engine's own message. */
export function checkMetal(lib: MetalSymbols, rc: number, what: string): number {
  if (rc >= 0) return rc;
  const text = lib.ingot_metal_last_error() || `error ${rc}`;
  throw new IngotError("NATIVE_ERROR", `${what}: ${text}`);
}
