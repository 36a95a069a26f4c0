/**
 * How generation ends: end-of-generation tokens, stop strings across token boundaries, the token
 * budget, and text held back by the stop matcher or the UTF-8 decoder being released at the end.
 */
import { describe, expect, test } from "bun:test";
import { TokenEmitter } from "../../ts/generate/emitter.ts";
import { GgufFile } from "../../ts/gguf/index.ts";
import { DEMO_DRAFT } from "../../ts/model/demo.ts";
import { Tokenizer } from "../../ts/tokenizer/index.ts";
const demo = Tokenizer.fromGguf(GgufFile.open(DEMO_DRAFT));

describe("TokenEmitter", () => {
  const ids = demo.encode(" Go up, and tell me, and I will do all the words of the LORD.");

  test("stop strings across token boundaries end output before them", () => {
    const e = new TokenEmitter(demo, { maxTokens: 100, stop: ["ll do a"] });
    let text = "";
    for (const id of ids) {
      text += e.push(id);
      if (e.done) break;
    }
    text += e.finish("length");
    expect(text).toBe(" Go up, and tell me, and I wi");
    expect(e.finishReason).toBe("stop");
  });

  test("end-of-generation tokens end output (not emitted) unless ignored; the budget ends it too", () => {
    const eos = demo.eos!;
    const e = new TokenEmitter(demo, { maxTokens: 100 });
    for (const id of [ids[0]!, ids[1]!, eos, ids[2]!]) e.push(id);
    expect(e.tokens).toEqual([ids[0]!, ids[1]!]);
    expect(e.finishReason).toBe("stop");
    const budget = new TokenEmitter(demo, { maxTokens: 3, ignoreEos: true });
    for (const id of [eos, ...ids]) budget.push(id);
    expect(budget.tokens).toEqual([eos, ids[0]!, ids[1]!]);
    expect(budget.finishReason).toBe("length");
  });
});

describe("held-back text", () => {
  test("is released when an end-of-generation token ends output", () => {
    // " me" could be the start of the stop string "me, please": the emitter holds it back...
    const ids = demo.encode(" Go up, and tell me");
    const e = new TokenEmitter(demo, { maxTokens: 100, stop: ["me, please"] });
    let text = "";
    for (const id of ids) text += e.push(id);
    expect(text).toBe(" Go up, and tell ");
    // ...until EOS ends generation: then it is part of the output after all.
    text += e.push(demo.eos!);
    expect(e.finishReason).toBe("stop");
    text += e.finish("length");
    expect(text).toBe(" Go up, and tell me");
    expect(e.text).toBe(text);
  });
});
