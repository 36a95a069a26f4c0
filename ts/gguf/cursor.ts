/**
 * Bounds-checked little-endian reader over a byte buffer. Every read names the field it reads so a
 * failure can say what was being read, where, and why; nothing is allocated before its size is checked
 * against the bytes that remain.
 */
import { IngotError, type IngotErrorCode } from "../errors.ts";

const TWO_32 = 4294967296;
/** u64 counts at or above this are never legitimate: reported as GGUF_LIMIT rather than truncation. */
const ABSURD_COUNT = TWO_32;

export class Cursor {
  pos = 0;
  readonly end: number;
  readonly dv: DataView;

  constructor(readonly bytes: Uint8Array, readonly fileName: string) {
    this.end = bytes.length;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(code: IngotErrorCode, what: string, at: number, detail: string): never {
    throw new IngotError(code, `${what} at offset ${at}: ${detail} (${this.fileName})`);
  }

  /** Throws GGUF_TRUNCATED unless `n` more bytes exist. */
  need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      this.fail("GGUF_TRUNCATED", what, this.pos, `needs ${n} bytes, file ends at ${this.end}`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** u64 as [low, high] 32-bit halves, so huge values can be judged without BigInt or precision loss. */
  u64Parts(what: string): [number, number] {
    this.need(8, what);
    const lo = this.dv.getUint32(this.pos, true);
    const hi = this.dv.getUint32(this.pos + 4, true);
    this.pos += 8;
    return [lo, hi];
  }

  /**
   * A u64 element count or byte length whose elements take at least `minElemSize` bytes each: rejected
   * before anything is allocated if the rest of the file cannot hold that many.
   */
  count(what: string, minElemSize: number): number {
    const at = this.pos;
    const [lo, hi] = this.u64Parts(what);
    if (hi === 0 && lo * minElemSize <= this.end - this.pos) return lo;
    const declared = u64String(lo, hi);
    const need = ((BigInt(hi) << 32n) | BigInt(lo)) * BigInt(minElemSize);
    const detail = `declares ${declared}, which needs at least ${need} bytes, but only ${this.end - this.pos} ` +
      `remain (file ends at ${this.end})`;
    // A plausible count that merely runs past the end means a truncated file; a count no file could
    // hold means corrupt data.
    const absurd = hi * TWO_32 + lo >= ABSURD_COUNT;
    this.fail(absurd ? "GGUF_LIMIT" : "GGUF_TRUNCATED", what, at, detail);
  }
}

export function u64String(lo: number, hi: number): string {
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}
