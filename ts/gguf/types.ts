/**
 * GGUF / ggml type tables and the public data shapes of the GGUF layer.
 * Block sizes follow ggml's type traits (elements per block, bytes per block).
 */
import { IngotError } from "../errors.ts";

export enum GgmlType {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
  I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
  TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
}

export interface GgmlTypeInfo {
  name: string;
  /** Elements per block. */
  blockSize: number;
  /** Bytes per block. */
  typeSize: number;
}

const QK_K = 256;

// [type, blockSize, typeSize]; sizes are those of ggml's block structs.
const TYPE_TABLE: ReadonlyArray<readonly [GgmlType, number, number]> = [
  [GgmlType.F32, 1, 4],
  [GgmlType.F16, 1, 2],
  [GgmlType.Q4_0, 32, 2 + 16],
  [GgmlType.Q4_1, 32, 2 + 2 + 16],
  [GgmlType.Q5_0, 32, 2 + 4 + 16],
  [GgmlType.Q5_1, 32, 2 + 2 + 4 + 16],
  [GgmlType.Q8_0, 32, 2 + 32],
  [GgmlType.Q8_1, 32, 2 + 2 + 32],
  [GgmlType.Q2_K, QK_K, QK_K / 16 + QK_K / 4 + 2 + 2],
  [GgmlType.Q3_K, QK_K, QK_K / 8 + QK_K / 4 + 12 + 2],
  [GgmlType.Q4_K, QK_K, 2 + 2 + 12 + QK_K / 2],
  [GgmlType.Q5_K, QK_K, 2 + 2 + 12 + QK_K / 8 + QK_K / 2],
  [GgmlType.Q6_K, QK_K, QK_K / 2 + QK_K / 4 + QK_K / 16 + 2],
  [GgmlType.Q8_K, QK_K, 4 + QK_K + (QK_K / 16) * 2],
  [GgmlType.IQ2_XXS, QK_K, 2 + QK_K / 4],
  [GgmlType.IQ2_XS, QK_K, 2 + QK_K / 4 + QK_K / 32],
  [GgmlType.IQ3_XXS, QK_K, 2 + QK_K / 4 + QK_K / 8],
  [GgmlType.IQ1_S, QK_K, 2 + QK_K / 8 + QK_K / 16],
  [GgmlType.IQ4_NL, 32, 2 + 16],
  [GgmlType.IQ3_S, QK_K, 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4],
  [GgmlType.IQ2_S, QK_K, 2 + QK_K / 4 + QK_K / 16],
  [GgmlType.IQ4_XS, QK_K, 2 + 2 + QK_K / 2 + QK_K / 64],
  [GgmlType.I8, 1, 1],
  [GgmlType.I16, 1, 2],
  [GgmlType.I32, 1, 4],
  [GgmlType.I64, 1, 8],
  [GgmlType.F64, 1, 8],
  [GgmlType.IQ1_M, QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32],
  [GgmlType.BF16, 1, 2],
  [GgmlType.TQ1_0, QK_K, 2 + 4 * 13],
  [GgmlType.TQ2_0, QK_K, 2 + 64],
  [GgmlType.MXFP4, 32, 1 + 16],
];

const INFO_BY_ID = new Map<number, GgmlTypeInfo>();
const TYPE_BY_NAME = new Map<string, GgmlType>();
for (const [type, blockSize, typeSize] of TYPE_TABLE) {
  const name = GgmlType[type]!;
  INFO_BY_ID.set(type, Object.freeze({ name, blockSize, typeSize }));
  TYPE_BY_NAME.set(name, type);
}

/** Block layout of a ggml tensor type; throws GGUF_UNKNOWN_TYPE for ids ggml does not (or no longer) define. */
export function ggmlTypeInfo(type: number): GgmlTypeInfo {
  const info = INFO_BY_ID.get(type);
  if (!info) throw new IngotError("GGUF_UNKNOWN_TYPE", `unknown ggml tensor type id ${type}`);
  return info;
}

/** Lookup without throwing (used by the reader to build its own error message). */
export function ggmlTypeInfoOrUndefined(type: number): GgmlTypeInfo | undefined {
  return INFO_BY_ID.get(type);
}

/** "Q4_K", "q4_k", "bf16" ... → GgmlType; BAD_ARGUMENT if unknown. */
export function ggmlTypeFromName(name: string): GgmlType {
  const type = TYPE_BY_NAME.get(name.trim().toUpperCase());
  if (type === undefined) {
    throw new IngotError(
      "BAD_ARGUMENT",
      `unknown ggml type name '${name}' (known: ${[...TYPE_BY_NAME.keys()].join(", ")})`,
    );
  }
  return type;
}

/** Bytes taken by a tensor of `type` with ggml-order `dims`; dims[0] must be a multiple of the block size. */
export function tensorByteSize(type: GgmlType, dims: readonly number[]): number {
  const info = ggmlTypeInfo(type);
  if (dims.length === 0) throw new IngotError("BAD_ARGUMENT", "tensor dims must not be empty");
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d <= 0) {
      throw new IngotError("BAD_ARGUMENT", `tensor dim ${d} is not a positive integer (dims [${dims.join(", ")}])`);
    }
    n *= d;
    if (!Number.isSafeInteger(n)) {
      throw new IngotError("BAD_ARGUMENT", `tensor dims [${dims.join(", ")}] overflow the element count`);
    }
  }
  if (dims[0]! % info.blockSize !== 0) {
    throw new IngotError(
      "BAD_ARGUMENT",
      `tensor row length ${dims[0]} is not a multiple of the ${info.name} block size ${info.blockSize}`,
    );
  }
  const size = (n / info.blockSize) * info.typeSize;
  if (!Number.isSafeInteger(size)) {
    throw new IngotError("BAD_ARGUMENT", `tensor dims [${dims.join(", ")}] overflow the byte size`);
  }
  return size;
}

export enum GgufValueType {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
}

/** Fixed byte width of scalar value types (0 for STRING/ARRAY, which are variable). */
export const VALUE_TYPE_SIZE: Readonly<Record<GgufValueType, number>> = {
  [GgufValueType.UINT8]: 1, [GgufValueType.INT8]: 1, [GgufValueType.UINT16]: 2, [GgufValueType.INT16]: 2,
  [GgufValueType.UINT32]: 4, [GgufValueType.INT32]: 4, [GgufValueType.FLOAT32]: 4, [GgufValueType.BOOL]: 1,
  [GgufValueType.STRING]: 0, [GgufValueType.ARRAY]: 0, [GgufValueType.UINT64]: 8, [GgufValueType.INT64]: 8,
  [GgufValueType.FLOAT64]: 8,
};

export function isValueType(t: number): t is GgufValueType {
  return Number.isInteger(t) && t >= 0 && t <= 12;
}

/** 64-bit integer scalars decode to bigint; every other numeric scalar to number. */
export type GgufScalar = number | bigint | boolean | string;
export type GgufArray =
  | string[] | boolean[] | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array
  | Float32Array | Float64Array | BigUint64Array | BigInt64Array | GgufArray[];
export type GgufValue = GgufScalar | GgufArray;

export interface GgufMetadataEntry {
  key: string;
  type: GgufValueType;
  /** Element type when `type` is ARRAY (ARRAY for nested arrays). */
  arrayType?: GgufValueType;
  value: GgufValue;
}

export interface GgufTensorInfo {
  name: string;
  /** ggml order: dims[0] is the contiguous row length. */
  dims: number[];
  type: GgmlType;
  /** Relative to the start of the data section. */
  offset: number;
  byteSize: number;
  nElements: number;
}

export interface GgufWriteTensor {
  name: string;
  type: GgmlType;
  dims: number[];
  data: Uint8Array;
}

export interface GgufWriteOptions {
  version?: 2 | 3;
  alignment?: number;
  metadata: GgufMetadataEntry[];
  tensors: GgufWriteTensor[];
}

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as little-endian u32
export const GGUF_DEFAULT_ALIGNMENT = 32;
export const GGML_MAX_DIMS = 4;
