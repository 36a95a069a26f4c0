/**
 * Incremental detokenization: push ids one at a time, get text as soon as it is final. Bytes of a UTF-8
 * sequence split across tokens are held until the sequence is complete, and (for vocabularies with
 * clean_spaces) a space is held until the next byte shows whether the clean-up removes it. The
 * concatenation of all push() results and flush() equals decode() of the same ids.
 */
import { SpaceCleaner } from "./detokenize.ts";

export interface StreamDecoder {
  /** Text that became final with this token (possibly ""). */
  push(id: number): string;
  /** End of stream: everything still held back (an incomplete UTF-8 sequence decodes to U+FFFD). Resets the decoder. */
  flush(): string;
}

export interface PieceSource {
  /** Bytes of one token as decode() renders it. */
  piece(id: number, special: boolean): Uint8Array;
  /** Strip one leading space from the first token (SentencePiece's add_space_prefix). */
  readonly stripFirstSpace: boolean;
  readonly cleanSpaces: boolean;
}

export function createStreamDecoder(src: PieceSource, special: boolean): StreamDecoder {
  let first = true;
  let cleaner = src.cleanSpaces ? new SpaceCleaner() : null;
  let utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
  return {
    push(id: number): string {
      let bytes = src.piece(id, special);
      if (first && src.stripFirstSpace && bytes[0] === 0x20) bytes = bytes.subarray(1);
      first = false;
      if (cleaner) {
        cleaner.push(bytes);
        bytes = cleaner.take();
      }
      return bytes.length > 0 ? utf8.decode(bytes, { stream: true }) : "";
    },
    flush(): string {
      let tail: Uint8Array = new Uint8Array(0);
      if (cleaner) {
        cleaner.end();
        tail = cleaner.take();
      }
      const text = utf8.decode(tail);
      first = true;
      cleaner = src.cleanSpaces ? new SpaceCleaner() : null;
      utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
      return text;
    },
  };
}
