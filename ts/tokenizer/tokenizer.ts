/**
 * The tokenizer of a GGUF model, reproducing llama.cpp's llama_tokenize / llama_token_to_piece /
 * llama_detokenize for SentencePiece ("llama") and byte-level BPE ("gpt2") vocabularies.
 */
import { IngotError } from "../errors.ts";
import type { GgufFile } from "../gguf/index.ts";
import { BpeEncoder } from "./bpe.ts";
import { buildPieces, cleanSpaces } from "./detokenize.ts";
import { partitionSpecial } from "./special.ts";
import { SpmEncoder } from "./spm.ts";
import { createStreamDecoder, type StreamDecoder } from "./stream-decoder.ts";
import { Attr, Vocab } from "./vocab.ts";

export interface EncodeOptions {
  /** Add BOS / EOS as the vocabulary asks (tokenizer.ggml.add_bos_token / add_eos_token). Default true. */
  addSpecial?: boolean;
  /** Recognise control tokens such as `<|im_start|>` in the text. Default false (user-defined tokens are always recognised, as in llama.cpp). */
  parseSpecial?: boolean;
}

export interface DecodeOptions {
  /** Render control and unknown tokens as their text. Default false (they render as nothing). */
  special?: boolean;
}

export class Tokenizer {
  /** "spm" for SentencePiece vocabularies (tokenizer.ggml.model = llama), "bpe" for byte-level BPE (gpt2). */
  readonly type: "spm" | "bpe";
  /** BPE: the pre-tokeniser family in use (e.g. "gpt2", "llama3", "qwen2"); null for SentencePiece. */
  readonly preTokenizer: string | null;
  readonly vocabSize: number;
  readonly bos: number | null;
  readonly eos: number | null;
  readonly eot: number | null;
  readonly addBos: boolean;
  readonly addEos: boolean;

  private readonly vocab: Vocab;
  private readonly encoder: { encode(text: string, out: number[]): void };
  private readonly pieces: Uint8Array[];

  private constructor(vocab: Vocab) {
    this.vocab = vocab;
    this.type = vocab.kind;
    this.preTokenizer = vocab.pre?.type ?? null;
    this.vocabSize = vocab.size;
    this.bos = vocab.special.bos;
    this.eos = vocab.special.eos;
    this.eot = vocab.special.eot;
    this.addBos = vocab.addBos;
    this.addEos = vocab.addEos;
    this.encoder = vocab.kind === "spm" ? new SpmEncoder(vocab) : new BpeEncoder(vocab);
    this.pieces = buildPieces(vocab);
  }

  /** Build from a GGUF file's tokenizer.ggml.* metadata. TOKENIZER_UNSUPPORTED / TOKENIZER_BAD_VOCAB on failure. */
  static fromGguf(file: GgufFile): Tokenizer {
    return new Tokenizer(Vocab.fromGguf(file));
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const addSpecial = opts.addSpecial ?? true;
    const v = this.vocab;
    const out: number[] = [];
    if (addSpecial && v.addBos) out.push(v.special.bos!);
    const frags = partitionSpecial(v, text.toWellFormed(), opts.parseSpecial ?? false);
    let prevSpecial = true;
    for (const f of frags) {
      if (typeof f === "number") {
        out.push(f);
        prevSpecial = true;
        continue;
      }
      if (v.kind === "spm") {
        const t = v.addSpacePrefix && prevSpecial ? " " + f : f;
        this.encoder.encode(t.replaceAll(" ", "\u2581"), out);
      } else {
        this.encoder.encode(f, out);
      }
      prevSpecial = false;
    }
    if (addSpecial && v.addEos) out.push(v.special.eos!);
    return out;
  }

  /** Text of `ids` as llama_detokenize renders it (first-token space strip for SentencePiece, BPE clean-up). */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    const special = opts.special ?? false;
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      let p = this.piece(ids[i]!, special);
      if (i === 0 && this.vocab.addSpacePrefix && p[0] === 0x20) p = p.subarray(1);
      parts.push(p);
      total += p.length;
    }
    let bytes: Uint8Array = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      bytes.set(p, o);
      o += p.length;
    }
    if (this.vocab.cleanSpaces) bytes = cleanSpaces(bytes);
    return new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
  }

  /** Raw bytes of one token (no space stripping, no clean-up). Control tokens are empty unless `special`. */
  tokenToPiece(id: number, opts: DecodeOptions = {}): Uint8Array {
    return this.piece(id, opts.special ?? false).slice();
  }

  /** The vocabulary text of a token (e.g. "▁the", "Ġthe", "<0x0A>"). */
  token(id: number): string {
    this.check(id);
    return this.vocab.tokens[id]!;
  }

  /** Id of the token whose vocabulary text is exactly `text`. */
  tokenId(text: string): number | undefined {
    return this.vocab.byText.get(text);
  }

  /** End of generation: EOS, EOT, EOM and the tokens llama.cpp treats as such (<|im_end|>, <|eot_id|>, ...). */
  isEog(id: number): boolean {
    return this.vocab.eog.has(id);
  }

  isControl(id: number): boolean {
    return id >= 0 && id < this.vocabSize && this.vocab.has(id, Attr.CONTROL);
  }

  /** Incremental decoder whose concatenated output equals decode() of the pushed ids. */
  createStreamDecoder(opts: DecodeOptions = {}): StreamDecoder {
    return createStreamDecoder(
      {
        piece: (id, special) => this.piece(id, special),
        stripFirstSpace: this.vocab.addSpacePrefix,
        cleanSpaces: this.vocab.cleanSpaces,
      },
      opts.special ?? false,
    );
  }

  private piece(id: number, special: boolean): Uint8Array {
    this.check(id);
    if (!special && this.vocab.has(id, Attr.CONTROL | Attr.UNKNOWN)) return EMPTY;
    return this.pieces[id]!;
  }

  private check(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new IngotError("BAD_ARGUMENT", `token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
    }
  }
}

const EMPTY = new Uint8Array(0);
