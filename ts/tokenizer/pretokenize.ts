/**
 * `tokenizer.ggml.pre` → how llama.cpp pre-tokenises a byte-level BPE vocabulary: its regex list and the
 * flags the same switch sets (clean-up of spaces when decoding, merges ignored for whole-word tokens,
 * BOS added by default). Names and aliases follow llama.cpp's llama-vocab.cpp.
 */
import { IngotError } from "../errors.ts";
import { GPT2_REGEX, LLAMA3_REGEX } from "./regex-split.ts";

export interface PreTokenizer {
  /** Canonical name of the pre-tokeniser family (llama.cpp's LLAMA_VOCAB_PRE_TYPE_*, lower-cased). */
  readonly type: string;
  readonly regexes: readonly string[];
  /** Decoding removes spaces before punctuation and contractions (clean_up_tokenization_spaces). */
  readonly cleanSpaces: boolean;
  /** A pre-token that is itself a vocabulary entry is emitted whole, without running merges. */
  readonly ignoreMerges: boolean;
  /** Default for add_bos when the GGUF does not say. */
  readonly addBos: boolean;
}

const R = {
  default: ["[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2_REGEX, "\\p{N}+", "[0-9][0-9][0-9]"],
  llama3: [LLAMA3_REGEX],
  // Escaped code points below are ones that Unicode normalisation (NFC) would silently change.
  deepseekLlm: [
    "[\r\n]",
    "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u1F7Dᾀ-ᾴᾶ-ᾼ\u1FBEῂ-ῄῆ-ῌῐ-\u1FD3ῖ-\u1FDBῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212A-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
    "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
    "\\s+$",
    "[一-龥ࠀ-一가-퟿]+",
    "\\p{N}+",
  ],
  deepseekCoder: ["[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[一-龥ࠀ-一가-퟿]+", "\\p{N}"],
  deepseekV3: [
    "\\p{N}{1,3}",
    "[一-龥぀-ゟ゠-ヿ]+",
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
  ],
  falcon: [
    "[\\p{P}\\$\\+<=>\\^~\\|`]+",
    GPT2_REGEX,
    "[0-9][0-9][0-9]",
  ],
  starcoder: ["\\p{N}", GPT2_REGEX],
  gpt2: [GPT2_REGEX],
  qwen2: [
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  ],
  qwen35: [
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  ],
  poro: [" ?[^(\\s|.,!?…。，、।۔،)]+"],
  viking: [" ?[^(\\s|.,!?…。，、।۔،)]+", "\\p{N}"],
  tekken: [
    "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  ],
  gpt4o: [
    "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  ],
  seedCoder: [
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  ],
} as const;

interface Entry {
  type: string;
  names: readonly string[];
  regexes: readonly string[];
  cleanSpaces?: boolean;
  ignoreMerges?: boolean;
  addBos?: boolean;
}

// cleanSpaces defaults to true (llama.cpp's default for BPE vocabularies) unless an entry says otherwise.
const TABLE: readonly Entry[] = [
  { type: "default", names: ["default", ""], regexes: R.default },
  {
    type: "llama3",
    names: ["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"],
    regexes: R.llama3, ignoreMerges: true, addBos: true,
  },
  { type: "dbrx", names: ["dbrx", "smaug-bpe"], regexes: R.llama3 },
  { type: "deepseek-llm", names: ["deepseek-llm"], regexes: R.deepseekLlm, cleanSpaces: false },
  { type: "deepseek-coder", names: ["deepseek-coder"], regexes: R.deepseekCoder, cleanSpaces: false },
  { type: "deepseek3-llm", names: ["deepseek-v3"], regexes: R.deepseekV3, cleanSpaces: false },
  { type: "falcon", names: ["falcon"], regexes: R.falcon },
  { type: "mpt", names: ["mpt"], regexes: R.gpt2 },
  { type: "starcoder", names: ["starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2"], regexes: R.starcoder },
  { type: "command-r", names: ["command-r", "smollm"], regexes: R.starcoder, cleanSpaces: false },
  {
    type: "gpt2",
    // "gpt-neox" is not a llama.cpp name; GPT-NeoX's tokenizer pre-tokenises exactly like GPT-2.
    names: ["gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
      "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe", "exaone4", "olmo", "jais", "gpt-neox"],
    regexes: R.gpt2,
  },
  { type: "gpt2", names: ["trillion", "granite-docling"], regexes: R.gpt2, cleanSpaces: false },
  {
    type: "qwen2",
    names: ["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "solar-open", "grok-2"],
    regexes: R.qwen2, cleanSpaces: false,
  },
  { type: "qwen2", names: ["stablelm2", "megrez"], regexes: R.qwen2 },
  { type: "qwen35", names: ["qwen35"], regexes: R.qwen35, cleanSpaces: false },
  { type: "poro", names: ["poro-chat"], regexes: R.poro, cleanSpaces: false },
  { type: "bloom", names: ["bloom", "gpt3-finnish"], regexes: R.poro },
  { type: "chatglm4", names: ["glm4", "chatglm-bpe"], regexes: R.llama3 },
  { type: "viking", names: ["viking"], regexes: R.viking, cleanSpaces: false },
  { type: "tekken", names: ["tekken"], regexes: R.tekken, cleanSpaces: false, ignoreMerges: true, addBos: true },
  { type: "gpt4o", names: ["gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"], regexes: R.gpt4o, cleanSpaces: false },
  { type: "seed-coder", names: ["seed-coder"], regexes: R.seedCoder, cleanSpaces: false },
];

const BY_NAME = new Map<string, PreTokenizer>();
for (const e of TABLE) {
  const pre: PreTokenizer = Object.freeze({
    type: e.type,
    regexes: e.regexes,
    cleanSpaces: e.cleanSpaces ?? true,
    ignoreMerges: e.ignoreMerges ?? false,
    addBos: e.addBos ?? false,
  });
  for (const n of e.names) BY_NAME.set(n, pre);
}

/** The pre-tokeniser llama.cpp uses for `tokenizer.ggml.pre` (missing → "default"). */
export function preTokenizerFor(name: string | undefined): PreTokenizer {
  const pre = BY_NAME.get(name ?? "");
  if (!pre) {
    throw new IngotError(
      "TOKENIZER_UNSUPPORTED",
      `unsupported pre-tokenizer '${name}' (tokenizer.ggml.pre); known: ${[...BY_NAME.keys()].filter(Boolean).join(", ")}`,
    );
  }
  return pre;
}

/** Names accepted for `tokenizer.ggml.pre`. */
export function knownPreTokenizers(): string[] {
  return [...BY_NAME.keys()].filter(Boolean);
}
