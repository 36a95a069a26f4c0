/**
 * A loaded model: the memory-mapped GGUF file, its config, weights and tokenizer. Weights stay in the
 * mapping (zero copies); engines read them through the addresses this class hands out, so the
 * mapping must live as long as the model — the Model keeps the only reference the engine relies on.
 */
import { ptr } from "bun:ffi";
import { check, cpuLibrary } from "../engine/cpu/native.ts";
import { createContext, type Backend, type BackendContextOptions } from "../engine/backend.ts";
import { defaultThreads } from "../engine/cpu/engine.ts";
import type { InferenceContext } from "../engine/types.ts";
import { IngotError } from "../errors.ts";
import { GgufFile, ggmlTypeInfo, type GgufTensorInfo } from "../gguf/index.ts";
import { Tokenizer } from "../tokenizer/index.ts";
import { readModelConfig, type ModelConfig } from "./config.ts";
import { buildForwardGraph } from "./graph.ts";
import { locateWeights, type ModelWeights } from "./weights.ts";

export interface ModelOptions {
  /** Worker threads for the CPU engine (default: the physical cores). */
  threads?: number;
  /** Engine of this model's contexts (default "cpu"; "auto" = Metal on Apple Silicon when built). */
  backend?: Backend;
}

export class Model {
  readonly config: ModelConfig;
  readonly weights: ModelWeights;
  readonly tokenizer: Tokenizer;
  readonly threads: number;
  readonly backend: Backend;
  private readonly base: bigint;

  private constructor(readonly file: GgufFile, opts: ModelOptions) {
    this.config = readModelConfig(file);
    this.weights = locateWeights(file, this.config);
    this.tokenizer = Tokenizer.fromGguf(file);
    if (this.tokenizer.vocabSize !== this.config.vocabSize) {
      throw new IngotError("MODEL_BAD_METADATA", `vocabulary has ${this.tokenizer.vocabSize} tokens but the model expects ${this.config.vocabSize}`);
    }
    this.threads = opts.threads ?? defaultThreads();
    if (!Number.isInteger(this.threads) || this.threads < 1 || this.threads > 256) {
      throw new IngotError("BAD_ARGUMENT", `threads must be an integer in 1..256, got ${opts.threads}`);
    }
    this.backend = opts.backend ?? "cpu";
    this.base = BigInt(ptr(file.bytes));
    this.checkWeightTypes();
  }

  static load(path: string, opts: ModelOptions = {}): Model {
    return new Model(GgufFile.open(path), opts);
  }

  /** Fails at load, naming the tensor, when the engine has no kernel for a weight's type. */
  private checkWeightTypes(): void {
    const lib = cpuLibrary();
    for (const op of buildForwardGraph(this.config, this.weights)) {
      const t = op.op === "matmul" ? op.weight : op.op === "embed" ? op.table : null;
      if (t && Number(lib.ingot_cpu_row_bytes(t.type, t.dims[0]!)) < 0) {
        let name = `type ${t.type}`;
        try { name = ggmlTypeInfo(t.type).name; } catch { /* unknown id: keep the number */ }
        throw new IngotError("MODEL_UNSUPPORTED", `tensor '${t.name}' uses ${name}, which the CPU engine cannot run`);
      }
    }
  }

  tensorAddress(t: GgufTensorInfo): bigint {
    return this.base + BigInt(this.file.dataOffset + t.offset);
  }

  tensorBytes(t: GgufTensorInfo): Uint8Array {
    return this.file.tensorData(t);
  }

  vecDotType(type: number): number {
    return check(cpuLibrary().ingot_cpu_vec_dot_type(type), "vec_dot type");
  }

  createContext(opts: BackendContextOptions = {}): InferenceContext {
    return createContext(this, { backend: this.backend, ...opts });
  }
}
