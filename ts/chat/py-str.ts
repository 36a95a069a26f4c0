/** Python's str() and repr() of jinja runtime values — what jinja2 prints for `{{ x }}`, `x|string`, `a ~ b`. */
import { pyFloatRepr, pyIntRepr } from "./py-float.ts";
import type { RuntimeValue } from "./runtime.ts";

/** Python's repr(str): single quotes unless the text has ' and no ", escapes for non-printables. */
export function pyStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (cp < 0x20 || cp === 0x7f || (cp !== 0x20 && /[\p{C}\p{Z}]/u.test(ch))) {
      out += cp <= 0xff ? "\\x" + cp.toString(16).padStart(2, "0")
        : cp <= 0xffff ? "\\u" + cp.toString(16).padStart(4, "0")
        : "\\U" + cp.toString(16).padStart(8, "0");
    } else out += ch;
  }
  return quote + out + quote;
}

export function pyRepr(v: RuntimeValue): string {
  switch (v.type) {
    case "StringValue":
      return pyStringRepr(v.value as string);
    case "UndefinedValue":
      return "Undefined";
    case "ArrayValue":
      return "[" + (v.value as RuntimeValue[]).map(pyRepr).join(", ") + "]";
    case "TupleValue": {
      const items = (v.value as RuntimeValue[]).map(pyRepr);
      return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
    }
    case "ObjectValue":
    case "KeywordArgumentsValue":
      return "{" + [...(v.value as Map<string, RuntimeValue>)].map(([k, x]) => `${pyStringRepr(k)}: ${pyRepr(x)}`).join(", ") + "}";
    case "NamespaceValue":
      return "<Namespace {" + [...(v.value as Map<string, RuntimeValue>)].map(([k, x]) => `${pyStringRepr(k)}: ${pyRepr(x)}`).join(", ") + "}>";
    default:
      return pyStr(v);
  }
}

export function pyStr(v: RuntimeValue): string {
  switch (v.type) {
    case "StringValue":
      return v.value as string;
    case "IntegerValue":
      return pyIntRepr(v.value as number);
    case "FloatValue":
      return pyFloatRepr(v.value as number);
    case "BooleanValue":
      return v.value ? "True" : "False";
    case "NullValue":
      return "None";
    case "UndefinedValue":
      return "";
    case "ArrayValue":
    case "TupleValue":
    case "ObjectValue":
    case "KeywordArgumentsValue":
    case "NamespaceValue":
      return pyRepr(v);
    default:
      return v.toString();
  }
}
