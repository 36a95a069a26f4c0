/** Tokenizers built from GGUF metadata, matching llama.cpp (SentencePiece and byte-level BPE). */
export { Tokenizer, type EncodeOptions, type DecodeOptions } from "./tokenizer.ts";
export type { StreamDecoder } from "./stream-decoder.ts";
export { knownPreTokenizers } from "./pretokenize.ts";
