/**
 * Pre-tokenisation: cut text into words with a list of regexes, the way llama.cpp's unicode_regex_split
 * does. Each regex refines the pieces left by the previous one (text between matches stays a piece).
 *
 * - The GPT-2 and Llama-3 regexes use hand-written matchers (llama.cpp does the same, and the matchers,
 *   not the regexes, define its results).
 * - Other regexes with \p{..} classes run on a "collapsed" text where each non-ASCII code point is
 *   replaced by one byte standing for its category, and each \p{X} by that byte plus the ASCII members
 *   of X. This reproduces llama.cpp's std::regex results, quirks included.
 * - Regexes without \p{..} run on the code points, non-ASCII whitespace replaced by \v.
 *
 * All offsets are counts of code points.
 */
import {
  cpFlags, FLAG_ACCENT_MARK, FLAG_LETTER, FLAG_NUMBER, FLAG_PUNCTUATION, FLAG_SYMBOL, FLAG_WHITESPACE, toLowerCp,
} from "./unicode.ts";

export const GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
export const LLAMA3_REGEX =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const LLAMA3_REGEX_ORIGINAL =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const OUT = -1;
const WLN = FLAG_WHITESPACE | FLAG_LETTER | FLAG_NUMBER;
const CR = 0x0d, LF = 0x0a, SPACE = 0x20, APOS = 0x27;

/** Shared scaffolding of the hand-written matchers: per-piece bounds and the "emit a word" helper. */
function customSplit(
  cpts: readonly number[],
  offsets: readonly number[],
  matchPiece: (ini: number, end: number, cpt: (p: number) => number, flags: (p: number) => number, add: (e: number) => number) => void,
): number[] {
  const out: number[] = [];
  let start = 0;
  for (const len of offsets) {
    const ini = start;
    const end = start + len;
    start = end;
    const cpt = (p: number) => (p >= ini && p < end ? cpts[p]! : OUT);
    const flags = (p: number) => (p >= ini && p < end ? cpFlags(cpts[p]!) : 0);
    let prevEnd = ini;
    const add = (e: number) => {
      const n = e - prevEnd;
      if (n > 0) out.push(n);
      prevEnd = e;
      return n;
    };
    matchPiece(ini, end, cpt, flags, add);
  }
  return out;
}

function contraction(pos: number, end: number, cpt: (p: number) => number, lower: boolean): number {
  if (cpt(pos) !== APOS || pos + 1 >= end) return 0;
  const fold = (c: number) => (lower ? toLowerCp(c) : c);
  const n1 = fold(cpt(pos + 1));
  if (n1 === 0x73 || n1 === 0x74 || n1 === 0x6d || n1 === 0x64) return 2; // s t m d
  if (pos + 2 < end) {
    const n2 = fold(cpt(pos + 2));
    if ((n1 === 0x72 && n2 === 0x65) || (n1 === 0x76 && n2 === 0x65) || (n1 === 0x6c && n2 === 0x6c)) return 3; // re ve ll
  }
  return 0;
}

/** 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
function splitGpt2(cpts: readonly number[], offsets: readonly number[]): number[] {
  return customSplit(cpts, offsets, (ini, end, cpt, flags, add) => {
    for (let pos = ini; pos < end;) {
      const c = cpt(pos);
      const f = flags(pos);
      const k = contraction(pos, end, cpt, false);
      if (k > 0) {
        pos += add(pos + k);
        continue;
      }
      let f2 = c === SPACE ? flags(pos + 1) : f;
      if (f2 & FLAG_LETTER) {
        if (c === SPACE) pos++;
        while (f2 & FLAG_LETTER) f2 = flags(++pos);
        add(pos);
        continue;
      }
      if (f2 & FLAG_NUMBER) {
        if (c === SPACE) pos++;
        while (f2 & FLAG_NUMBER) f2 = flags(++pos);
        add(pos);
        continue;
      }
      if (!(f2 & WLN) && f2) {
        if (c === SPACE) pos++;
        while (!(f2 & WLN) && f2) f2 = flags(++pos);
        add(pos);
        continue;
      }
      let nws = 0;
      while (flags(pos + nws) & FLAG_WHITESPACE) nws++;
      if (nws > 1 && cpt(pos + nws) !== OUT) {
        pos += nws - 1;
        add(pos);
        continue;
      }
      if (nws > 0) {
        pos += nws;
        add(pos);
        continue;
      }
      add(++pos);
    }
  });
}

/** (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
function splitLlama3(cpts: readonly number[], offsets: readonly number[]): number[] {
  return customSplit(cpts, offsets, (ini, end, cpt, flags, add) => {
    for (let pos = ini; pos < end;) {
      const c = cpt(pos);
      const f = flags(pos);
      const k = contraction(pos, end, cpt, true);
      if (k > 0) {
        pos += add(pos + k);
        continue;
      }
      if (!(c === CR || c === LF || f & FLAG_NUMBER)) {
        if (f & FLAG_LETTER || flags(pos + 1) & FLAG_LETTER) {
          pos++;
          while (flags(pos) & FLAG_LETTER) pos++;
          add(pos);
          continue;
        }
      }
      if (f & FLAG_NUMBER) {
        let ini3 = pos;
        while (flags(pos) & FLAG_NUMBER) {
          if (++pos - ini3 >= 3) {
            add(pos);
            ini3 = pos;
          }
        }
        add(pos);
        continue;
      }
      let f2 = c === SPACE ? flags(pos + 1) : f;
      // llama.cpp tests the current code point's flags (not f2) for "is anything" here; kept as is.
      if (!(f2 & WLN) && f) {
        if (c === SPACE) pos++;
        while (!(f2 & WLN) && f2) f2 = flags(++pos);
        let c2 = cpt(pos);
        while (c2 === CR || c2 === LF) c2 = cpt(++pos);
        add(pos);
        continue;
      }
      let nws = 0;
      let lastNl = 0;
      while (flags(pos + nws) & FLAG_WHITESPACE) {
        const c2 = cpt(pos + nws);
        if (c2 === CR || c2 === LF) lastNl = pos + nws + 1;
        nws++;
      }
      if (lastNl > 0) {
        pos = lastNl;
        add(pos);
        continue;
      }
      if (nws > 1 && cpt(pos + nws) !== OUT) {
        pos += nws - 1;
        add(pos);
        continue;
      }
      if (nws > 0) {
        pos += nws;
        add(pos);
        continue;
      }
      add(++pos);
    }
  });
}

// ---- std::regex emulation ----

/** \p{X} → [flag, collapsed byte, ASCII members as a class body]. */
const UCAT: ReadonlyArray<readonly [string, number, string]> = [
  ["\\p{N}", 0xd1, "0-9"],
  ["\\p{L}", 0xd2, "A-Za-z"],
  ["\\p{P}", 0xd3, "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}"],
  ["\\p{M}", 0xd4, ""],
  ["\\p{S}", 0xd5, "\\$\\+<->\\^`\\|"],
  ["\\p{Lu}", 0xd2, "A-Za-z"],
  ["\\p{Ll}", 0xd2, "A-Za-z"],
  ["\\p{Lt}", 0xd2, "A-Za-z"],
  ["\\p{Lm}", 0xd2, "A-Za-z"],
  ["\\p{Lo}", 0xd2, "A-Za-z"],
];

function collapsedByte(cp: number): number {
  if (cp < 128) return cp;
  const f = cpFlags(cp);
  if (f & FLAG_WHITESPACE) return 0x0b;
  if (f & FLAG_NUMBER) return 0xd1;
  if (f & FLAG_LETTER) return 0xd2;
  if (f & FLAG_PUNCTUATION) return 0xd3;
  if (f & FLAG_ACCENT_MARK) return 0xd4;
  if (f & FLAG_SYMBOL) return 0xd5;
  return 0xd0;
}

function collapse(cpts: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cpts.length; i += 8192) {
    parts.push(String.fromCharCode(...cpts.slice(i, i + 8192).map(collapsedByte)));
  }
  return parts.join("");
}

/** Rewrite \p{..} classes to their collapsed form (llama.cpp's algorithm, including its [..] tracking). */
function collapseRegex(src: string): string {
  let out = "";
  let inside = false;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (ch === "[" && (i === 0 || src[i - 1] !== "\\")) {
      out += "[";
      inside = true;
      continue;
    }
    if (inside && ch === "]" && src[i - 1] !== "\\") {
      out += "]";
      inside = false;
      continue;
    }
    if (ch === "\\" && i + 3 < src.length && src[i + 1] === "p" && src[i + 2] === "{") {
      const close = src.indexOf("}", i + 3);
      if (close !== -1 && close <= i + 10) {
        const cat = UCAT.find(([pat]) => pat === src.slice(i, close + 1));
        if (cat) {
          const body = String.fromCharCode(cat[1]) + cat[2];
          out += inside ? body : `[${body}]`;
          i = close;
          continue;
        }
      }
    }
    out += ch;
  }
  return out;
}

const WS_CLASS = "\\t\\n\\v\\f\\r ";

/** Make \s / \S mean what they mean to std::regex (ASCII whitespace only). */
function asciiWhitespace(src: string): string {
  let out = "";
  let inside = false;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (ch === "\\" && i + 1 < src.length) {
      const nx = src[i + 1]!;
      if (nx === "s") out += inside ? WS_CLASS : `[${WS_CLASS}]`;
      else if (nx === "S" && !inside) out += `[^${WS_CLASS}]`;
      else out += ch + nx;
      i++;
      continue;
    }
    if (ch === "[" && !inside) inside = true;
    else if (ch === "]" && inside) inside = false;
    out += ch;
  }
  return out;
}

const compiled = new Map<string, { re: RegExp; collapsed: boolean }>();

function compile(regex: string): { re: RegExp; collapsed: boolean } {
  let c = compiled.get(regex);
  if (!c) {
    const collapsed = UCAT.some(([pat]) => regex.includes(pat));
    const src = asciiWhitespace(collapsed ? collapseRegex(regex) : regex);
    c = { re: new RegExp(src, collapsed ? "g" : "gu"), collapsed };
    compiled.set(regex, c);
  }
  return c;
}

function splitStl(text: string, unitOfCp: Int32Array | null, re: RegExp, offsets: readonly number[]): number[] {
  const out: number[] = [];
  let start = 0;
  for (const len of offsets) {
    const u0 = unitOfCp ? unitOfCp[start]! : start;
    const u1 = unitOfCp ? unitOfCp[start + len]! : start + len;
    const piece = text.slice(u0, u1);
    // code point index (within the piece) of a UTF-16 index
    const cpAt = unitOfCp && u1 - u0 !== len ? cpIndexer(piece) : (u: number) => u;
    let prev = 0;
    re.lastIndex = 0;
    for (let m = re.exec(piece); m !== null; m = re.exec(piece)) {
      const ms = cpAt(m.index);
      const me = cpAt(m.index + m[0].length);
      if (ms > prev) out.push(ms - prev);
      out.push(me - ms);
      prev = me;
      if (m[0].length === 0) re.lastIndex++;
    }
    if (prev < len) out.push(len - prev);
    start += len;
  }
  return out;
}

function cpIndexer(s: string): (u: number) => number {
  const map = new Int32Array(s.length + 1);
  let cp = 0;
  for (let u = 0; u < s.length; u++) {
    map[u] = cp;
    const c = s.charCodeAt(u);
    if (c >= 0xd800 && c <= 0xdbff && u + 1 < s.length) map[++u] = cp;
    cp++;
  }
  map[s.length] = cp;
  return (u) => map[u]!;
}

/** Split code points into word lengths (in code points) with llama.cpp's semantics for `regexes`. */
export function regexSplit(cpts: readonly number[], regexes: readonly string[]): number[] {
  let offsets: number[] = cpts.length > 0 ? [cpts.length] : [];
  let collapsedText: string | null = null;
  let plainText: string | null = null;
  let unitOfCp: Int32Array | null = null;
  for (const regex of regexes) {
    if (regex === GPT2_REGEX) {
      offsets = splitGpt2(cpts, offsets);
      continue;
    }
    if (regex === LLAMA3_REGEX || regex === LLAMA3_REGEX_ORIGINAL) {
      offsets = splitLlama3(cpts, offsets);
      continue;
    }
    const { re, collapsed } = compile(regex);
    if (collapsed) {
      collapsedText ??= collapse(cpts);
      offsets = splitStl(collapsedText, null, re, offsets);
    } else {
      if (plainText === null) {
        let s = "";
        unitOfCp = new Int32Array(cpts.length + 1);
        for (let i = 0; i < cpts.length; i++) {
          unitOfCp[i] = s.length;
          const cp = cpts[i]!;
          s += cp > 0x7f && cpFlags(cp) & FLAG_WHITESPACE ? "\v" : String.fromCodePoint(cp);
        }
        unitOfCp[cpts.length] = s.length;
        plainText = s;
      }
      offsets = splitStl(plainText, unitOfCp, re, offsets);
    }
  }
  return offsets;
}
