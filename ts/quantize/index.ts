/** Model quantization compatible with llama.cpp's llama-quantize. */
export { quantizeModel, type QuantizeOptions, type QuantizeProgress, type QuantizeSummary, type TensorFallback } from "./quantize.ts";
export { parseFileType, fileTypeNames, type FileType } from "./ftypes.ts";
export { readModelShape, type ModelShape } from "./model-shape.ts";
