/** Shared pieces of the Metal tests: the emulator device (built once per process) and a one-program rig. */
import { buildMetalEmu } from "../../tools/metal-emu/build.ts";
import { Storage } from "../../ts/engine/metal/abi.ts";
import { MetalDevice, type Binding, type MetalBuffer } from "../../ts/engine/metal/device.ts";
import { materialize, type KernelCall } from "../../ts/engine/metal/dispatches.ts";
import { K } from "../../ts/engine/metal/kargs.ts";
import { emuPaths } from "../../ts/engine/metal/paths.ts";

let built: Promise<void> | null = null;

/** Builds the emulator (no-op when current) and opens a device on its kernel library. */
export async function emuDevice(profile = false): Promise<MetalDevice> {
  built ??= buildMetalEmu();
  await built;
  return MetalDevice.open(emuPaths.runtime, profile ? emuPaths.profileKernels : emuPaths.kernels);
}

export function upload(device: MetalDevice, data: ArrayBufferView): Binding {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const buffer = device.buffer(Math.max(bytes.byteLength, 16), Storage.SHARED);
  buffer.write(0, bytes);
  return { buffer, offset: 0 };
}

export function zeros(device: MetalDevice, bytes: number): Binding {
  return { buffer: device.buffer(Math.max(bytes, 16), Storage.SHARED), offset: 0 };
}

export function readF32(b: Binding, count: number): Float32Array {
  const out = new Float32Array(count);
  b.buffer.read(b.offset, out);
  return out;
}

export function readI32(b: Binding, count: number): Int32Array {
  const out = new Int32Array(count);
  b.buffer.read(b.offset, out);
  return out;
}

/** A step buffer of capacity `cap` (same layout as the engine's). */
export function stepBuffer(device: MetalDevice, cap: number, s: { tokens?: number[]; positions?: number[]; seqIds?: number[]; outputRows?: number[]; nTokens: number; nOutputs?: number }): Binding {
  const words = new Int32Array(K.STEP_HEADER + 4 * cap);
  words[K.STEP_N_TOKENS] = s.nTokens;
  words[K.STEP_N_OUTPUTS] = s.nOutputs ?? s.nTokens;
  const put = (i: number, xs: number[] | undefined) => xs?.forEach((x, j) => (words[K.STEP_HEADER + i * cap + j] = x));
  put(0, s.tokens);
  put(1, s.positions);
  put(2, s.seqIds);
  put(3, s.outputRows);
  return upload(device, words);
}

/** Runs calls as one program once. */
export function runCalls(device: MetalDevice, calls: KernelCall[]): void {
  const { dispatches, args } = materialize(device, calls);
  const program = device.program(dispatches);
  try {
    program.run();
  } finally {
    program.free();
    args.free();
  }
}

export function freeAll(...buffers: (Binding | MetalBuffer)[]): void {
  for (const b of buffers) ("buffer" in b ? b.buffer : b).free();
}

/** max |a - b| / max(1, max |a|). */
export function maxRelError(ref: ArrayLike<number>, got: ArrayLike<number>): number {
  let scale = 1, err = 0;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]!));
  for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(ref[i]! - got[i]!));
  return err / scale;
}
