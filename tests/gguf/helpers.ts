/** Test helpers: a raw little-endian GGUF byte builder (can express malformed files the writer refuses). */
import { join } from "node:path";
import { IngotError } from "../../ts/errors.ts";
import { GgufFile } from "../../ts/gguf/index.ts";

export const DRAFT = join(import.meta.dir, "../../models/kjv-draft-q8_0.gguf");

export class Raw {
  private parts: number[] = [];
  u8(v: number): this { this.parts.push(v & 0xff); return this; }
  u32(v: number): this { for (let i = 0; i < 4; i++) this.parts.push((v >>> (8 * i)) & 0xff); return this; }
  u64(v: number | bigint): this {
    let b = BigInt.asUintN(64, BigInt(v));
    for (let i = 0; i < 8; i++) { this.parts.push(Number(b & 0xffn)); b >>= 8n; }
    return this;
  }
  bytes(b: ArrayLike<number>): this { for (let i = 0; i < b.length; i++) this.parts.push(b[i]!); return this; }
  str(s: string): this { const b = new TextEncoder().encode(s); return this.u64(b.length).bytes(b); }
  /** GGUF header: magic, version, tensor count, kv count. */
  header(tensors: number | bigint, kvs: number | bigint, version = 3): this {
    return this.bytes([0x47, 0x47, 0x55, 0x46]).u32(version).u64(tensors).u64(kvs);
  }
  padTo(alignment: number): this { while (this.parts.length % alignment) this.parts.push(0); return this; }
  zeros(n: number): this { for (let i = 0; i < n; i++) this.parts.push(0); return this; }
  get length(): number { return this.parts.length; }
  build(): Uint8Array { return new Uint8Array(this.parts); }
}

/** Parses and returns the IngotError it must throw (fails the test on success or on any other error). */
export function parseError(bytes: Uint8Array): IngotError {
  try {
    GgufFile.fromBytes(bytes, "test.gguf");
  } catch (e) {
    if (e instanceof IngotError) return e;
    throw new Error(`expected IngotError, got ${String(e)}`);
  }
  throw new Error("expected the parse to fail, it succeeded");
}
