/**
 * Validation, sizing and encoding of GGUF metadata values for the writer. Values are checked against
 * their declared type up front so a bad entry fails before anything is written.
 */
import { IngotError } from "../errors.ts";
import { GgufValueType, VALUE_TYPE_SIZE, type GgufValue } from "./types.ts";

export interface ValueWriter {
  buf: Buffer;
  dv: DataView;
  pos: number;
}

type Numeric = ArrayLike<number | bigint>;

const INT_RANGE: Partial<Record<GgufValueType, [number, number]>> = {
  [GgufValueType.UINT8]: [0, 0xff], [GgufValueType.INT8]: [-0x80, 0x7f],
  [GgufValueType.UINT16]: [0, 0xffff], [GgufValueType.INT16]: [-0x8000, 0x7fff],
  [GgufValueType.UINT32]: [0, 0xffffffff], [GgufValueType.INT32]: [-0x80000000, 0x7fffffff],
};

function bad(key: string, msg: string): never {
  throw new IngotError("GGUF_BAD_VALUE", `metadata '${key}': ${msg}`);
}

/** Element type of an array value, from its JS representation (typed-array class or first element). */
export function inferArrayType(v: GgufValue, key: string): GgufValueType {
  if (v instanceof Uint8Array) return GgufValueType.UINT8;
  if (v instanceof Int8Array) return GgufValueType.INT8;
  if (v instanceof Uint16Array) return GgufValueType.UINT16;
  if (v instanceof Int16Array) return GgufValueType.INT16;
  if (v instanceof Uint32Array) return GgufValueType.UINT32;
  if (v instanceof Int32Array) return GgufValueType.INT32;
  if (v instanceof Float32Array) return GgufValueType.FLOAT32;
  if (v instanceof Float64Array) return GgufValueType.FLOAT64;
  if (v instanceof BigUint64Array) return GgufValueType.UINT64;
  if (v instanceof BigInt64Array) return GgufValueType.INT64;
  if (Array.isArray(v)) {
    // An empty plain array carries no element type; STRING is as good as any and reads back as [].
    if (v.length === 0 || typeof v[0] === "string") return GgufValueType.STRING;
    if (typeof v[0] === "boolean") return GgufValueType.BOOL;
    if (typeof v[0] === "object") return GgufValueType.ARRAY;
  }
  bad(key, "cannot tell the array element type: give arrayType");
}

function isNumericArray(v: unknown): v is Numeric {
  return (ArrayBuffer.isView(v) && !(v instanceof DataView)) || Array.isArray(v);
}

function checkScalar(key: string, type: GgufValueType, v: unknown): void {
  const range = INT_RANGE[type];
  if (range) {
    if (typeof v !== "number" || !Number.isInteger(v) || v < range[0] || v > range[1]) {
      bad(key, `${String(v)} is not a ${GgufValueType[type]}`);
    }
    return;
  }
  switch (type) {
    case GgufValueType.FLOAT32:
    case GgufValueType.FLOAT64:
      if (typeof v !== "number") bad(key, `${String(v)} is not a number`);
      return;
    case GgufValueType.UINT64:
    case GgufValueType.INT64: {
      const big = typeof v === "bigint" ? v : typeof v === "number" && Number.isSafeInteger(v) ? BigInt(v) : undefined;
      if (big === undefined) bad(key, `${String(v)} is not a ${GgufValueType[type]}`);
      const ok = type === GgufValueType.UINT64 ? big >= 0n && big < 1n << 64n : big >= -(1n << 63n) && big < 1n << 63n;
      if (!ok) bad(key, `${big} is out of ${GgufValueType[type]} range`);
      return;
    }
    case GgufValueType.BOOL:
      if (typeof v !== "boolean") bad(key, `${String(v)} is not a bool`);
      return;
    case GgufValueType.STRING:
      if (typeof v !== "string") bad(key, `${String(v)} is not a string`);
      return;
    default:
      bad(key, `unknown value type ${type}`);
  }
}

/** Throws GGUF_BAD_VALUE unless `v` can be encoded as `type` (with `arrayType` elements). */
export function checkValue(key: string, type: GgufValueType, arrayType: GgufValueType | undefined, v: GgufValue, depth = 0): void {
  if (type !== GgufValueType.ARRAY) return checkScalar(key, type, v);
  if (depth >= 8) bad(key, "arrays nested too deeply");
  if (arrayType === undefined) bad(key, "array without element type");
  if (arrayType === GgufValueType.ARRAY) {
    if (!Array.isArray(v)) bad(key, "nested array value must be an array of arrays");
    for (const inner of v as GgufValue[]) checkValue(key, type, inferArrayType(inner, key), inner, depth + 1);
    return;
  }
  if (arrayType === GgufValueType.STRING || arrayType === GgufValueType.BOOL) {
    if (!Array.isArray(v)) bad(key, `array of ${GgufValueType[arrayType]} must be a plain array`);
    for (const x of v as unknown[]) checkScalar(key, arrayType, x);
    return;
  }
  if (!isNumericArray(v)) bad(key, `array of ${GgufValueType[arrayType]} must be a typed or plain array`);
  if (sameRepresentation(arrayType, v)) return; // typed array of exactly this type: always valid
  for (let i = 0; i < v.length; i++) checkScalar(key, arrayType, v[i]);
}

/** True when `v` is the typed array whose bytes are already the encoding of `t` elements. */
function sameRepresentation(t: GgufValueType, v: unknown): boolean {
  switch (t) {
    case GgufValueType.UINT8: return v instanceof Uint8Array;
    case GgufValueType.INT8: return v instanceof Int8Array;
    case GgufValueType.UINT16: return v instanceof Uint16Array;
    case GgufValueType.INT16: return v instanceof Int16Array;
    case GgufValueType.UINT32: return v instanceof Uint32Array;
    case GgufValueType.INT32: return v instanceof Int32Array;
    case GgufValueType.FLOAT32: return v instanceof Float32Array;
    case GgufValueType.FLOAT64: return v instanceof Float64Array;
    case GgufValueType.UINT64: return v instanceof BigUint64Array;
    case GgufValueType.INT64: return v instanceof BigInt64Array;
    default: return false;
  }
}

/** Encoded size of a (checked) value, excluding its type tag. */
export function valueSize(type: GgufValueType, arrayType: GgufValueType | undefined, v: GgufValue): number {
  if (type === GgufValueType.STRING) return 8 + Buffer.byteLength(v as string, "utf8");
  if (type !== GgufValueType.ARRAY) return VALUE_TYPE_SIZE[type];
  const items = v as ArrayLike<unknown>;
  let size = 4 + 8;
  if (arrayType === GgufValueType.STRING) {
    for (const s of v as string[]) size += 8 + Buffer.byteLength(s, "utf8");
  } else if (arrayType === GgufValueType.ARRAY) {
    for (const inner of v as GgufValue[]) size += valueSize(GgufValueType.ARRAY, inferArrayType(inner, ""), inner);
  } else {
    size += items.length * VALUE_TYPE_SIZE[arrayType!];
  }
  return size;
}

function writeScalar(w: ValueWriter, type: GgufValueType, v: unknown): void {
  const { dv } = w;
  switch (type) {
    case GgufValueType.UINT8: dv.setUint8(w.pos, v as number); break;
    case GgufValueType.INT8: dv.setInt8(w.pos, v as number); break;
    case GgufValueType.UINT16: dv.setUint16(w.pos, v as number, true); break;
    case GgufValueType.INT16: dv.setInt16(w.pos, v as number, true); break;
    case GgufValueType.UINT32: dv.setUint32(w.pos, v as number, true); break;
    case GgufValueType.INT32: dv.setInt32(w.pos, v as number, true); break;
    case GgufValueType.FLOAT32: dv.setFloat32(w.pos, v as number, true); break;
    case GgufValueType.FLOAT64: dv.setFloat64(w.pos, v as number, true); break;
    case GgufValueType.UINT64: dv.setBigUint64(w.pos, BigInt(v as number | bigint), true); break;
    case GgufValueType.INT64: dv.setBigInt64(w.pos, BigInt(v as number | bigint), true); break;
    case GgufValueType.BOOL: dv.setUint8(w.pos, v ? 1 : 0); break;
    case GgufValueType.STRING: {
      const len = w.buf.write(v as string, w.pos + 8, "utf8");
      dv.setBigUint64(w.pos, BigInt(len), true);
      w.pos += 8 + len;
      return;
    }
    default: throw new Error(`internal: writeScalar of ${type}`);
  }
  w.pos += VALUE_TYPE_SIZE[type];
}

/** Writes a (checked, sized) value at w.pos, excluding its type tag. */
export function writeValue(w: ValueWriter, type: GgufValueType, arrayType: GgufValueType | undefined, v: GgufValue): void {
  if (type !== GgufValueType.ARRAY) return writeScalar(w, type, v);
  const items = v as ArrayLike<unknown>;
  w.dv.setUint32(w.pos, arrayType!, true);
  w.dv.setBigUint64(w.pos + 4, BigInt(items.length), true);
  w.pos += 12;
  if (arrayType === GgufValueType.ARRAY) {
    for (const inner of v as GgufValue[]) writeValue(w, GgufValueType.ARRAY, inferArrayType(inner, ""), inner);
  } else if (sameRepresentation(arrayType!, v)) {
    // Host is little-endian (as GGUF): copy the typed array's bytes in one go.
    const view = v as ArrayBufferView;
    const raw = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    w.buf.set(raw, w.pos);
    w.pos += raw.length;
  } else {
    for (let i = 0; i < items.length; i++) writeScalar(w, arrayType!, items[i]);
  }
}
