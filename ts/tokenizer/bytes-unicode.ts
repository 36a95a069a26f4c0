/**
 * GPT-2's reversible byte ↔ unicode mapping used by byte-level BPE vocabularies: printable Latin-1 bytes
 * map to themselves, the other 68 bytes to U+0100.. in byte order (so ' ' is 'Ġ' and '\n' is 'Ċ').
 */

function isPrintable(b: number): boolean {
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

/** BYTE_TO_CHAR[b] is the one-character string standing for byte b. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const table: string[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCharCode(isPrintable(b) ? b : 256 + n++);
  }
  return table;
})();

/** Code point (all are < 0x144) → byte, or -1 for code points outside the mapping. */
const CHAR_TO_BYTE: Int16Array = (() => {
  const table = new Int16Array(0x200).fill(-1);
  for (let b = 0; b < 256; b++) table[BYTE_TO_CHAR[b]!.charCodeAt(0)] = b;
  return table;
})();

export function charToByte(cp: number): number {
  return cp < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[cp]! : -1;
}

/** Byte-encode UTF-8 bytes into the BPE alphabet. */
export function bytesToBpeString(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = "";
  for (let i = start; i < end; i++) s += BYTE_TO_CHAR[bytes[i]!]!;
  return s;
}
