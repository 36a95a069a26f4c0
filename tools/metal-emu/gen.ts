/**
 * Turns shaders/*.metal (and the headers they include) into C++ translation units for the MSL
 * emulator: attributes are stripped, `threadgroup T name[N];` declared in a kernel body becomes
 * storage shared by the threadgroup, explicit `template [[host_name("x")]] kernel ...` instantiations
 * are removed, and every kernel (plain or instantiated) gets a launcher that binds [[buffer(i)]],
 * [[threadgroup(0)]] and the built-in thread ids, registered under its Metal name.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface KernelParam {
  /** The declaration without its attribute, e.g. "device const float * x". */
  decl: string;
  /** The attribute text, e.g. "buffer(2)" or "thread_index_in_simdgroup". */
  attribute: string;
}

export interface KernelDef {
  name: string;
  templated: boolean;
  params: KernelParam[];
}

export interface Instance {
  hostName: string;
  kernel: string;
  templateArgs: string;
}

const INSTANCE = /template\s*\[\[\s*host_name\(\s*"(\w+)"\s*\)\s*\]\]\s*kernel\s+\w+\s+(\w+)\s*<([^;]*)>\s*;/g;
const KERNEL = /(template\s*<[^>]*>\s*)?kernel\s+void\s+(\w+)\s*\(/g;
const ATTRIBUTE = /\[\[([^\]]*)\]\]/g;
const TG_DECL = /(?<=^|[;{}])(\s*)threadgroup\s+([A-Za-z_][\w:<>, ]*?)\s+([A-Za-z_]\w*)\s*((?:\[[^\]]+\])+)\s*;/gm;

/** Splits at commas outside brackets, parentheses and angle brackets. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if ("([<".includes(ch)) depth++;
    if (")]>".includes(ch)) depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out.map((p) => p.trim());
}

function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")" && --depth === 0) return i;
  }
  throw new Error(`unbalanced parentheses after offset ${open}`);
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, " ")).replace(/\/\/[^\n]*/g, "");
}

export function parseKernels(source: string): KernelDef[] {
  const text = stripComments(source);
  const defs: KernelDef[] = [];
  for (const m of text.matchAll(KERNEL)) {
    const open = m.index! + m[0].length - 1;
    const params = splitTopLevel(text.slice(open + 1, closingParen(text, open))).map((p) => {
      const attrs = [...p.matchAll(ATTRIBUTE)].map((a) => a[1]!.trim());
      return { decl: p.replace(ATTRIBUTE, "").trim(), attribute: attrs[0] ?? "" };
    });
    defs.push({ name: m[2]!, templated: m[1] !== undefined, params });
  }
  return defs;
}

export function parseInstances(source: string): Instance[] {
  return [...stripComments(source).matchAll(INSTANCE)].map((m) => ({ hostName: m[1]!, kernel: m[2]!, templateArgs: m[3]!.trim() }));
}

/** The shader text as C++: no instantiation lines, no attributes, shared threadgroup arrays. */
export function transformSource(source: string): string {
  return source
    .replace(INSTANCE, "")
    .replace(ATTRIBUTE, "")
    .replace(TG_DECL, (_m, lead: string, type: string, name: string, dims: string) =>
      `${lead}${type} (&${name})${dims} = *emu::tg_array<${type}${dims}>();`);
}

const BUILTINS: Record<string, string> = {
  thread_position_in_grid: "emu::Builtin{I.tgpig[0] * I.ntg[0] + I.tpitg[0], I.tgpig[1] * I.ntg[1] + I.tpitg[1], I.tgpig[2] * I.ntg[2] + I.tpitg[2]}",
  threadgroup_position_in_grid: "emu::Builtin{I.tgpig[0], I.tgpig[1], I.tgpig[2]}",
  thread_position_in_threadgroup: "emu::Builtin{I.tpitg[0], I.tpitg[1], I.tpitg[2]}",
  threads_per_threadgroup: "emu::Builtin{I.ntg[0], I.ntg[1], I.ntg[2]}",
  threadgroups_per_grid: "emu::Builtin{I.ngrid[0], I.ngrid[1], I.ngrid[2]}",
  threads_per_grid: "emu::Builtin{I.ngrid[0] * I.ntg[0], I.ngrid[1] * I.ntg[1], I.ngrid[2] * I.ntg[2]}",
  thread_index_in_threadgroup: "emu::Builtin{I.tid, 0, 0}",
  thread_index_in_simdgroup: "emu::Builtin{I.lane, 0, 0}",
  simdgroup_index_in_threadgroup: "emu::Builtin{I.simd, 0, 0}",
  simdgroups_per_threadgroup: "emu::Builtin{I.nsimd, 0, 0}",
  threads_per_simdgroup: "emu::Builtin{32, 0, 0}",
};

function argument(p: KernelParam, index: number, kernel: string): string {
  const buffer = /^buffer\((\d+)\)$/.exec(p.attribute);
  if (buffer) return `emu::buffer_arg<A::arg<${index}>>(L.buffers[${buffer[1]}])`;
  if (p.attribute === "threadgroup(0)") return `static_cast<A::arg<${index}>>(emu::tg_base())`;
  const builtin = BUILTINS[p.attribute];
  if (builtin) return builtin;
  throw new Error(`kernel ${kernel}: parameter '${p.decl}' has an attribute the emulator does not bind: [[${p.attribute}]]`);
}

function launcher(def: KernelDef, hostName: string, callee: string, id: number): string {
  const args = def.params.map((p, i) => argument(p, i, hostName));
  return [
    `static void emu_launch_${id}(const emu_launch &L, const emu::ThreadIds &I) {`,
    `  (void)L; (void)I;`,
    `  using A = emu::fn_traits<decltype(${callee})>;`,
    `  ${callee}(${args.join(",\n      ")});`,
    `}`,
    `static emu::Registrar emu_register_${id}("${hostName}", emu_launch_${id});`,
  ].join("\n");
}

export interface Generated {
  units: string[];
  kernels: string[];
}

/** Writes transformed copies of every shader file and one .cpp unit per .metal file into outDir. */
export function generate(shaderDir: string, outDir: string): Generated {
  mkdirSync(outDir, { recursive: true });
  const files = readdirSync(shaderDir).filter((f) => f.endsWith(".metal") || f.endsWith(".h")).sort();
  const defs = new Map<string, KernelDef>();
  const sources = new Map<string, string>();
  for (const f of files) {
    const src = readFileSync(join(shaderDir, f), "utf8");
    sources.set(f, src);
    for (const d of parseKernels(src)) {
      if (defs.has(d.name)) throw new Error(`kernel ${d.name} is defined twice (second time in ${f})`);
      defs.set(d.name, d);
    }
    writeFileSync(join(outDir, f), transformSource(src));
  }
  const units: string[] = [];
  const kernels: string[] = [];
  let id = 0;
  for (const f of files.filter((x) => x.endsWith(".metal"))) {
    const src = sources.get(f)!;
    const parts = [`// generated by tools/metal-emu/gen.ts from shaders/${f}: do not edit`, `#include <metal_stdlib>`, `#include "${f}"`, ``];
    for (const d of parseKernels(src).filter((k) => !k.templated)) {
      parts.push(launcher(d, d.name, d.name, id++));
      kernels.push(d.name);
    }
    for (const inst of parseInstances(src)) {
      const def = defs.get(inst.kernel);
      if (!def) throw new Error(`${f}: instance ${inst.hostName} names unknown kernel ${inst.kernel}`);
      parts.push(launcher(def, inst.hostName, `${inst.kernel}<${inst.templateArgs}>`, id++));
      kernels.push(inst.hostName);
    }
    const unit = join(outDir, f.replace(/\.metal$/, ".cpp"));
    writeFileSync(unit, parts.join("\n") + "\n");
    units.push(unit);
  }
  return { units, kernels };
}
