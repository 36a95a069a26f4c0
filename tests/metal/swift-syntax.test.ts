/**
 * The Swift engine cannot be built here (no macOS), so CI checks what it can: every Swift file parses
 * (tree-sitter's Swift grammar), every call into an API the sources do not declare is listed in
 * tests/fixtures/metal/swift-apis.json — Metal ones with Apple's documentation page and a macOS
 * version no later than the package's macOS 14 — every function of ingot_metal.h is exported with
 * @_cdecl, and the microbenchmark's block table matches the kernel table.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { useModelTestTimeout } from "../timeouts.ts";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Language, Parser, type Node } from "web-tree-sitter";
import { WEIGHT_KERNELS } from "../../ts/engine/metal/kernel-table.ts";
import { repoRoot } from "../../ts/engine/metal/paths.ts";

// Builds the emulator on first use and runs models: bun resets the preload's timeout per file.
useModelTestTimeout();

const SWIFT_DIRS = ["Sources/IngotMetal", "Sources/ingot-metal"];
const files = [
  ...SWIFT_DIRS.flatMap((d) => readdirSync(join(repoRoot, d)).filter((f) => f.endsWith(".swift")).map((f) => join(repoRoot, d, f))),
  join(repoRoot, "Package.swift"),
];
const apis = JSON.parse(readFileSync(join(repoRoot, "tests/fixtures/metal/swift-apis.json"), "utf8")) as {
  metal: Record<string, { doc: string; macOS: string }>;
  platform: string[];
};

let parser: Parser;
beforeAll(async () => {
  await Parser.init();
  const wasm = join(repoRoot, "node_modules/@repomix/tree-sitter-wasms/out/tree-sitter-swift.wasm");
  parser = new Parser();
  parser.setLanguage(await Language.load(wasm));
});

function parse(source: string): Node {
  const tree = parser.parse(source);
  if (!tree) throw new Error("tree-sitter returned no tree");
  return tree.rootNode;
}

function errors(root: Node): string[] {
  const out: string[] = [];
  const walk = (n: Node) => {
    if (n.isError || n.isMissing) out.push(`${n.startPosition.row + 1}:${n.startPosition.column + 1} ${n.isMissing ? "missing" : "unexpected"} ${JSON.stringify(n.text.slice(0, 40))}`);
    for (const c of n.children) if (c) walk(c);
  };
  walk(root);
  return out;
}

const signature = (name: string, labels: (string | null)[]) => `${name}(${labels.map((l) => `${l ?? "_"}:`).join("")})`;
const known = (sig: string) => sig in apis.metal || apis.platform.includes(sig);

/** Calls to functions the file set does not declare, as Swift signatures `name(label:_:)`. */
function externalCalls(roots: Node[]): Map<string, string> {
  // names: types and enum cases (never API calls); locals: parameters and properties, called as plain names.
  const declared = new Set<string>(), names = new Set<string>(), locals = new Set<string>(), calls = new Map<string, string>();
  const visit = (n: Node, f: (n: Node) => void) => {
    f(n);
    for (const c of n.namedChildren) if (c) visit(c, f);
  };
  for (const root of roots) {
    visit(root, (n) => {
      if (n.type === "function_declaration") {
        const params = n.namedChildren.filter((c) => c?.type === "parameter");
        declared.add(signature(n.childForFieldName("name")!.text, params.map((p) => p!.childForFieldName("external_name")?.text ?? p!.childForFieldName("name")!.text)));
        for (const p of params) locals.add(p!.childForFieldName("name")!.text);
      }
      if (n.type === "class_declaration" || n.type === "enum_entry") names.add(n.childForFieldName("name")?.text ?? "");
      if (n.type === "property_declaration") for (const p of n.descendantsOfType("simple_identifier")) if (p?.parent?.type === "pattern") locals.add(p.text);
    });
  }
  for (const [i, root] of roots.entries()) {
    visit(root, (n) => {
      if (n.type !== "call_expression") return;
      const fn = n.child(0)!, suffix = n.child(1);
      if (!suffix || suffix.type !== "call_suffix" || /^\??\[/.test(suffix.text)) return; // subscripts
      const name = fn.type === "navigation_expression" ? fn.childForFieldName("suffix")?.childForFieldName("suffix")?.text : fn.type === "simple_identifier" ? fn.text : undefined;
      if (!name || names.has(name) || (fn.type === "simple_identifier" && locals.has(name)) || name === "defer") return;
      const args = suffix.namedChildren.find((c) => c?.type === "value_arguments");
      const labels = args ? args.namedChildren.filter((c) => c?.type === "value_argument").map((c) => c!.childForFieldName("name")?.text ?? null) : [];
      // A trailing closure is one more unlabelled argument, or the last labelled one (autoreleasepool(invoking:)).
      // (`try f(x) { }` parses as a call of the try expression with the closure as its suffix.)
      const outer = n.parent?.type === "try_expression" && n.parent.parent?.type === "call_expression" ? n.parent.parent.child(1) : null;
      const closure = [suffix, outer].some((s) => s?.namedChildren.some((c) => c?.type === "lambda_literal"));
      const forms = closure ? [signature(name, [...labels, null]), signature(name, labels)] : [signature(name, labels)];
      if (!forms.some((f) => declared.has(f))) calls.set(forms.find((f) => known(f)) ?? forms[0]!, `${files[i]}:${n.startPosition.row + 1}`);
    });
  }
  return calls;
}

describe("Swift sources", () => {
  test("every file parses without errors, and the parser does report a broken file", () => {
    for (const f of files) expect({ file: f, errors: errors(parse(readFileSync(f, "utf8"))) }).toEqual({ file: f, errors: [] });
    expect(errors(parse("func f( { let x = }")).length).toBeGreaterThan(0);
  });

  test("every external call is a listed API; Metal ones documented for macOS 14 or earlier", () => {
    const calls = externalCalls(files.map((f) => parse(readFileSync(f, "utf8"))));
    const platform = new Set(apis.platform);
    const unknown = [...calls].filter(([sig]) => !(sig in apis.metal) && !platform.has(sig)).map(([sig, at]) => `${sig} at ${at}`);
    expect(unknown).toEqual([]);
    const used = [...calls.keys()].filter((sig) => sig in apis.metal);
    expect(used.length).toBeGreaterThan(30);
    for (const sig of used) {
      const [major, minor] = apis.metal[sig]!.macOS.split(".").map(Number);
      expect(major! * 100 + minor!).toBeLessThanOrEqual(1400);
      expect(apis.metal[sig]!.doc).toStartWith("https://developer.apple.com/documentation/metal/");
    }
    // The listed Metal APIs are all still used (the list does not rot).
    expect(Object.keys(apis.metal).filter((sig) => !calls.has(sig))).toEqual([]);
  });

  test("every function of ingot_metal.h is exported with @_cdecl", () => {
    const header = readFileSync(join(repoRoot, "Sources/IngotMetalABI/include/ingot_metal.h"), "utf8");
    const declared = [...header.matchAll(/^(?:const\s+)?\w+\s*\*?\s*(ingot_metal_\w+)\(/gm)].map((m) => m[1]!).sort();
    const swift = SWIFT_DIRS.flatMap((d) => readdirSync(join(repoRoot, d)).map((f) => readFileSync(join(repoRoot, d, f), "utf8"))).join("\n");
    const exported = [...swift.matchAll(/@_cdecl\("(\w+)"\)/g)].map((m) => m[1]!).sort();
    expect(declared.length).toBe(17);
    expect(exported).toEqual(declared);
  });

  test("the microbenchmark's block table is the kernel table's", () => {
    const source = readFileSync(join(repoRoot, "Sources/ingot-metal/KernelBench.swift"), "utf8");
    const table = Object.fromEntries([...source.matchAll(/"(\w+)": \((\d+), (\d+)\)/g)].map((m) => [m[1]!, [Number(m[2]), Number(m[3])]]));
    expect(table).toEqual(Object.fromEntries(WEIGHT_KERNELS.map((w) => [w.suffix, [w.block, w.bytes]])));
  });
});
