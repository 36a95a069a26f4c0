export { ChatTemplate } from "./template.ts";
export { ChatTemplateError } from "./errors.ts";
export { chatTemplateFromGguf } from "./gguf.ts";
export { strftime } from "./strftime.ts";
export { pyJsonDumps, PyFloat, type PyJsonOptions } from "./py-json.ts";
export type { ChatMessage, RenderOptions } from "./types.ts";
