/**
 * GGUF writer following llama.cpp's layout conventions, so re-encoding a file llama.cpp wrote gives
 * the same bytes: header, metadata, tensor infos, zero padding to the alignment, then each tensor's
 * data followed by zero padding to the alignment (the last tensor included). A file without tensors
 * has no data section and no padding.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { IngotError } from "../errors.ts";
import { alignUp } from "./reader.ts";
import {
  GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgufValueType, tensorByteSize,
  type GgufMetadataEntry, type GgufWriteOptions,
} from "./types.ts";
import { checkValue, inferArrayType, valueSize, writeValue } from "./encode-values.ts";

export interface EncodedHeader {
  /** Everything before the data section, padding included. */
  header: Uint8Array;
  alignment: number;
  /** Data-section offset of each tensor, in input order. */
  offsets: number[];
  /** Size of the whole file. */
  totalSize: number;
}

/** Encodes header, metadata and tensor infos, validating every entry and tensor first. */
export function encodeGgufHeader(opts: GgufWriteOptions): EncodedHeader {
  const version = opts.version ?? 3;
  if (version !== 2 && version !== 3) throw new IngotError("BAD_ARGUMENT", `cannot write GGUF version ${version} (2 or 3)`);
  const { entries, alignment } = resolveAlignment(opts);

  let size = 4 + 4 + 8 + 8;
  const keys = new Set<string>();
  const arrayTypes: (GgufValueType | undefined)[] = [];
  for (const e of entries) {
    if (keys.has(e.key)) throw new IngotError("GGUF_BAD_VALUE", `metadata '${e.key}': duplicate key`);
    keys.add(e.key);
    const arrayType = e.type === GgufValueType.ARRAY ? (e.arrayType ?? inferArrayType(e.value, e.key)) : undefined;
    arrayTypes.push(arrayType);
    checkValue(e.key, e.type, arrayType, e.value);
    size += 8 + Buffer.byteLength(e.key, "utf8") + 4 + valueSize(e.type, arrayType, e.value);
  }

  const names = new Set<string>();
  const offsets: number[] = [];
  let dataSize = 0;
  for (const t of opts.tensors) {
    if (names.has(t.name)) throw new IngotError("BAD_ARGUMENT", `tensor '${t.name}': duplicate name`);
    names.add(t.name);
    if (t.dims.length === 0 || t.dims.length > 4) {
      throw new IngotError("BAD_ARGUMENT", `tensor '${t.name}': ${t.dims.length} dims (must be 1-4)`);
    }
    let expected: number;
    try {
      expected = tensorByteSize(t.type, t.dims);
    } catch (err) {
      throw new IngotError((err as IngotError).code ?? "BAD_ARGUMENT", `tensor '${t.name}': ${(err as Error).message}`);
    }
    if (t.data.length !== expected) {
      throw new IngotError("BAD_ARGUMENT",
        `tensor '${t.name}': data has ${t.data.length} bytes, dims [${t.dims.join(", ")}] need ${expected}`);
    }
    offsets.push(dataSize);
    dataSize = alignUp(dataSize + expected, alignment);
    size += 8 + Buffer.byteLength(t.name, "utf8") + 4 + 8 * t.dims.length + 4 + 8;
  }
  // Vocabulary-only files (no tensors, hence no data section) end right after the metadata, as
  // llama.cpp's convert script writes them; otherwise the data section starts aligned.
  const headerSize = opts.tensors.length === 0 ? size : alignUp(size, alignment);

  const header = new Uint8Array(headerSize); // zero-filled: the padding is zeros
  const w = { buf: Buffer.from(header.buffer, header.byteOffset, header.byteLength), dv: new DataView(header.buffer), pos: 0 };
  w.dv.setUint32(0, GGUF_MAGIC, true);
  w.dv.setUint32(4, version, true);
  w.dv.setBigUint64(8, BigInt(opts.tensors.length), true);
  w.dv.setBigUint64(16, BigInt(entries.length), true);
  w.pos = 24;
  entries.forEach((e, i) => {
    writeValue(w, GgufValueType.STRING, undefined, e.key);
    w.dv.setUint32(w.pos, e.type, true);
    w.pos += 4;
    writeValue(w, e.type, arrayTypes[i], e.value);
  });
  opts.tensors.forEach((t, i) => {
    writeValue(w, GgufValueType.STRING, undefined, t.name);
    w.dv.setUint32(w.pos, t.dims.length, true);
    w.pos += 4;
    for (const d of t.dims) {
      w.dv.setBigUint64(w.pos, BigInt(d), true);
      w.pos += 8;
    }
    w.dv.setUint32(w.pos, t.type, true);
    w.dv.setBigUint64(w.pos + 4, BigInt(offsets[i]!), true);
    w.pos += 12;
  });
  if (w.pos !== size) throw new Error(`internal: GGUF header size ${w.pos} != computed ${size}`);
  return { header, alignment, offsets, totalSize: headerSize + dataSize };
}

/** Whole file in memory. Default version 3, alignment 32 (or general.alignment when present). */
export function encodeGguf(opts: GgufWriteOptions): Uint8Array {
  const { header, offsets, totalSize } = encodeGgufHeader(opts);
  const out = new Uint8Array(totalSize);
  out.set(header, 0);
  opts.tensors.forEach((t, i) => out.set(t.data, header.length + offsets[i]!));
  return out;
}

/**
 * Streams the file to a temporary sibling, fsyncs it and renames it over `path`, so readers never see
 * (and a crash never leaves) a half-written file.
 */
export function writeGguf(path: string, opts: GgufWriteOptions): void {
  const { header, alignment, offsets, totalSize } = encodeGgufHeader(opts);
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now().toString(36)}`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "w");
    writeAll(fd, header);
    const zeros = new Uint8Array(alignment);
    let pos = header.length;
    opts.tensors.forEach((t, i) => {
      const start = header.length + offsets[i]!;
      if (start > pos) writeAll(fd!, zeros.subarray(0, start - pos));
      writeAll(fd!, t.data);
      pos = start + t.data.length;
    });
    if (totalSize > pos) writeAll(fd, zeros.subarray(0, totalSize - pos));
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    if (err instanceof IngotError) throw err;
    throw new IngotError("BAD_ARGUMENT", `cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

/** Picks the alignment and makes sure the file records it when it is not the default. */
function resolveAlignment(opts: GgufWriteOptions): { entries: GgufMetadataEntry[]; alignment: number } {
  const meta = opts.metadata.find((e) => e.key === "general.alignment");
  let alignment = opts.alignment;
  if (meta) {
    if (meta.type !== GgufValueType.UINT32 || typeof meta.value !== "number") {
      throw new IngotError("GGUF_BAD_VALUE", "metadata 'general.alignment': must be a UINT32 number");
    }
    if (alignment !== undefined && alignment !== meta.value) {
      throw new IngotError("BAD_ARGUMENT",
        `alignment ${alignment} contradicts metadata 'general.alignment' = ${meta.value}`);
    }
    alignment = meta.value;
  }
  alignment ??= GGUF_DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment > 0x80000000 || (alignment & (alignment - 1)) !== 0) {
    throw new IngotError("BAD_ARGUMENT", `alignment ${alignment} is not a power of two`);
  }
  if (meta || alignment === GGUF_DEFAULT_ALIGNMENT) return { entries: opts.metadata, alignment };
  // A reader only knows a non-default alignment from general.alignment: record it.
  const added: GgufMetadataEntry = { key: "general.alignment", type: GgufValueType.UINT32, value: alignment };
  return { entries: [...opts.metadata, added], alignment };
}
