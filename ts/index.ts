/**
 * ingot's library API. Everything here is typed and documented at its definition.
 *
 *   import { Model, Sequence, generate } from "ingot";
 *   const model = Model.load("models/kjv-target-q4_k_m.gguf");
 *   using ctx = model.createContext({ contextLength: 512 });
 *   const run = generate(model.tokenizer, new Sequence(ctx), model.tokenizer.encode("In the beginning"), { temperature: 0 });
 */
export { IngotError, isIngotError, type IngotErrorCode } from "./errors.ts";
export { GgufFile, GgmlType, encodeGguf, writeGguf, ggmlTypeInfo, type GgufTensorInfo, type GgufMetadataEntry } from "./gguf/index.ts";
export { Tokenizer } from "./tokenizer/index.ts";
export { ChatTemplate, chatTemplateFromGguf, type ChatMessage, type RenderOptions } from "./chat/index.ts";
export { Model, type ModelOptions } from "./model/model.ts";
export { readModelConfig, type ModelConfig } from "./model/config.ts";
export { describeGguf, type ModelDescription } from "./model/describe.ts";
export { DEMO_MODEL, DEMO_DRAFT } from "./model/demo.ts";
export type { Batch, ContextOptions, InferenceContext } from "./engine/types.ts";
export { Sequence } from "./generate/sequence.ts";
export { generate, type GenerateOptions, type GenerationResult, type GenerationChunk, type FinishReason } from "./generate/generate.ts";
export { perplexity, type PerplexityOptions, type PerplexityResult } from "./generate/perplexity.ts";
export { Sampler, DEFAULT_SAMPLING, type SamplingOptions, type Distribution } from "./sampling/sampler.ts";
