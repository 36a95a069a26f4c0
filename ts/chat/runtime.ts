/**
 * Access to @huggingface/jinja's runtime values. The package exports only Template, Environment,
 * Interpreter, tokenize and parse, so values are recognised by their `type` tag and created through
 * Environment.set (which converts plain JS values).
 */
import { Environment, Interpreter } from "@huggingface/jinja";
import { PyFloat } from "./py-json.ts";

export type RuntimeValue = ReturnType<Interpreter["evaluate"]>;
export type Node = NonNullable<Parameters<Interpreter["evaluate"]>[0]>;

let scratch = new Environment();
let scratchCount = 0;

/** Converts a plain JS value (string, number, boolean, null, undefined, array, object, function) to a runtime value. */
export function toRuntime(value: unknown): RuntimeValue {
  if (++scratchCount > 10_000) {
    scratch = new Environment();
    scratchCount = 0;
  }
  return scratch.set(`v${scratchCount}`, value);
}

export const isType = (v: RuntimeValue, ...types: string[]): boolean => types.includes(v.type);
export const isUndefined = (v: RuntimeValue): boolean => v.type === "UndefinedValue";
export const isArrayLike = (v: RuntimeValue): boolean => v.type === "ArrayValue" || v.type === "TupleValue";
export const isMapping = (v: RuntimeValue): boolean => v.type === "ObjectValue" || v.type === "KeywordArgumentsValue";

/** Runtime value → plain JS for pyJsonDumps (floats wrapped in PyFloat, mappings as Maps). */
export function toPlain(v: RuntimeValue): unknown {
  switch (v.type) {
    case "IntegerValue":
    case "StringValue":
    case "BooleanValue":
      return v.value;
    case "FloatValue":
      return new PyFloat(v.value as number);
    case "NullValue":
      return null;
    case "UndefinedValue":
      return undefined;
    case "ArrayValue":
    case "TupleValue":
      return (v.value as RuntimeValue[]).map(toPlain);
    case "ObjectValue":
    case "KeywordArgumentsValue": {
      const out = new Map<string, unknown>();
      for (const [k, x] of v.value as Map<string, RuntimeValue>) out.set(k, toPlain(x));
      return out;
    }
    default:
      return v; // not serialisable: pyJsonDumps reports it
  }
}
