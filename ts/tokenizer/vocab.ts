/**
 * A vocabulary as llama.cpp loads it from GGUF metadata: token texts, scores and attributes, the special
 * token ids (with llama.cpp's per-model defaults and its text-based detection of EOT/EOM/FIM/EOG tokens),
 * BPE merge ranks, and the tokenizer flags (add_bos, add_eos, add_space_prefix, clean_spaces, ...).
 */
import { IngotError } from "../errors.ts";
import type { GgufFile } from "../gguf/index.ts";
import { preTokenizerFor, type PreTokenizer } from "./pretokenize.ts";
import { utf8Length } from "./unicode.ts";

/** llama.cpp's llama_token_attr bits. */
export const Attr = {
  UNDEFINED: 0,
  UNKNOWN: 1 << 0,
  UNUSED: 1 << 1,
  NORMAL: 1 << 2,
  CONTROL: 1 << 3,
  USER_DEFINED: 1 << 4,
  BYTE: 1 << 5,
  NORMALIZED: 1 << 6,
  LSTRIP: 1 << 7,
  RSTRIP: 1 << 8,
  SINGLE_WORD: 1 << 9,
} as const;

/** tokenizer.ggml.token_type values (llama_token_type) → attribute bits. */
const TYPE_TO_ATTR: Record<number, number> = {
  0: Attr.UNDEFINED, 1: Attr.NORMAL, 2: Attr.UNKNOWN, 3: Attr.CONTROL, 4: Attr.USER_DEFINED, 5: Attr.UNUSED, 6: Attr.BYTE,
};

export type VocabKind = "spm" | "bpe";

const K = "tokenizer.ggml.";

// Texts llama.cpp recognises as end-of-turn / end-of-generation / FIM tokens when metadata does not say.
const EOT_TEXTS = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>",
  "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"];
const EOM_TEXTS = ["<|eom_id|>"];
const FIM_TEXTS: Record<string, string[]> = {
  fim_pre: ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"],
  fim_suf: ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"],
  fim_mid: ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"],
  fim_pad: ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"],
  fim_rep: ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"],
  fim_sep: ["<|file_sep|>"],
};
const EOG_TEXTS = new Set(["<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
  "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
  "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~["]);

type SpecialName = "bos" | "eos" | "eot" | "eom" | "unk" | "sep" | "pad" | "mask"
  | "fim_pre" | "fim_suf" | "fim_mid" | "fim_pad" | "fim_rep" | "fim_sep";

const SPECIAL_KEYS: ReadonlyArray<readonly [SpecialName, string]> = [
  ["bos", "bos_token_id"], ["eos", "eos_token_id"], ["eot", "eot_token_id"], ["eom", "eom_token_id"],
  ["unk", "unknown_token_id"], ["sep", "seperator_token_id"], ["pad", "padding_token_id"], ["mask", "mask_token_id"],
  ["fim_pre", "fim_pre_token_id"], ["fim_suf", "fim_suf_token_id"], ["fim_mid", "fim_mid_token_id"],
  ["fim_pad", "fim_pad_token_id"], ["fim_rep", "fim_rep_token_id"], ["fim_sep", "fim_sep_token_id"],
  ["fim_pre", "prefix_token_id"], ["fim_suf", "suffix_token_id"], ["fim_mid", "middle_token_id"],
];

export class Vocab {
  readonly kind: VocabKind;
  /** BPE only: the pre-tokeniser named by tokenizer.ggml.pre. */
  readonly pre: PreTokenizer | null;
  readonly tokens: readonly string[];
  readonly scores: Float32Array;
  readonly attrs: Uint16Array;
  readonly byText: ReadonlyMap<string, number>;
  /** BPE merge ranks keyed by the merge line ("left right"). */
  readonly mergeRanks: ReadonlyMap<string, number>;
  readonly special: Readonly<Record<SpecialName, number | null>>;
  readonly eog: ReadonlySet<number>;
  /** Control, user-defined and unknown tokens, longest text (in UTF-8 bytes) first. */
  readonly specialTokens: readonly number[];
  readonly addBos: boolean;
  readonly addEos: boolean;
  readonly addSpacePrefix: boolean;
  readonly cleanSpaces: boolean;
  readonly ignoreMerges: boolean;

  private constructor(f: GgufFile) {
    const model = f.getString(K + "model");
    if (model === undefined) throw new IngotError("TOKENIZER_BAD_VOCAB", `${f.path}: no ${K}model in metadata`);
    const special: Record<SpecialName, number | null> = {
      bos: null, eos: null, eot: null, eom: null, unk: null, sep: null, pad: null, mask: null,
      fim_pre: null, fim_suf: null, fim_mid: null, fim_pad: null, fim_rep: null, fim_sep: null,
    };
    let addBos = false, addEos = false, addSpacePrefix = false, cleanSpaces = false;
    const merges = new Map<string, number>();
    if (model === "llama") {
      this.kind = "spm";
      this.pre = null;
      Object.assign(special, { bos: 1, eos: 2, unk: 0 });
      addSpacePrefix = true;
      addBos = true;
    } else if (model === "gpt2") {
      this.kind = "bpe";
      this.pre = preTokenizerFor(f.getString(K + "pre"));
      const lines = f.getStringArray(K + "merges");
      if (!lines) throw new IngotError("TOKENIZER_BAD_VOCAB", `${f.path}: BPE vocabulary without ${K}merges`);
      for (let i = 0; i < lines.length; i++) {
        const w = lines[i]!;
        if (w.indexOf(" ", 1) > 0 && !merges.has(w)) merges.set(w, i);
      }
      Object.assign(special, { bos: 11, eos: 11 });
      cleanSpaces = this.pre.cleanSpaces;
      addBos = this.pre.addBos;
      if (this.pre.type === "chatglm4") special.bos = null;
    } else {
      throw new IngotError(
        "TOKENIZER_UNSUPPORTED",
        `${f.path}: tokenizer model '${model}' is not supported (supported: llama (SentencePiece), gpt2 (byte-level BPE))`,
      );
    }
    this.mergeRanks = merges;
    this.ignoreMerges = this.pre?.ignoreMerges ?? false;
    addSpacePrefix = f.getBool(K + "add_space_prefix") ?? addSpacePrefix;

    const texts = f.getStringArray(K + "tokens");
    if (!texts || texts.length === 0) throw new IngotError("TOKENIZER_BAD_VOCAB", `${f.path}: no ${K}tokens in metadata`);
    const n = texts.length;
    const scores = new Float32Array(n);
    const rawScores = f.getFloat32Array(K + "scores");
    if (rawScores) {
      if (rawScores.length < n) throw new IngotError("TOKENIZER_BAD_VOCAB", `${f.path}: ${rawScores.length} scores for ${n} tokens`);
      scores.set(rawScores.subarray(0, n));
    }
    const types = f.getInt32Array(K + "token_type");
    if (types && types.length < n) throw new IngotError("TOKENIZER_BAD_VOCAB", `${f.path}: ${types.length} token types for ${n} tokens`);
    const attrs = new Uint16Array(n);
    const tokens: string[] = new Array(n);
    const byText = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const t = texts[i] === "" ? `[EMPTY_${i}]` : texts[i]!;
      tokens[i] = t;
      // llama.cpp rejects duplicates; a text decoded lossily can collide, so keep the first id instead.
      if (!byText.has(t)) byText.set(t, i);
      attrs[i] = types ? (TYPE_TO_ATTR[types[i]!] ?? Attr.UNDEFINED) : Attr.NORMAL;
    }
    this.tokens = tokens;
    this.scores = scores;
    this.attrs = attrs;
    this.byText = byText;

    for (const [name, key] of SPECIAL_KEYS) {
      const cur = special[name];
      if (cur !== null && cur >= n) special[name] = null;
      const v = f.getNumber(K + key);
      if (v !== undefined && v >= 0 && v < n) special[name] = v;
    }
    addBos = f.getBool(K + "add_bos_token") ?? addBos;
    addEos = f.getBool(K + "add_eos_token") ?? addEos;
    if (addBos && special.bos === null) throw new IngotError("TOKENIZER_BAD_VOCAB", `${f.path}: add_bos_token is true but there is no BOS token`);
    if (addEos && special.eos === null) throw new IngotError("TOKENIZER_BAD_VOCAB", `${f.path}: add_eos_token is true but there is no EOS token`);
    this.addBos = addBos;
    this.addEos = addEos;
    this.addSpacePrefix = addSpacePrefix;
    this.cleanSpaces = cleanSpaces;

    this.eog = this.detectSpecial(special);
    this.special = special;
    this.specialTokens = this.specialCache();
    this.applyModelAttrs(f.getString("general.name") ?? "", f.getString(K + "pre") ?? "", f.getString("general.architecture") ?? "");
  }

  static fromGguf(f: GgufFile): Vocab {
    return new Vocab(f);
  }

  get size(): number {
    return this.tokens.length;
  }

  has(id: number, attr: number): boolean {
    return (this.attrs[id]! & attr) !== 0;
  }

  private markControl(id: number): void {
    this.attrs[id]! |= Attr.CONTROL;
  }

  /** llama.cpp's text-based detection of EOT/EOM/FIM tokens and of the end-of-generation set. */
  private detectSpecial(special: Record<SpecialName, number | null>): Set<number> {
    const find = (texts: readonly string[]): number | null => {
      // llama.cpp walks a hash map; we take the lowest id among the candidates.
      let best: number | null = null;
      for (const t of texts) {
        const id = this.byText.get(t);
        if (id !== undefined && (best === null || id < best)) best = id;
      }
      return best;
    };
    const detect = (name: SpecialName, texts: readonly string[]) => {
      if (special[name] !== null) return;
      const id = find(texts);
      if (id !== null) {
        special[name] = id;
        this.markControl(id);
      }
    };
    detect("eot", EOT_TEXTS);
    detect("eom", EOM_TEXTS);
    for (const [name, texts] of Object.entries(FIM_TEXTS)) detect(name as SpecialName, texts);

    for (let id = 0; id < this.tokens.length; id++) {
      if (this.has(id, Attr.CONTROL) && !this.has(id, Attr.UNUSED) && this.tokens[id]!.includes("unused")) {
        this.attrs[id]! |= Attr.UNUSED;
      }
    }
    const eog = new Set<number>();
    for (const name of ["fim_pad", "fim_rep", "fim_sep"] as const) if (special[name] !== null) eog.add(special[name]!);
    for (const t of EOG_TEXTS) {
      const id = this.byText.get(t);
      if (id !== undefined) {
        eog.add(id);
        this.markControl(id);
      }
    }
    for (const t of ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"]) {
      const id = this.byText.get(t);
      if (id !== undefined) this.attrs[id] = Attr.USER_DEFINED;
    }
    for (const name of ["eos", "eot", "eom"] as const) if (special[name] !== null) eog.add(special[name]!);
    // o200k_harmony / solar-open: "<|end|>" is not an end of generation there.
    const has = (t: string) => { const id = this.byText.get(t); return id !== undefined && eog.has(id); };
    const endId = this.byText.get("<|end|>");
    if (endId !== undefined && eog.has(endId) &&
      ((has("<|return|>") && (has("<|call|>") || has("<|calls|>"))) || (has("<|calls|>") || has("<|call|>")) && has("<|flush|>"))) {
      eog.delete(endId);
      this.attrs[endId] = Attr.USER_DEFINED;
    }
    const sId = this.byText.get("</s>");
    if (sId !== undefined && eog.has(sId) && has("<|tool_response>")) {
      eog.delete(sId);
      this.attrs[sId] = Attr.NORMAL;
    }
    return eog;
  }

  private specialCache(): number[] {
    const ids: number[] = [];
    const mask = Attr.CONTROL | Attr.USER_DEFINED | Attr.UNKNOWN;
    for (let id = 0; id < this.tokens.length; id++) if (this.attrs[id]! & mask) ids.push(id);
    const len = new Map(ids.map((id) => [id, utf8Length(this.tokens[id]!)]));
    return ids.sort((a, b) => len.get(b)! - len.get(a)! || a - b);
  }

  /** Per-model attribute fix-ups llama.cpp applies by model / tokenizer name. */
  private applyModelAttrs(modelName: string, pre: string, arch: string): void {
    const name = modelName.toLowerCase();
    const set = (text: string, attr: number, on: boolean) => {
      const id = this.byText.get(text);
      if (id !== undefined) this.attrs[id] = on ? this.attrs[id]! | attr : this.attrs[id]! & ~attr;
    };
    if (["jina-v2-de", "jina-v2-es", "jina-v2-code"].some((s) => pre.includes(s)) ||
      ["nomic-bert-moe", "jina-bert-v3"].some((s) => arch.includes(s))) {
      set("<mask>", Attr.LSTRIP, true);
    } else if (name.includes("phi-3") || name.includes("phi3")) {
      for (const id of this.specialTokens) this.attrs[id]! |= Attr.RSTRIP;
      set("</s>", Attr.RSTRIP, true);
      for (const t of ["<unk>", "<s>", "<|endoftext|>"]) set(t, Attr.RSTRIP, false);
    } else if (name.includes("modern-bert")) {
      set("[MASK]", Attr.LSTRIP, true);
    }
  }
}
