/** The GGUF layer: type tables, a bounds-checked zero-copy reader, and a llama.cpp-compatible writer. */
export {
  GgmlType, GgufValueType, ggmlTypeInfo, ggmlTypeFromName, tensorByteSize,
  GGUF_DEFAULT_ALIGNMENT, GGML_MAX_DIMS,
  type GgmlTypeInfo, type GgufScalar, type GgufArray, type GgufValue, type GgufMetadataEntry,
  type GgufTensorInfo, type GgufWriteTensor, type GgufWriteOptions,
} from "./types.ts";
export { GgufFile } from "./file.ts";
export { parseGguf, type ParsedGguf } from "./reader.ts";
export { encodeGguf, encodeGgufHeader, writeGguf, type EncodedHeader } from "./writer.ts";
export { MAX_ARRAY_DEPTH } from "./values.ts";
