/** The global names transformers gives a chat template, plus jinja2's constants and range(). */
import { Environment } from "@huggingface/jinja";
import { TemplateRaise } from "./errors.ts";
import { strftime } from "./strftime.ts";

function range(...args: number[]): number[] {
  const nums = args.filter((a) => typeof a === "number");
  const [start, stop, step] = nums.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1];
  if (step === 0) throw new TemplateRaise("range() arg 3 must not be zero");
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

export function createEnvironment(now: () => Date): Environment {
  const env = new Environment();
  for (const [name, value] of [["true", true], ["false", false], ["none", null], ["True", true], ["False", false], ["None", null]] as const) {
    env.set(name, value);
  }
  env.set("range", range);
  env.set("raise_exception", (message: unknown) => {
    throw new TemplateRaise(String(message));
  });
  env.set("strftime_now", (format: unknown) => strftime(now(), String(format)));
  return env;
}
