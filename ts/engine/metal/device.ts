/**
 * Typed handles over ingot_metal.h: a device (one shader library), its buffers and programs.
 * Dispatches are described in TypeScript (kernel name, geometry, bindings) and encoded here into the
 * ABI's fixed-size records; every native call checks its status and surfaces the engine's message.
 */
import { ptr, toArrayBuffer, type Pointer } from "bun:ffi";
import { IngotError } from "../../errors.ts";
import { checkMetal, DEVICE_INFO_BYTES, DISPATCH_BYTES, MAX_BINDINGS, metalLibrary, STAT_BYTES, Storage, type MetalSymbols } from "./abi.ts";

export interface Binding {
  buffer: MetalBuffer;
  /** Bytes from the buffer's start. */
  offset: number;
}

export interface Dispatch {
  /** Pipeline (kernel) name, as instantiated in shaders/. */
  kernel: string;
  grid: readonly [number, number, number];
  threads: readonly [number, number, number];
  /** Index = [[buffer(i)]]; null slots are bound to a small placeholder buffer. */
  bindings: readonly (Binding | null)[];
  /** Bytes for [[threadgroup(0)]] (default 0). */
  threadgroupMemory?: number;
  /** What this dispatch computes, for profiles (e.g. "layer 2: q/k/v"). */
  label: string;
  /** Graph layer it belongs to, or null for the embedding and the head. */
  layer: number | null;
}

export interface DeviceInfo {
  name: string;
  recommendedWorkingSet: number;
  maxThreadsPerThreadgroup: number;
  maxThreadgroupMemory: number;
  simdWidth: number;
  isEmulator: boolean;
  supportsIcb: boolean;
  countsBytes: boolean;
}

export interface DispatchStat {
  /** Index in the program, or -1 for the whole run. */
  dispatch: number;
  /** The buffer the bytes were counted for, or null for a time-only record. */
  buffer: MetalBuffer | null;
  bytesLoaded: number;
  bytesUnique: number;
  bytesStored: number;
  nanoseconds: number;
}

function outHandle(): BigUint64Array {
  return new BigUint64Array(1);
}

export class MetalDevice implements Disposable {
  readonly lib: MetalSymbols;
  private handle: Pointer | null;
  private readonly pipelines = new Map<string, number>();
  private readonly buffers = new Map<number, MetalBuffer>();
  private placeholderBuffer: MetalBuffer | null = null;

  private constructor(lib: MetalSymbols, handle: Pointer, readonly libraryPath: string) {
    this.lib = lib;
    this.handle = handle;
  }

  /** Opens a device: `enginePath` is the ABI implementation, `shaderLibrary` what it compiles or loads. */
  static open(enginePath: string, shaderLibrary: string): MetalDevice {
    const lib = metalLibrary(enginePath);
    const out = outHandle();
    checkMetal(lib, lib.ingot_metal_device_open(Buffer.from(`${shaderLibrary}\0`), out), `opening the Metal device with ${shaderLibrary}`);
    return new MetalDevice(lib, Number(out[0]) as Pointer, shaderLibrary);
  }

  get ptr(): Pointer {
    if (!this.handle) throw new IngotError("BAD_ARGUMENT", "this Metal device has been closed");
    return this.handle;
  }

  info(): DeviceInfo {
    const raw = new Uint8Array(DEVICE_INFO_BYTES);
    checkMetal(this.lib, this.lib.ingot_metal_device_query(this.ptr, raw), "querying the Metal device");
    const v = new DataView(raw.buffer);
    const name = new TextDecoder().decode(raw.subarray(0, 128)).replace(/\0.*$/s, "");
    const u32 = (i: number) => v.getUint32(136 + 4 * i, true);
    return {
      name, recommendedWorkingSet: Number(v.getBigUint64(128, true)), maxThreadsPerThreadgroup: u32(0),
      maxThreadgroupMemory: u32(1), simdWidth: u32(2), isEmulator: u32(3) === 1, supportsIcb: u32(4) === 1, countsBytes: u32(5) === 1,
    };
  }

  pipeline(name: string): number {
    const known = this.pipelines.get(name);
    if (known !== undefined) return known;
    const out = new Int32Array(1);
    checkMetal(this.lib, this.lib.ingot_metal_pipeline(this.ptr, Buffer.from(`${name}\0`), out), `pipeline '${name}'`);
    this.pipelines.set(name, out[0]!);
    return out[0]!;
  }

  buffer(size: number, storage: number = Storage.SHARED): MetalBuffer {
    const out = outHandle();
    checkMetal(this.lib, this.lib.ingot_metal_buffer_create(this.ptr, size, storage, out), `allocating a ${size}-byte Metal buffer`);
    return this.track(new MetalBuffer(this, Number(out[0]) as Pointer, size, storage));
  }

  bufferFromFile(path: string, offset: number, size: number, storage: number = Storage.PRIVATE): MetalBuffer {
    const out = outHandle();
    checkMetal(this.lib, this.lib.ingot_metal_buffer_from_file(this.ptr, Buffer.from(`${path}\0`), offset, size, storage, out), `loading ${path} into a Metal buffer`);
    return this.track(new MetalBuffer(this, Number(out[0]) as Pointer, size, storage));
  }

  private track(b: MetalBuffer): MetalBuffer {
    this.buffers.set(Number(b.ptr), b);
    return b;
  }

  /** Forget a freed buffer (called by MetalBuffer.free). */
  untrack(b: MetalBuffer): void {
    this.buffers.delete(Number(b.ptr));
  }

  bufferByHandle(handle: number): MetalBuffer | null {
    return this.buffers.get(handle) ?? null;
  }

  private placeholder(): MetalBuffer {
    this.placeholderBuffer ??= this.buffer(256);
    return this.placeholderBuffer;
  }

  /** Encodes and validates the dispatches into a program that can be run any number of times. */
  program(dispatches: readonly Dispatch[]): MetalProgram {
    if (dispatches.length === 0) throw new IngotError("BAD_ARGUMENT", "a Metal program needs at least one dispatch");
    const records = new Uint8Array(DISPATCH_BYTES * dispatches.length);
    const v = new DataView(records.buffer);
    dispatches.forEach((d, i) => {
      const at = i * DISPATCH_BYTES;
      if (d.bindings.length > MAX_BINDINGS) throw new IngotError("BAD_ARGUMENT", `${d.label}: ${d.bindings.length} bindings (limit ${MAX_BINDINGS})`);
      v.setInt32(at, this.pipeline(d.kernel), true);
      v.setUint32(at + 4, d.threadgroupMemory ?? 0, true);
      v.setUint32(at + 8, 1, true);
      v.setUint32(at + 12, d.bindings.length, true);
      for (let k = 0; k < 3; k++) {
        v.setUint32(at + 16 + 4 * k, d.grid[k]!, true);
        v.setUint32(at + 28 + 4 * k, d.threads[k]!, true);
      }
      d.bindings.forEach((b, k) => {
        const buf = b?.buffer ?? this.placeholder();
        v.setBigUint64(at + 40 + 16 * k, BigInt(buf.ptr), true);
        v.setBigUint64(at + 48 + 16 * k, BigInt(b?.offset ?? 0), true);
      });
    });
    const out = outHandle();
    checkMetal(this.lib, this.lib.ingot_metal_program_create(this.ptr, records, dispatches.length, out), "building a Metal program");
    return new MetalProgram(this, Number(out[0]) as Pointer, dispatches);
  }

  close(): void {
    if (!this.handle) return;
    for (const b of [...this.buffers.values()]) b.free();
    this.lib.ingot_metal_device_close(this.handle);
    this.handle = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export class MetalBuffer {
  private handle: Pointer | null;
  private view: Uint8Array | null = null;

  constructor(readonly device: MetalDevice, handle: Pointer, readonly size: number, readonly storage: number) {
    this.handle = handle;
  }

  get ptr(): Pointer {
    if (!this.handle) throw new IngotError("BAD_ARGUMENT", "this Metal buffer has been freed");
    return this.handle;
  }

  /** A view of a SHARED buffer's memory, made once. */
  bytes(): Uint8Array {
    if (this.view) return this.view;
    const p = this.device.lib.ingot_metal_buffer_contents(this.ptr);
    if (!p) throw new IngotError("BAD_ARGUMENT", "only SHARED Metal buffers have host-visible contents");
    this.view = new Uint8Array(toArrayBuffer(p, 0, this.size));
    return this.view;
  }

  write(offset: number, data: ArrayBufferView): void {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.byteLength === 0) return;
    checkMetal(this.device.lib, this.device.lib.ingot_metal_buffer_write(this.ptr, offset, ptr(bytes), bytes.byteLength), "writing a Metal buffer");
  }

  read(offset: number, out: ArrayBufferView): void {
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    if (bytes.byteLength === 0) return;
    checkMetal(this.device.lib, this.device.lib.ingot_metal_buffer_read(this.ptr, offset, ptr(bytes), bytes.byteLength), "reading a Metal buffer");
  }

  free(): void {
    if (!this.handle) return;
    this.device.untrack(this);
    this.device.lib.ingot_metal_buffer_free(this.handle);
    this.handle = null;
    this.view = null;
  }
}

export class MetalProgram {
  private handle: Pointer | null;

  constructor(readonly device: MetalDevice, handle: Pointer, readonly dispatches: readonly Dispatch[]) {
    this.handle = handle;
  }

  private get ptr(): Pointer {
    if (!this.handle) throw new IngotError("BAD_ARGUMENT", "this Metal program has been freed");
    return this.handle;
  }

  run(): void {
    checkMetal(this.device.lib, this.device.lib.ingot_metal_program_run(this.ptr), "running a Metal program");
  }

  setProfiling(enabled: boolean): void {
    checkMetal(this.device.lib, this.device.lib.ingot_metal_program_set_profiling(this.ptr, enabled ? 1 : 0), "enabling byte counting");
  }

  /** Measurements of the last run. */
  stats(): DispatchStat[] {
    const lib = this.device.lib;
    const n = checkMetal(lib, lib.ingot_metal_program_stats(this.ptr, null, 0), "reading Metal program stats");
    if (n === 0) return [];
    const raw = new Uint8Array(STAT_BYTES * n);
    checkMetal(lib, lib.ingot_metal_program_stats(this.ptr, raw, n), "reading Metal program stats");
    const v = new DataView(raw.buffer);
    return Array.from({ length: n }, (_, i) => {
      const at = i * STAT_BYTES;
      const handle = Number(v.getBigUint64(at + 8, true));
      return {
        dispatch: v.getInt32(at, true),
        buffer: handle ? this.device.bufferByHandle(handle) : null,
        bytesLoaded: Number(v.getBigUint64(at + 16, true)),
        bytesUnique: Number(v.getBigUint64(at + 24, true)),
        bytesStored: Number(v.getBigUint64(at + 32, true)),
        nanoseconds: Number(v.getBigUint64(at + 40, true)),
      };
    });
  }

  free(): void {
    if (!this.handle) return;
    this.device.lib.ingot_metal_program_free(this.handle);
    this.handle = null;
  }
}
