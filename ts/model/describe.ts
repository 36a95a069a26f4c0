/**
 * A summary of a GGUF file for `ingot inspect` and the library: what model it is, how big, what it
 * stores. Works on vocabulary-only files too (no weights, possibly no architecture keys).
 */
import { statSync } from "node:fs";
import { GgmlType, ggmlTypeInfo, type GgufFile } from "../gguf/index.ts";

export interface ModelDescription {
  path: string;
  fileBytes: number;
  ggufVersion: number;
  name: string | null;
  architecture: string | null;
  parameters: number;
  tensorCount: number;
  /** Tensor count and bytes per ggml type name. */
  tensorTypes: Record<string, { tensors: number; bytes: number }>;
  contextLength: number | null;
  embeddingLength: number | null;
  layers: number | null;
  heads: number | null;
  kvHeads: number | null;
  feedForwardLength: number | null;
  ropeFreqBase: number | null;
  vocabulary: {
    model: string | null;
    pre: string | null;
    size: number;
    bos: { id: number; text: string } | null;
    eos: { id: number; text: string } | null;
    addBos: boolean | null;
    addEos: boolean | null;
    merges: number;
  };
  chatTemplate: string | null;
}

function typeName(type: GgmlType): string {
  try {
    return ggmlTypeInfo(type).name;
  } catch {
    return `type ${type}`;
  }
}

export function describeGguf(file: GgufFile): ModelDescription {
  const arch = file.getString("general.architecture") ?? null;
  const num = (suffix: string) => (arch ? file.getNumber(`${arch}.${suffix}`) ?? null : null);
  const tensorTypes: ModelDescription["tensorTypes"] = {};
  let parameters = 0;
  for (const t of file.tensors) {
    parameters += t.nElements;
    const entry = (tensorTypes[typeName(t.type)] ??= { tensors: 0, bytes: 0 });
    entry.tensors++;
    entry.bytes += t.byteSize;
  }
  const tokens = file.getStringArray("tokenizer.ggml.tokens") ?? [];
  const special = (key: string) => {
    const id = file.getNumber(key);
    return id !== undefined && id >= 0 && id < tokens.length ? { id, text: tokens[id]! } : null;
  };
  return {
    path: file.path,
    fileBytes: file.path ? statSync(file.path).size : file.fileSize,
    ggufVersion: file.version,
    name: file.getString("general.name") ?? null,
    architecture: arch,
    parameters,
    tensorCount: file.tensors.length,
    tensorTypes,
    contextLength: num("context_length"),
    embeddingLength: num("embedding_length"),
    layers: num("block_count"),
    heads: num("attention.head_count"),
    kvHeads: num("attention.head_count_kv"),
    feedForwardLength: num("feed_forward_length"),
    ropeFreqBase: num("rope.freq_base"),
    vocabulary: {
      model: file.getString("tokenizer.ggml.model") ?? null,
      pre: file.getString("tokenizer.ggml.pre") ?? null,
      size: tokens.length,
      bos: special("tokenizer.ggml.bos_token_id"),
      eos: special("tokenizer.ggml.eos_token_id"),
      addBos: file.getBool("tokenizer.ggml.add_bos_token") ?? null,
      addEos: file.getBool("tokenizer.ggml.add_eos_token") ?? null,
      merges: file.getStringArray("tokenizer.ggml.merges")?.length ?? 0,
    },
    chatTemplate: file.getString("tokenizer.chat_template") ?? null,
  };
}
