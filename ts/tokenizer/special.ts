/**
 * Special-token partitioning (llama.cpp's tokenizer_st_partition): before the model's tokenizer runs,
 * occurrences of special token texts are cut out of the text, longest token first. Control and unknown
 * tokens are matched only with parseSpecial; user-defined tokens always are. LSTRIP / RSTRIP tokens
 * swallow the ASCII whitespace before / after them.
 */
import { Attr, type Vocab } from "./vocab.ts";

/** A piece of the input: raw text still to tokenize, or an already-identified token id. */
export type Fragment = string | number;

const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);

export function partitionSpecial(vocab: Vocab, text: string, parseSpecial: boolean): Fragment[] {
  let frags: Fragment[] = text.length > 0 ? [text] : [];
  const skipAttrs = Attr.CONTROL | Attr.UNKNOWN;
  // With many candidate tokens (some vocabularies list thousands of user-defined ones), first rule out
  // tokens containing a UTF-16 unit the text does not have: a cheap necessary condition for a match.
  const present = vocab.specialTokens.length > 16 ? unitsPresent(text) : null;
  for (const id of vocab.specialTokens) {
    const attr = vocab.attrs[id]!;
    if (!parseSpecial && attr & skipAttrs) continue;
    const tok = vocab.tokens[id]!;
    if (present && !allPresent(tok, present)) continue;
    let changed = false;
    const out: Fragment[] = [];
    for (const f of frags) {
      if (typeof f !== "string" || !f.includes(tok)) {
        out.push(f);
        continue;
      }
      changed = true;
      let pos = 0;
      for (let m = f.indexOf(tok, pos); m !== -1; m = f.indexOf(tok, pos)) {
        let leftEnd = m;
        if (attr & Attr.LSTRIP) while (leftEnd > pos && isSpace(f.charCodeAt(leftEnd - 1))) leftEnd--;
        if (leftEnd > pos) out.push(f.slice(pos, leftEnd));
        out.push(id);
        pos = m + tok.length;
        if (attr & Attr.RSTRIP) while (pos < f.length && isSpace(f.charCodeAt(pos))) pos++;
      }
      if (pos < f.length) out.push(f.slice(pos));
    }
    if (changed) frags = out;
  }
  return frags;
}

function unitsPresent(text: string): Uint8Array {
  const seen = new Uint8Array(0x10000);
  for (let i = 0; i < text.length; i++) seen[text.charCodeAt(i)] = 1;
  return seen;
}

function allPresent(tok: string, seen: Uint8Array): boolean {
  for (let i = 0; i < tok.length; i++) if (seen[tok.charCodeAt(i)] === 0) return false;
  return true;
}
