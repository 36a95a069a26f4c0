/**
 * An opened GGUF file: parsed metadata and tensor table over a zero-copy mapping of the whole file,
 * with typed accessors that name the key when a value is missing or of the wrong type.
 */
import { openSync, closeSync, readSync, statSync } from "node:fs";
import { IngotError } from "../errors.ts";
import { parseGguf } from "./reader.ts";
import {
  GgufValueType, type GgufArray, type GgufMetadataEntry, type GgufTensorInfo, type GgufValue,
} from "./types.ts";

export class GgufFile {
  readonly path: string;
  readonly version: number;
  readonly alignment: number;
  readonly dataOffset: number;
  readonly fileSize: number;
  /** The whole file (a read-only-in-spirit mapping: writing to it is copy-on-write, never reaches disk). */
  readonly bytes: Uint8Array;
  readonly metadata: Map<string, GgufValue>;
  readonly entries: GgufMetadataEntry[];
  readonly tensors: GgufTensorInfo[];
  private readonly byName: Map<string, GgufTensorInfo>;
  private readonly typeByKey: Map<string, GgufMetadataEntry>;

  private constructor(bytes: Uint8Array, path: string) {
    const p = parseGguf(bytes, path);
    this.path = path;
    this.bytes = bytes;
    this.fileSize = bytes.length;
    this.version = p.version;
    this.alignment = p.alignment;
    this.dataOffset = p.dataOffset;
    this.metadata = p.metadata;
    this.entries = p.entries;
    this.tensors = p.tensors;
    this.byName = new Map(p.tensors.map((t) => [t.name, t]));
    this.typeByKey = new Map(p.entries.map((e) => [e.key, e]));
  }

  /** Maps the file (zero-copy). FILE_NOT_FOUND if it does not exist. */
  static open(path: string): GgufFile {
    return new GgufFile(mapFile(path), path);
  }

  static fromBytes(bytes: Uint8Array, name = "<bytes>"): GgufFile {
    return new GgufFile(bytes, name);
  }

  tensor(name: string): GgufTensorInfo | undefined {
    return this.byName.get(name);
  }

  /** Zero-copy view of a tensor's bytes (bounds were checked when the file was opened). */
  tensorData(t: GgufTensorInfo): Uint8Array {
    const start = this.dataOffset + t.offset;
    if (!(t.offset >= 0) || start + t.byteSize > this.fileSize) {
      throw new IngotError("BAD_ARGUMENT", `tensor '${t.name}' does not lie inside ${this.path}`);
    }
    return this.bytes.subarray(start, start + t.byteSize);
  }

  has(key: string): boolean {
    return this.metadata.has(key);
  }

  getString(key: string): string | undefined {
    const v = this.metadata.get(key);
    if (v === undefined || typeof v === "string") return v;
    throw this.wrongType(key, "a string");
  }

  requireString(key: string): string {
    return this.getString(key) ?? this.missing(key, "string");
  }

  /** Any numeric scalar; 64-bit integers are converted when they fit a safe integer. */
  getNumber(key: string): number | undefined {
    const v = this.metadata.get(key);
    if (v === undefined || typeof v === "number") return v;
    if (typeof v === "bigint") {
      const n = Number(v);
      if (Number.isSafeInteger(n)) return n;
      throw new IngotError("GGUF_BAD_VALUE", `metadata '${key}': ${v} does not fit a safe integer (${this.path})`);
    }
    throw this.wrongType(key, "a number");
  }

  requireNumber(key: string): number {
    return this.getNumber(key) ?? this.missing(key, "number");
  }

  getBool(key: string): boolean | undefined {
    const v = this.metadata.get(key);
    if (v === undefined || typeof v === "boolean") return v;
    throw this.wrongType(key, "a bool");
  }

  getArray(key: string): GgufArray | undefined {
    const v = this.metadata.get(key);
    if (v === undefined || typeof v === "object") return v;
    throw this.wrongType(key, "an array");
  }

  getStringArray(key: string): string[] | undefined {
    const e = this.typeByKey.get(key);
    if (!e) return undefined;
    if (e.type === GgufValueType.ARRAY && e.arrayType === GgufValueType.STRING) return e.value as string[];
    throw this.wrongType(key, "an array of strings");
  }

  /** Float32 array, converted from any other numeric array if needed. */
  getFloat32Array(key: string): Float32Array | undefined {
    const v = this.numericArray(key, "an array of numbers");
    if (v === undefined || v instanceof Float32Array) return v;
    const out = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = Number(v[i]!);
    return out;
  }

  /** Int32 array, converted from any other numeric array whose values are integers in int32 range. */
  getInt32Array(key: string): Int32Array | undefined {
    const v = this.numericArray(key, "an array of integers");
    if (v === undefined || v instanceof Int32Array) return v;
    const out = new Int32Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = Number(v[i]!);
      if (!Number.isInteger(x) || x < -2147483648 || x > 2147483647) {
        throw new IngotError("GGUF_BAD_VALUE", `metadata '${key}'[${i}]: ${v[i]} is not an int32 (${this.path})`);
      }
      out[i] = x;
    }
    return out;
  }

  /** general.architecture, e.g. "llama"; GGUF_MISSING_KEY if absent. */
  architecture(): string {
    return this.requireString("general.architecture");
  }

  private numericArray(key: string, want: string): ArrayLike<number | bigint> | undefined {
    const v = this.metadata.get(key);
    if (v === undefined) return undefined;
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v as ArrayLike<number | bigint>;
    throw this.wrongType(key, want);
  }

  private wrongType(key: string, want: string): IngotError {
    const e = this.typeByKey.get(key)!;
    const found = e.type === GgufValueType.ARRAY ? `ARRAY of ${GgufValueType[e.arrayType!]}` : GgufValueType[e.type];
    return new IngotError("GGUF_BAD_VALUE", `metadata '${key}': expected ${want}, found ${found} (${this.path})`);
  }

  private missing(key: string, want: string): never {
    throw new IngotError("GGUF_MISSING_KEY", `metadata key '${key}' (${want}) is missing from ${this.path}`);
  }
}

/**
 * Private (copy-on-write) mapping so a stray write to a tensor view can never modify the model on
 * disk. Falls back to reading the file when mapping is impossible (empty file, special files, EACCES).
 */
function mapFile(path: string): Uint8Array {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new IngotError("BAD_ARGUMENT", `${path} is a directory, not a GGUF file`);
    size = st.size;
  } catch (e) {
    if (e instanceof IngotError) throw e;
    const code = (e as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new IngotError("FILE_NOT_FOUND", `no such file: ${path}`);
    throw new IngotError("BAD_ARGUMENT", `cannot open ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (size === 0) return new Uint8Array(0);
  try {
    return Bun.mmap(path, { shared: false });
  } catch {
    return readWhole(path, size);
  }
}

function readWhole(path: string, size: number): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const out = new Uint8Array(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, out, got, size - got, got);
      if (n <= 0) break;
      got += n;
    }
    return out.subarray(0, got);
  } catch (e) {
    throw new IngotError("BAD_ARGUMENT", `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  } finally {
    closeSync(fd);
  }
}
