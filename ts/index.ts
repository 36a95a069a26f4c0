/**
 * ingot's library API: load a GGUF model, open sessions, stream generations, chat.
 *
 *   import { loadModel } from "ingot";
 *   using model = await loadModel("models/kjv-target-q4_k_m.gguf", { backend: "auto", threads: 2 });
 *   using session = model.createSession({ contextLength: 512 });
 *   const generation = session.generate("In the beginning", { temperature: 0, maxTokens: 32 });
 *   for await (const chunk of generation) process.stdout.write(chunk.text);
 *   const { finishReason, stats } = await generation.result;
 *
 * Every option object documents its defaults where it is defined; every object that holds native
 * memory has an idempotent `dispose()` (and `using` / `await using`), after which it throws
 * IngotError "DISPOSED". Errors are IngotError with a stable `code`.
 *
 * The second half of this file is the low-level layer the API is built on (GGUF files, tokenizer,
 * chat templates, models, inference contexts, sequences, samplers), for tools that need its control.
 */

// The API.
export { loadModel, IngotModel, type LoadModelOptions, type TokenizeOptions, type DetokenizeOptions } from "./api/model.ts";
export { Session, type SessionOptions } from "./api/session.ts";
export { ChatSession, type ChatSessionOptions, type ChatTurnStats, type ChatTranscript } from "./api/chat-session.ts";
export type {
  Generation, GenerateOptions, SpeculativeGenerateOptions, GenerationResult, GenerationChunk, GenerationStats, FinishReason, SpeculativeStats,
} from "./api/generation.ts";
export type { LookupOptions } from "./speculative/index.ts";
export { BACKENDS, type Backend, type ResolvedBackend } from "./engine/backend.ts";
export { IngotError, isIngotError, type IngotErrorCode } from "./errors.ts";
export type { ChatMessage } from "./chat/index.ts";
export type { SamplingOptions } from "./sampling/sampler.ts";
export { DEFAULT_SAMPLING } from "./sampling/sampler.ts";
export { DEMO_MODEL, DEMO_DRAFT } from "./model/demo.ts";

// The low-level layer.
export { GgufFile, GgmlType, encodeGguf, writeGguf, ggmlTypeInfo, type GgufTensorInfo, type GgufMetadataEntry } from "./gguf/index.ts";
export { Tokenizer } from "./tokenizer/index.ts";
export { ChatTemplate, chatTemplateFromGguf, type RenderOptions } from "./chat/index.ts";
export { Model, type ModelOptions } from "./model/model.ts";
export { readModelConfig, type ModelConfig } from "./model/config.ts";
export { describeGguf, type ModelDescription } from "./model/describe.ts";
export type { Batch, ContextOptions, InferenceContext } from "./engine/types.ts";
export { Sequence } from "./generate/sequence.ts";
export { generate } from "./generate/generate.ts";
export { perplexity, type PerplexityOptions, type PerplexityResult } from "./generate/perplexity.ts";
export { Sampler, type Distribution } from "./sampling/sampler.ts";
