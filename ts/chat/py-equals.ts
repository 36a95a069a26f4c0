/** Python's `==` on jinja runtime values: deep for lists and dicts, no JS type coercion. */
import type { RuntimeValue } from "./runtime.ts";

const NUMERIC = new Set(["IntegerValue", "FloatValue", "BooleanValue"]);

export function pyEquals(a: RuntimeValue, b: RuntimeValue): boolean {
  if (NUMERIC.has(a.type) && NUMERIC.has(b.type)) return Number(a.value) === Number(b.value);
  const list = (t: string) => (t === "ArrayValue" ? "list" : t === "TupleValue" ? "tuple" : t);
  const map = (t: string) => (t === "KeywordArgumentsValue" ? "ObjectValue" : t);
  if (map(list(a.type)) !== map(list(b.type))) return false;
  switch (a.type) {
    case "StringValue":
      return a.value === b.value;
    case "NullValue":
    case "UndefinedValue":
      return true;
    case "ArrayValue":
    case "TupleValue": {
      const x = a.value as RuntimeValue[];
      const y = b.value as RuntimeValue[];
      return x.length === y.length && x.every((v, i) => pyEquals(v, y[i]));
    }
    case "ObjectValue":
    case "KeywordArgumentsValue": {
      const x = a.value as Map<string, RuntimeValue>;
      const y = b.value as Map<string, RuntimeValue>;
      if (x.size !== y.size) return false;
      for (const [k, v] of x) {
        const w = y.get(k);
        if (w === undefined || !pyEquals(v, w)) return false;
      }
      return true;
    }
    default:
      return a === b || a.value === b.value; // namespaces, functions: identity
  }
}
