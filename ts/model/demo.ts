/** The demo model pair committed in models/, so a fresh clone can generate without downloads. */
import { join } from "node:path";

const modelsDir = join(import.meta.dir, "..", "..", "models");

/** Target: a 22M-parameter Llama trained on the King James Bible, quantised Q4_K_M by llama.cpp. */
export const DEMO_MODEL = join(modelsDir, "kjv-target-q4_k_m.gguf");
/** Draft: a 3.6M-parameter model distilled from the target (same vocabulary), Q8_0. */
export const DEMO_DRAFT = join(modelsDir, "kjv-draft-q8_0.gguf");
