/** A draft model must speak the target's vocabulary token for token, or its drafts mean nothing. */
import { IngotError } from "../errors.ts";
import type { Tokenizer } from "../tokenizer/index.ts";

export function checkSameVocabulary(target: Tokenizer, draft: Tokenizer): void {
  const fix = "use a draft model trained with the target's tokenizer";
  if (target.vocabSize !== draft.vocabSize) {
    throw new IngotError("MODEL_MISMATCH", `the draft model has ${draft.vocabSize} tokens but the target has ${target.vocabSize}: ${fix}`);
  }
  for (let id = 0; id < target.vocabSize; id++) {
    if (target.token(id) !== draft.token(id)) {
      throw new IngotError(
        "MODEL_MISMATCH",
        `token ${id} is ${JSON.stringify(target.token(id))} in the target but ${JSON.stringify(draft.token(id))} in the draft: ${fix}`,
      );
    }
  }
}
