/**
 * GGUF v2/v3 parser: header, metadata, tensor infos, data-section layout. Pure function of the bytes;
 * every failure is an IngotError naming the field and the byte offset where it was found.
 */
import { Cursor, u64String } from "./cursor.ts";
import {
  GGML_MAX_DIMS, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgufValueType, ggmlTypeInfoOrUndefined, isValueType,
  type GgufMetadataEntry, type GgufTensorInfo, type GgufValue,
} from "./types.ts";
import { readArray, readString, readValue } from "./values.ts";

export interface ParsedGguf {
  version: number;
  alignment: number;
  dataOffset: number;
  entries: GgufMetadataEntry[];
  metadata: Map<string, GgufValue>;
  tensors: GgufTensorInfo[];
}

/** Smallest possible encodings, used to bound the declared counts. */
const MIN_KV_BYTES = 8 + 4 + 1; // key length, value type, 1-byte value
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8; // name length, n_dims, one dim, type, offset

export function parseGguf(bytes: Uint8Array, fileName = "<bytes>"): ParsedGguf {
  const c = new Cursor(bytes, fileName);
  const version = readHeader(c);

  const tensorCount = c.count("tensor count", MIN_TENSOR_INFO_BYTES);
  const kvAt = c.pos;
  const kvCount = c.count("metadata kv count", MIN_KV_BYTES);
  if (kvCount * MIN_KV_BYTES + tensorCount * MIN_TENSOR_INFO_BYTES > c.remaining) {
    c.fail("GGUF_TRUNCATED", "metadata kv count", kvAt,
      `${kvCount} kvs and ${tensorCount} tensor infos need at least ` +
      `${kvCount * MIN_KV_BYTES + tensorCount * MIN_TENSOR_INFO_BYTES} bytes but only ${c.remaining} remain ` +
      `(file ends at ${c.end})`);
  }

  const { entries, metadata, alignment } = readMetadata(c, kvCount);
  const { tensors, offsetAt } = readTensorInfos(c, tensorCount);

  const dataOffset = alignUp(c.pos, alignment);
  checkTensorPlacement(c, tensors, offsetAt, dataOffset, alignment);
  return { version, alignment, dataOffset, entries, metadata, tensors };
}

function readHeader(c: Cursor): number {
  c.need(4, "magic");
  const magic = c.dv.getUint32(0, true);
  if (magic !== GGUF_MAGIC) {
    const shown = [...c.bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const ascii = String.fromCharCode(...c.bytes.subarray(0, 4)).replace(/[^\x20-\x7e]/g, ".");
    const legacy = ["lmgg", "fmgg", "tjgg", "algg"].includes(ascii)
      ? "; this is a pre-GGUF ggml/ggjt file: re-convert it with a current llama.cpp"
      : "";
    c.fail("GGUF_BAD_MAGIC", "magic", 0, `expected "GGUF" (47 47 55 46), found ${shown} "${ascii}"${legacy}`);
  }
  c.pos = 4;
  const version = c.u32("version");
  if (version === 2 || version === 3) return version;
  if (version === 1) {
    c.fail("GGUF_BAD_VERSION", "version", 4,
      "GGUF v1 is not supported (only v2 and v3): re-convert the model with a current llama.cpp");
  }
  if (version === 0x02000000 || version === 0x03000000) {
    c.fail("GGUF_BAD_VERSION", "version", 4, "big-endian GGUF files are not supported");
  }
  c.fail("GGUF_BAD_VERSION", "version", 4, `unsupported GGUF version ${version} (supported: 2, 3)`);
}

function readMetadata(
  c: Cursor, kvCount: number,
): { entries: GgufMetadataEntry[]; metadata: Map<string, GgufValue>; alignment: number } {
  const entries: GgufMetadataEntry[] = new Array(kvCount);
  const metadata = new Map<string, GgufValue>();
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  for (let i = 0; i < kvCount; i++) {
    const keyAt = c.pos;
    const key = readString(c, `metadata #${i} key`);
    const label = `metadata #${i} '${key}'`;
    if (metadata.has(key)) c.fail("GGUF_BAD_VALUE", `${label} key`, keyAt, `duplicate key '${key}'`);
    const typeAt = c.pos;
    const type = c.u32(`${label} value type`);
    if (!isValueType(type)) {
      c.fail("GGUF_UNKNOWN_TYPE", `${label} value type`, typeAt, `unknown GGUF value type ${type} (known: 0-12)`);
    }
    let entry: GgufMetadataEntry;
    const valueAt = c.pos;
    if (type === GgufValueType.ARRAY) {
      const { elemType, value } = readArray(c, label, 0);
      entry = { key, type, arrayType: elemType, value };
    } else {
      entry = { key, type, value: readValue(c, type, label) };
    }
    entries[i] = entry;
    metadata.set(key, entry.value);
    if (key === "general.alignment") alignment = checkAlignment(c, entry, label, typeAt, valueAt);
  }
  return { entries, metadata, alignment };
}

/** general.alignment must be a UINT32 power of two (as llama.cpp requires). */
function checkAlignment(c: Cursor, e: GgufMetadataEntry, label: string, typeAt: number, valueAt: number): number {
  if (e.type !== GgufValueType.UINT32) {
    c.fail("GGUF_BAD_VALUE", `${label} value type`, typeAt, `must be UINT32, found ${GgufValueType[e.type]}`);
  }
  const a = e.value as number;
  if (a === 0 || (a & (a - 1)) !== 0) c.fail("GGUF_BAD_VALUE", `${label} value`, valueAt, `${a} is not a power of two`);
  return a;
}

function readTensorInfos(c: Cursor, tensorCount: number): { tensors: GgufTensorInfo[]; offsetAt: number[] } {
  const tensors: GgufTensorInfo[] = new Array(tensorCount);
  const offsetAt: number[] = new Array(tensorCount);
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const nameAt = c.pos;
    const name = readString(c, `tensor info #${i} name`);
    const label = `tensor info #${i} '${name}'`;
    if (names.has(name)) c.fail("GGUF_BAD_TENSOR", `${label} name`, nameAt, `duplicate tensor name '${name}'`);
    names.add(name);

    const nDimsAt = c.pos;
    const nDims = c.u32(`${label} n_dims`);
    if (nDims === 0 || nDims > GGML_MAX_DIMS) {
      c.fail("GGUF_BAD_TENSOR", `${label} n_dims`, nDimsAt, `${nDims} dimensions (must be 1-${GGML_MAX_DIMS})`);
    }
    const dimsAt = c.pos;
    c.need(8 * nDims, `${label} dims`);
    const dims: number[] = new Array(nDims);
    let nElements = 1;
    for (let d = 0; d < nDims; d++) {
      const [lo, hi] = c.u64Parts(`${label} dims[${d}]`);
      const bad = hi >= 0x80000000 ? "is negative as int64"
        : lo === 0 && hi === 0 ? "is zero"
        : hi >= 0x200000 ? "exceeds 2^53" : "";
      if (bad) c.fail("GGUF_BAD_TENSOR", `${label} dims[${d}]`, dimsAt + 8 * d, `dimension ${u64String(lo, hi)} ${bad}`);
      dims[d] = hi * 4294967296 + lo;
      nElements *= dims[d]!;
      if (!Number.isSafeInteger(nElements)) {
        c.fail("GGUF_BAD_TENSOR", `${label} dims`, dimsAt, `element count of dims [${dims.slice(0, d + 1).join(", ")}] overflows 2^53`);
      }
    }

    const typeAt = c.pos;
    const type = c.u32(`${label} type`);
    const info = ggmlTypeInfoOrUndefined(type);
    if (!info) c.fail("GGUF_UNKNOWN_TYPE", `${label} type`, typeAt, `unknown ggml tensor type id ${type}`);
    if (dims[0]! % info.blockSize !== 0) {
      c.fail("GGUF_BAD_TENSOR", `${label} dims[0]`, dimsAt,
        `row length ${dims[0]} is not a multiple of the ${info.name} block size ${info.blockSize}`);
    }
    const byteSize = (nElements / info.blockSize) * info.typeSize;
    if (!Number.isSafeInteger(byteSize)) {
      c.fail("GGUF_BAD_TENSOR", `${label} dims`, dimsAt, `byte size of dims [${dims.join(", ")}] overflows 2^53`);
    }

    offsetAt[i] = c.pos;
    const [lo, hi] = c.u64Parts(`${label} offset`);
    if (hi >= 0x200000) {
      c.fail("GGUF_BAD_TENSOR", `${label} offset`, offsetAt[i]!, `data offset ${u64String(lo, hi)} is past the end of the file (${c.end} bytes)`);
    }
    tensors[i] = { name, dims, type, offset: hi * 4294967296 + lo, byteSize, nElements };
  }
  return { tensors, offsetAt };
}

/** Offsets must be aligned and every tensor's bytes inside the file; overlapping tensors are allowed. */
function checkTensorPlacement(
  c: Cursor, tensors: GgufTensorInfo[], offsetAt: number[], dataOffset: number, alignment: number,
): void {
  const dataLength = c.end - dataOffset;
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i]!;
    const what = `tensor info #${i} '${t.name}' offset`;
    if (t.offset % alignment !== 0) {
      c.fail("GGUF_BAD_TENSOR", what, offsetAt[i]!, `data offset ${t.offset} is not a multiple of the alignment ${alignment}`);
    }
    if (t.offset + t.byteSize > dataLength) {
      const start = dataOffset + t.offset;
      const detail = `data [${start}, ${start + t.byteSize}) (${t.byteSize} bytes at data offset ${t.offset}) ` +
        `ends past the end of the file at ${c.end}`;
      // Starting inside (or right at the end of) the file: the file was cut short. Starting far beyond: corrupt offset.
      const truncated = t.offset < dataLength + alignment;
      c.fail(truncated ? "GGUF_TRUNCATED" : "GGUF_BAD_TENSOR", what, offsetAt[i]!, detail);
    }
  }
}

export function alignUp(n: number, alignment: number): number {
  const r = n % alignment;
  return r === 0 ? n : n + (alignment - r);
}
