/**
 * Byte-level BPE encoding as llama.cpp does it: pre-tokenise with the vocabulary's regexes, byte-encode
 * each word into GPT-2's alphabet, then merge adjacent symbols by merge rank (lowest first, ties
 * leftmost). Results are cached per word.
 */
import { bytesToBpeString } from "./bytes-unicode.ts";
import { Heap } from "./heap.ts";
import { regexSplit } from "./regex-split.ts";
import { codepoints, utf8 } from "./unicode.ts";
import type { Vocab } from "./vocab.ts";

interface Bigram {
  left: number;
  right: number;
  text: string;
  rank: number;
}

const bigramFirst = (a: Bigram, b: Bigram) => a.rank < b.rank || (a.rank === b.rank && a.left < b.left);

/** Upper bound on cached words, so that a long-running process does not grow without limit. */
const CACHE_LIMIT = 100_000;

export class BpeEncoder {
  private readonly cache = new Map<string, readonly number[]>();
  private readonly regexes: readonly string[];

  constructor(private readonly vocab: Vocab) {
    this.regexes = vocab.pre!.regexes;
  }

  /** Split text into byte-encoded words (exposed for tests and debugging). */
  words(text: string): string[] {
    const cpts = codepoints(text);
    const lengths = regexSplit(cpts, this.regexes);
    const bytes = utf8(text);
    // walk code points and bytes together to cut the UTF-8 buffer at word boundaries
    const words: string[] = [];
    let cp = 0;
    let byte = 0;
    for (const n of lengths) {
      const b0 = byte;
      for (let k = 0; k < n; k++, cp++) {
        const c = cpts[cp]!;
        byte += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      }
      words.push(bytesToBpeString(bytes, b0, byte));
    }
    return words;
  }

  /** Encode one text fragment and append the ids to `out`. */
  encode(text: string, out: number[]): void {
    for (const word of this.words(text)) {
      let ids = this.cache.get(word);
      if (ids === undefined) {
        ids = this.encodeWord(word);
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(word, ids);
      }
      for (const id of ids) out.push(id);
    }
  }

  private encodeWord(word: string): number[] {
    const { byText, mergeRanks } = this.vocab;
    if (this.vocab.ignoreMerges) {
      const id = byText.get(word);
      if (id !== undefined) return [id];
    }
    // Every character of a byte-encoded word is a single UTF-16 unit (U+0021..U+0143).
    const count = word.length;
    const start = Array.from({ length: count }, (_, i) => i);
    const len = new Array<number>(count).fill(1);
    const prev = Array.from({ length: count }, (_, i) => i - 1);
    const next = Array.from({ length: count }, (_, i) => (i + 1 < count ? i + 1 : -1));
    const sym = (i: number) => word.substr(start[i]!, len[i]!);
    const queue = new Heap<Bigram>(bigramFirst);

    const tryAdd = (left: number, right: number) => {
      if (left === -1 || right === -1) return;
      const l = sym(left);
      const r = sym(right);
      const rank = mergeRanks.get(l + " " + r);
      if (rank === undefined) return;
      queue.push({ left, right, text: l + r, rank });
    };

    for (let i = 1; i < count; i++) tryAdd(i - 1, i);

    for (let b = queue.pop(); b !== undefined; b = queue.pop()) {
      const l = b.left;
      const r = b.right;
      if (len[l] === 0 || len[r] === 0) continue;
      if (len[l]! + len[r]! !== b.text.length || sym(l) + sym(r) !== b.text) continue;
      len[l] = len[l]! + len[r]!;
      len[r] = 0;
      next[l] = next[r]!;
      if (next[r]! >= 0) prev[next[r]!] = l;
      tryAdd(prev[l]!, l);
      tryAdd(l, next[l]!);
    }

    const ids: number[] = [];
    for (let i = count > 0 ? 0 : -1; i !== -1; i = next[i]!) {
      if (len[i] === 0) continue;
      const s = sym(i);
      const id = byText.get(s);
      if (id !== undefined) {
        ids.push(id);
        continue;
      }
      // llama.cpp looks each UTF-8 byte of the symbol up as a one-byte string; only ASCII can match.
      for (const byte of utf8(s)) {
        const bid = byte < 0x80 ? byText.get(String.fromCharCode(byte)) : undefined;
        if (bid !== undefined) ids.push(bid);
      }
    }
    return ids;
  }
}
