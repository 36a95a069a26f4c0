/**
 * Code point classes as llama.cpp's unicode tables define them (Unicode general categories plus the
 * White_Space property), and the UTF-8 helpers the tokenizers share.
 *
 * llama.cpp generates its table from Python's `regex` module (\p{N}, \p{L}, \p{Z}, \p{M}, \p{P}, \p{S},
 * \p{C} and \s); we ask the JS engine the same questions once per code point and cache the answer.
 */

export const FLAG_NUMBER = 1 << 0;
export const FLAG_LETTER = 1 << 1;
export const FLAG_SEPARATOR = 1 << 2;
export const FLAG_ACCENT_MARK = 1 << 3;
export const FLAG_PUNCTUATION = 1 << 4;
export const FLAG_SYMBOL = 1 << 5;
export const FLAG_CONTROL = 1 << 6;
export const FLAG_WHITESPACE = 1 << 7;
/** Set on every cached entry so that 0 means "not computed yet". */
const FLAG_KNOWN = 1 << 15;

export const MAX_CODEPOINT = 0x10ffff;

const RE_N = /^\p{N}$/u;
const RE_L = /^\p{L}$/u;
const RE_Z = /^\p{Z}$/u;
const RE_M = /^\p{M}$/u;
const RE_P = /^\p{P}$/u;
const RE_S = /^\p{S}$/u;
const RE_C = /^\p{C}$/u;
const RE_WS = /^\p{White_Space}$/u;

const cache = new Uint16Array(MAX_CODEPOINT + 1);

function computeFlags(cp: number): number {
  const ch = String.fromCodePoint(cp);
  let f = FLAG_KNOWN;
  if (RE_N.test(ch)) f |= FLAG_NUMBER;
  else if (RE_L.test(ch)) f |= FLAG_LETTER;
  else if (RE_Z.test(ch)) f |= FLAG_SEPARATOR;
  else if (RE_M.test(ch)) f |= FLAG_ACCENT_MARK;
  else if (RE_P.test(ch)) f |= FLAG_PUNCTUATION;
  else if (RE_S.test(ch)) f |= FLAG_SYMBOL;
  else if (RE_C.test(ch)) f |= FLAG_CONTROL;
  if (RE_WS.test(ch)) f |= FLAG_WHITESPACE;
  return f;
}

/**
 * Category flags of a code point (one FLAG_* category bit, plus FLAG_WHITESPACE). Out-of-range values
 * (llama.cpp's "OUT_OF_RANGE" sentinel, negative positions) give 0, which no category test matches.
 */
export function cpFlags(cp: number): number {
  if (cp < 0 || cp > MAX_CODEPOINT) return 0;
  let f = cache[cp]!;
  if (f === 0) {
    f = computeFlags(cp);
    cache[cp] = f;
  }
  return f;
}

export function isWhitespace(cp: number): boolean {
  return (cpFlags(cp) & FLAG_WHITESPACE) !== 0;
}

/** Lower-case mapping of a single code point (first code point of the JS mapping, as llama.cpp's table). */
export function toLowerCp(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp;
  if (cp > MAX_CODEPOINT) return cp;
  return String.fromCodePoint(cp).toLowerCase().codePointAt(0)!;
}

/** Code points of a well-formed string. */
export function codepoints(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out.push(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
        i++;
        continue;
      }
    }
    out.push(c >= 0xd800 && c <= 0xdfff ? 0xfffd : c);
  }
  return out;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string (lone surrogates become U+FFFD, as llama.cpp's decoder would make them). */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Byte length of a string's UTF-8 encoding, without allocating. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}
