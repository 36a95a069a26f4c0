/**
 * Converts one tensor's data to another ggml type through the kernel library: dequantise (or widen)
 * to F32, then llama.cpp's reference quantizer (quantize_row_*_ref, what llama-quantize uses without
 * an importance matrix), in slabs of whole rows so the F32 scratch stays bounded.
 */
import { existsSync } from "node:fs";
import { IngotError } from "../errors.ts";
import { buildNative } from "../engine/cpu/build.ts";
import { kernelLibraryPath, kernels } from "../engine/cpu/kernels-ffi.ts";
import { GgmlType, ggmlTypeInfo, tensorByteSize } from "../gguf/index.ts";

/** F32 values converted per kernel call at most (64 MiB of scratch). */
const SLAB_ELEMENTS = 16 * 1024 * 1024;

let kernelsReady = false;

/** Builds the kernel library on a fresh checkout; NATIVE_MISSING if it cannot be loaded. */
function ensureKernels(): void {
  if (kernelsReady) return;
  try {
    if (!existsSync(kernelLibraryPath())) buildNative();
    kernels.simd();
  } catch (e) {
    throw new IngotError("NATIVE_MISSING",
      `cannot load the kernel library (${kernelLibraryPath()}): ${(e as Error).message}. Run \`bun run build\`.`, { cause: e });
  }
  kernelsReady = true;
}

/** Whether the kernels can read (`dequantize`) or write (`quantize`) this type. */
export function kernelsSupport(type: GgmlType): boolean {
  ensureKernels();
  return type === GgmlType.F32 || kernels.typeInfo(type) !== null;
}

function checked(rc: number, what: string): void {
  if (rc !== 0) throw new IngotError("NATIVE_ERROR", `${what} failed (kernel error ${rc})`);
}

/** F32 view of `bytes`, copying only when the bytes are not 4-byte aligned. */
function asFloat32(bytes: Uint8Array): Float32Array {
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return new Float32Array(bytes.slice().buffer);
}

export interface ConvertRequest {
  name: string;
  dims: readonly number[];
  from: GgmlType;
  to: GgmlType;
  data: Uint8Array;
}

/** Converted tensor data (dims[0] must be a multiple of the block size of `to`). */
export function convertTensor(req: ConvertRequest): Uint8Array {
  ensureKernels();
  const rowLength = req.dims[0]!;
  const rows = req.dims.slice(1).reduce((a, b) => a * b, 1);
  const srcRowBytes = tensorByteSize(req.from, [rowLength]);
  const dstRowBytes = tensorByteSize(req.to, [rowLength]);
  const out = new Uint8Array(dstRowBytes * rows);
  const slabRows = Math.max(1, Math.floor(SLAB_ELEMENTS / rowLength));
  let scratch: Float32Array | null = null;
  for (let row = 0; row < rows; row += slabRows) {
    const n = Math.min(slabRows, rows - row);
    const count = n * rowLength;
    const src = req.data.subarray(row * srcRowBytes, (row + n) * srcRowBytes);
    let values: Float32Array;
    if (req.from === GgmlType.F32) {
      values = asFloat32(src);
    } else {
      scratch ??= new Float32Array(Math.min(rows, slabRows) * rowLength);
      values = scratch.subarray(0, count);
      checked(kernels.dequantize(req.from, src, values, count), `reading ${ggmlTypeInfo(req.from).name} tensor '${req.name}'`);
    }
    assertFinite(values, req.name, row * rowLength);
    const dst = out.subarray(row * dstRowBytes, (row + n) * dstRowBytes);
    if (req.to === GgmlType.F32) {
      dst.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    } else {
      checked(kernels.quantize(req.to, values, dst, count), `quantizing '${req.name}' to ${ggmlTypeInfo(req.to).name}`);
    }
  }
  return out;
}

/** llama.cpp refuses to write rows whose scales came out NaN or infinite; refuse their cause up front. */
function assertFinite(values: Float32Array, name: string, firstIndex: number): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      throw new IngotError("BAD_INPUT", `tensor '${name}' holds a non-finite value (${values[i]}) at element ${firstIndex + i}`);
    }
  }
}
