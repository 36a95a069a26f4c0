/**
 * Token → bytes (llama.cpp's token_to_piece) and the byte-level clean-up llama_detokenize applies to BPE
 * vocabularies with clean_spaces. The clean-up is written as three chained streaming passes so that the
 * stream decoder and decode() produce the same bytes.
 */
import { charToByte } from "./bytes-unicode.ts";
import { codepoints, utf8 } from "./unicode.ts";
import { Attr, type Vocab } from "./vocab.ts";

const EMPTY = new Uint8Array(0);

/** Raw bytes of each token's text as llama.cpp renders it with special = true. */
export function buildPieces(vocab: Vocab): Uint8Array[] {
  const pieces: Uint8Array[] = new Array(vocab.size);
  const rendered = Attr.UNKNOWN | Attr.CONTROL | Attr.USER_DEFINED;
  for (let id = 0; id < vocab.size; id++) {
    const text = vocab.tokens[id]!;
    const attr = vocab.attrs[id]!;
    if (attr & rendered) pieces[id] = utf8(text);
    else if (attr & Attr.NORMAL) pieces[id] = vocab.kind === "spm" ? utf8(text.replaceAll("\u2581", " ")) : bpeTextToBytes(text);
    else if (attr & Attr.BYTE) pieces[id] = Uint8Array.of(parseInt(text.slice(3, 5), 16) & 0xff);
    else pieces[id] = EMPTY;
  }
  return pieces;
}

/** Undo the GPT-2 byte encoding; characters outside it become llama.cpp's "[UNK_BYTE_0x..]" marker. */
function bpeTextToBytes(text: string): Uint8Array {
  const out: number[] = [];
  for (const cp of codepoints(text)) {
    const b = charToByte(cp);
    if (b >= 0) {
      out.push(b);
      continue;
    }
    const ch = utf8(String.fromCodePoint(cp));
    const marker = `[UNK_BYTE_0x${Array.from(ch, (x) => x.toString(16).padStart(2, "0")).join("")}${text}]`;
    out.push(...utf8(marker));
  }
  return Uint8Array.from(out);
}

const SP = 0x20, APOS = 0x27;
const isEndPunct = (c: number) => c === 0x3f || c === 0x21 || c === 0x2e || c === 0x2c; // ? ! . ,

/**
 * One pass of llama.cpp's clean-up, streamed. Each pass scans its input once; position i may delete the
 * previously written byte (always a space) after looking at up to two bytes ahead. A pending byte is held
 * back only while a later byte could still delete it, so output is never later than it must be.
 */
class CleanPass {
  private readonly queue: number[] = [];
  private prev = -1;
  private held = -1;
  private started = false;

  constructor(private readonly kind: 1 | 2 | 3, private readonly emit: (b: number) => void) {}

  push(b: number): void {
    this.queue.push(b);
    this.run(false);
  }

  end(): void {
    this.run(true);
    if (this.held >= 0) this.emit(this.held);
    this.held = -1;
  }

  private run(final: boolean): void {
    const q = this.queue;
    while (q.length > 0) {
      const x = q[0]!;
      if (!this.started) {
        this.started = true;
        q.shift();
        this.prev = x;
        this.hold(x);
        continue;
      }
      let pop = false;
      let skip = false;
      if (this.kind === 1) {
        pop = this.prev === SP && isEndPunct(x);
      } else if (this.kind === 2) {
        if (x === APOS && this.prev === SP) {
          if (q.length < 2 && !final) return; // need the next byte
          if (q.length >= 2 && q[1] === SP) pop = skip = true;
        }
      } else if (this.prev === SP && x === APOS) {
        if (q.length < 2 && !final) return;
        if (q.length >= 2) {
          const x1 = q[1]!;
          if (x1 === 0x73 || x1 === 0x6d) pop = true; // 's 'm
          else if (x1 !== 0x74 && x1 !== 0x64) { // not 't 'd
            if (q.length < 3 && !final) return;
            if (q.length >= 3) {
              const x2 = q[2]!;
              pop = (x1 === 0x72 && x2 === 0x65) || (x1 === 0x76 && x2 === 0x65); // 're 've
            }
          }
        }
      }
      q.shift();
      if (pop) this.held = -1;
      this.hold(x);
      if (skip) {
        q.shift();
        this.prev = 0;
      } else this.prev = x;
    }
  }

  /** Release the held byte and hold `x`; only a space can be deleted later, so others go out at once. */
  private hold(x: number): void {
    if (this.held >= 0) this.emit(this.held);
    this.held = -1;
    if (x === SP) this.held = x;
    else this.emit(x);
  }
}

/**
 * The same clean-up over a whole buffer, as llama_detokenize runs it: three in-place passes (decode()
 * uses this; the stream decoder uses SpaceCleaner; tests hold both to the same oracle).
 */
export function cleanSpaces(input: Uint8Array): Uint8Array {
  const t = input.slice();
  // pass 1: " ?", " !", " .", " ," lose the space
  let n = t.length;
  let w = n ? 1 : 0;
  for (let i = 1; i < n; i++) {
    const x = t[i]!;
    if (t[i - 1] === SP && isEndPunct(x)) w--;
    t[w++] = x;
  }
  // pass 2: " ' " becomes "'"
  n = w;
  w = n ? 1 : 0;
  for (let i = 1; i < n; i++) {
    const x = t[i]!;
    if (x === APOS && i + 1 < n && t[i - 1] === SP && t[i + 1] === SP) {
      w--;
      t[++i] = 0;
    }
    t[w++] = x;
  }
  // pass 3: " 's", " 'm", " 're", " 've" lose the space
  n = w;
  w = n ? 1 : 0;
  for (let i = 1; i < n; i++) {
    const x = t[i]!;
    if (t[i - 1] === SP && x === APOS && i + 1 < n) {
      const x1 = t[i + 1]!;
      if (x1 === 0x73 || x1 === 0x6d) w--;
      else if (x1 !== 0x74 && x1 !== 0x64 && i + 2 < n) {
        const x2 = t[i + 2]!;
        if ((x1 === 0x72 && x2 === 0x65) || (x1 === 0x76 && x2 === 0x65)) w--;
      }
    }
    t[w++] = x;
  }
  return t.subarray(0, w);
}

/** Streaming clean-up: push bytes, collect output bytes with take(). */
export class SpaceCleaner {
  private readonly out: number[] = [];
  private readonly p1: CleanPass;
  private readonly p2: CleanPass;
  private readonly p3: CleanPass;

  constructor() {
    this.p3 = new CleanPass(3, (b) => this.out.push(b));
    this.p2 = new CleanPass(2, (b) => this.p3.push(b));
    this.p1 = new CleanPass(1, (b) => this.p2.push(b));
  }

  push(bytes: Uint8Array): void {
    for (const b of bytes) this.p1.push(b);
  }

  end(): void {
    this.p1.end();
    this.p2.end();
    this.p3.end();
  }

  take(): Uint8Array {
    const r = Uint8Array.from(this.out);
    this.out.length = 0;
    return r;
  }
}
