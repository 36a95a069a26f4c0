/**
 * Finds the expression nodes whose values a template prints: the expressions that sit directly in a body
 * (`{{ x }}` and text), as opposed to sub-expressions. Python jinja2 prints those with str().
 */
import type { Node } from "./runtime.ts";

const STATEMENTS = new Set(["Program", "If", "For", "Break", "Continue", "Set", "Macro", "Comment", "CallStatement", "FilterStatement"]);
const BODIES = ["body", "alternate", "defaultBlock"];

export function findOutputNodes(program: Node): WeakSet<object> {
  const out = new WeakSet<object>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== "object") return;
    const n = node as Record<string, unknown>;
    for (const key of BODIES) {
      const body = n[key];
      if (!Array.isArray(body)) continue;
      for (const child of body) {
        if (child && typeof child === "object" && !STATEMENTS.has((child as { type: string }).type)) out.add(child);
        else visit(child);
      }
    }
  };
  visit(program);
  return out;
}
