/**
 * Python's `json.dumps(x, ensure_ascii, indent, separators, sort_keys)` — what transformers' chat-template
 * `tojson` filter returns — over plain JS values: null, booleans, strings, numbers (integral numbers are
 * Python ints, others floats), `PyFloat` (a float even when integral), arrays, Maps and plain objects
 * (insertion order kept unless sortKeys).
 */
import { pyFloatRepr, pyIntRepr } from "./py-float.ts";

export class PyFloat {
  constructor(readonly value: number) {}
}

export interface PyJsonOptions {
  ensureAscii?: boolean;
  /** A number of spaces or an indent string; null/undefined = single line. 0 or "" still breaks lines. */
  indent?: number | string | null;
  separators?: [string, string] | null;
  sortKeys?: boolean;
}

export class PyJsonError extends Error {}

function escapeString(s: string, ensureAscii: boolean): string {
  const re = ensureAscii ? /[\\"]|[^ -~]/g : /[\\"\x00-\x1f]/g;
  const out = s.replace(re, (c) => {
    switch (c) {
      case "\\": return "\\\\";
      case '"': return '\\"';
      case "\n": return "\\n";
      case "\r": return "\\r";
      case "\t": return "\\t";
      case "\b": return "\\b";
      case "\f": return "\\f";
      default: return "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0");
    }
  });
  return `"${out}"`;
}

function floatJson(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  return pyFloatRepr(x);
}

/** Python compares str keys by code point; JS `<` compares UTF-16 units. */
function codePointCompare(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function entriesOf(v: object): [string, unknown][] {
  return v instanceof Map ? [...v.entries()].map(([k, x]) => [String(k), x]) : Object.entries(v);
}

export function pyJsonDumps(value: unknown, opts: PyJsonOptions = {}): string {
  const ensureAscii = opts.ensureAscii ?? false;
  const indent = opts.indent == null ? null : typeof opts.indent === "number" ? " ".repeat(opts.indent) : opts.indent;
  const [itemSep, keySep] = opts.separators ?? (indent !== null ? [",", ": "] : [", ", ": "]);

  const enc = (v: unknown, depth: number): string => {
    if (v === null) return "null";
    if (v === true) return "true";
    if (v === false) return "false";
    if (typeof v === "string") return escapeString(v, ensureAscii);
    if (typeof v === "number") return Number.isInteger(v) ? pyIntRepr(v) : floatJson(v);
    if (typeof v === "bigint") return v.toString();
    if (v instanceof PyFloat) return floatJson(v.value);
    const container = (open: string, close: string, items: string[]) => {
      if (items.length === 0) return open + close;
      if (indent === null) return open + items.join(itemSep) + close;
      const inner = "\n" + indent.repeat(depth + 1);
      return open + inner + items.join(itemSep + inner) + "\n" + indent.repeat(depth) + close;
    };
    if (Array.isArray(v)) return container("[", "]", v.map((x) => enc(x, depth + 1)));
    if (typeof v === "object" && (v instanceof Map || Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
      let entries = entriesOf(v);
      if (opts.sortKeys) entries = entries.sort(([a], [b]) => codePointCompare(a, b));
      return container("{", "}", entries.map(([k, x]) => escapeString(k, ensureAscii) + keySep + enc(x, depth + 1)));
    }
    const name = v === undefined ? "Undefined" : typeof v === "object" ? (v.constructor?.name ?? "object") : typeof v;
    throw new PyJsonError(`Object of type ${name} is not JSON serializable`);
  };
  return enc(value, 0);
}
