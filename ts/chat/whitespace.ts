/**
 * Applies jinja2's newline normalisation and the `trim_blocks` / `lstrip_blocks` options that transformers
 * enables, as a source-to-source step, so @huggingface/jinja's lexer can then run with both options off.
 *
 * It follows jinja2's lexer (3.1) rather than a regex: tags are scanned with string literals and brace
 * nesting respected (a "%}" inside a string does not end a tag), `{%+` / `+%}` disable the stripping and are
 * removed, and a tag counts as starting a line when only whitespace precedes it since the last newline — or
 * since a previous tag whose trimmed newline ended the line (jinja2's `line_starting`).
 * Whitespace `-` markers are left in place for the lexer, which implements them.
 */

/** Index just past the tag that opens at `open` (`{{`, `{%` or `{#`), or -1 if it never closes. */
function findTagEnd(src: string, open: number): number {
  const kind = src[open + 1];
  if (kind === "#") {
    const end = src.indexOf("#}", open + 2);
    return end < 0 ? -1 : end + 2;
  }
  const close = kind === "{" ? "}}" : "%}";
  let depth = 0;
  let i = open + 2;
  while (i < src.length) {
    const c = src[i];
    if (depth === 0 && (src.startsWith(close, i) || (c === "-" && src.startsWith(close, i + 1)) || (c === "+" && src.startsWith(close, i + 1)))) {
      return src.indexOf(close, i) + 2;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === "\\" ? 2 : 1;
      i = j + 1;
      continue;
    }
    if (c === "{" || c === "[" || c === "(") depth++;
    else if ((c === "}" || c === "]" || c === ")") && depth > 0) depth--;
    i++;
  }
  return -1;
}

export function applyWhitespaceControl(source: string): string {
  const src = source.replace(/\r\n?/g, "\n");
  let out = "";
  let pos = 0;
  let lineStarting = true;
  while (pos < src.length) {
    const open = src.slice(pos).search(/\{[{%#]/);
    if (open < 0) {
      out += src.slice(pos);
      break;
    }
    const start = pos + open;
    let text = src.slice(pos, start);
    const kind = src[start + 1];
    const sign = src[start + 2];
    if (kind !== "{" && sign !== "-" && sign !== "+") {
      const lineStart = text.lastIndexOf("\n") + 1;
      if ((lineStart > 0 || lineStarting) && /^\s+$/.test(text.slice(lineStart))) text = text.slice(0, lineStart);
    }
    out += text;
    const end = findTagEnd(src, start);
    if (end < 0) {
      out += src.slice(start); // unterminated: let the lexer report it
      break;
    }
    let tag = src.slice(start, end);
    if (sign === "+") tag = tag.slice(0, 2) + tag.slice(3);
    let next = end;
    if (kind !== "{") {
      const endSign = tag[tag.length - 3];
      if (endSign === "+") tag = tag.slice(0, -3) + tag.slice(-2);
      else if (endSign !== "-" && src[end] === "\n") next = end + 1; // trim_blocks
    }
    out += tag;
    lineStarting = next > end; // after "-%}" the lexer drops the following whitespace anyway
    pos = next;
  }
  return out;
}
