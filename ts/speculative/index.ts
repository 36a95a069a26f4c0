/** Speculative decoding: draft (model or prompt lookup), verify in one batch, accept exactly. */
export { Acceptor, probabilityOf } from "./acceptance.ts";
export { generateSpeculative, type SpeculativeOptions, type SpeculativeResult, type SpeculativeStats } from "./decoder.ts";
export { DraftBuffer } from "./draft-buffer.ts";
export { DraftLength, type DraftLengthOptions } from "./draft-length.ts";
export { LookupThenModelDrafter, type Drafter } from "./drafter.ts";
export { LookupDrafter, type LookupOptions } from "./lookup-drafter.ts";
export { ModelDrafter } from "./model-drafter.ts";
export { drain, SpeculativeRunner, type RunnerOptions } from "./runner.ts";
export { checkSameVocabulary } from "./vocabulary.ts";
export { speedupChartSvg } from "./speedup-chart.ts";
export { runSweep, type SweepOptions, type SweepRow } from "./sweep.ts";
