/**
 * SentencePiece-style (llama.cpp "SPM") encoding: start from single characters and repeatedly merge the
 * adjacent pair whose concatenation is the highest-scoring vocabulary entry (ties: leftmost first).
 * Characters left that are not tokens are spelled with byte tokens <0xXX>.
 *
 * llama.cpp runs the merge loop over a whole text fragment at once. When no vocabulary entry contains
 * "▁" right after another character (true of Llama/Phi-3 vocabularies), no merge can cross the start of
 * a "▁"-prefixed word, and merges in separate words never interact, so we encode word by word with a
 * cache — same result, far less work.
 */
import { IngotError } from "../errors.ts";
import { Heap } from "./heap.ts";
import { utf8 } from "./unicode.ts";
import type { Vocab } from "./vocab.ts";

interface Bigram {
  left: number;
  right: number;
  score: number;
  size: number;
}

const bigramFirst = (a: Bigram, b: Bigram) => a.score > b.score || (a.score === b.score && a.left < b.left);

/** Upper bound on cached words, so that a long-running process does not grow without limit. */
const CACHE_LIMIT = 100_000;
const ESCAPED_SPACE = 0x2581;

export class SpmEncoder {
  /** byte → token id (<0xXX>, else the one-byte text), -1 when the vocabulary has neither. */
  private readonly byteTokens = new Int32Array(256).fill(-1);
  private readonly wordwise: boolean;
  private readonly cache = new Map<string, readonly number[]>();

  /** `wholeRuns` forces llama.cpp's literal one-run-per-fragment loop (used to test the word-wise path). */
  constructor(private readonly vocab: Vocab, opts: { wholeRuns?: boolean } = {}) {
    this.wordwise = !opts.wholeRuns && !vocab.tokens.some((t) => /[^\u2581]\u2581/u.test(t));
    for (let b = 0; b < 256; b++) {
      const hex = `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
      const id = vocab.byText.get(hex) ?? (b < 0x80 ? vocab.byText.get(String.fromCharCode(b)) : undefined);
      if (id !== undefined) this.byteTokens[b] = id;
    }
  }

  /** Encode one text fragment (spaces already escaped to ▁) and append the ids to `out`. */
  encode(text: string, out: number[]): void {
    if (!this.wordwise) {
      this.encodeRun(text, out);
      return;
    }
    let start = 0;
    for (let i = 1; i <= text.length; i++) {
      if (i < text.length && !(text.charCodeAt(i) === ESCAPED_SPACE && text.charCodeAt(i - 1) !== ESCAPED_SPACE)) continue;
      const word = text.slice(start, i);
      start = i;
      let ids = this.cache.get(word);
      if (ids === undefined) {
        const fresh: number[] = [];
        this.encodeRun(word, fresh);
        ids = fresh;
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(word, ids);
      }
      for (const id of ids) out.push(id);
    }
  }

  /** llama.cpp's merge loop over one run of text. */
  private encodeRun(text: string, out: number[]): void {
    if (text.length === 0) return;
    const { byText, scores } = this.vocab;
    // symbols: start offset and length (UTF-16 units) plus a doubly linked list
    const start: number[] = [];
    const len: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const n = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
      start.push(i);
      len.push(n);
      i += n - 1;
    }
    const count = start.length;
    const prev = Int32Array.from({ length: count }, (_, i) => i - 1);
    const next = Int32Array.from({ length: count }, (_, i) => (i + 1 < count ? i + 1 : -1));
    const queue = new Heap<Bigram>(bigramFirst);

    const tryAdd = (left: number, right: number) => {
      if (left === -1 || right === -1) return;
      const size = len[left]! + len[right]!;
      const id = byText.get(text.substr(start[left]!, size));
      if (id === undefined) return;
      queue.push({ left, right, score: scores[id]!, size });
    };

    for (let i = 1; i < count; i++) tryAdd(i - 1, i);

    for (let b = queue.pop(); b !== undefined; b = queue.pop()) {
      const l = b.left;
      const r = b.right;
      if (len[l] === 0 || len[r] === 0 || len[l]! + len[r]! !== b.size) continue;
      len[l] = b.size;
      len[r] = 0;
      next[l] = next[r]!;
      if (next[r]! >= 0) prev[next[r]!] = l;
      tryAdd(prev[l]!, l);
      tryAdd(l, next[l]!);
    }

    for (let i = 0; i !== -1; i = next[i]!) {
      const piece = text.substr(start[i]!, len[i]!);
      const id = byText.get(piece);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      for (const byte of utf8(piece)) out.push(this.byteToken(byte));
    }
  }

  private byteToken(b: number): number {
    const id = this.byteTokens[b]!;
    if (id >= 0) return id;
    const unk = this.vocab.special.unk;
    if (unk !== null) return unk;
    throw new IngotError("TOKENIZER_BAD_VOCAB", `SentencePiece vocabulary has no byte token for 0x${b.toString(16)} and no <unk>`);
  }
}
