/** An SVG line chart of speed-up against draft length, one line per temperature, a dashed 1× line. */
import type { SweepRow } from "./sweep.ts";

const W = 640, H = 400, LEFT = 60, RIGHT = 140, TOP = 40, BOTTOM = 50;
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

export function speedupChartSvg(rows: SweepRow[], title: string): string {
  const fixed = rows.filter((r): r is SweepRow & { draftLength: number } => r.draftLength !== "auto");
  const ks = [...new Set(fixed.map((r) => r.draftLength))].sort((a, b) => a - b);
  const temps = [...new Set(rows.map((r) => r.temperature))];
  const kMin = ks[0] ?? 0, kMax = Math.max(ks[ks.length - 1] ?? 1, kMin + 1);
  const yMax = Math.max(1.5, ...rows.map((r) => r.speedup)) * 1.1;
  const x = (k: number) => LEFT + ((k - kMin) / (kMax - kMin)) * (W - LEFT - RIGHT);
  const y = (s: number) => TOP + (1 - s / yMax) * (H - TOP - BOTTOM);
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<line x1="${LEFT}" y1="${y(0)}" x2="${W - RIGHT}" y2="${y(0)}" stroke="black"/>`,
    `<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${y(0)}" stroke="black"/>`,
    `<line x1="${LEFT}" y1="${y(1)}" x2="${W - RIGHT}" y2="${y(1)}" stroke="#888" stroke-dasharray="4 4"/>`,
    `<text x="${(LEFT + W - RIGHT) / 2}" y="${H - 12}" text-anchor="middle">draft length k</text>`,
    `<text x="16" y="${(TOP + H - BOTTOM) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(TOP + H - BOTTOM) / 2})">speed-up over plain decoding</text>`,
  ];
  for (const k of ks) out.push(`<text x="${x(k)}" y="${y(0) + 16}" text-anchor="middle">${k}</text>`);
  for (let s = 0; s <= yMax; s += 0.5) out.push(`<text x="${LEFT - 6}" y="${y(s) + 4}" text-anchor="end">${s.toFixed(1)}×</text>`);
  temps.forEach((t, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = fixed.filter((r) => r.temperature === t).sort((a, b) => a.draftLength - b.draftLength);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((r) => `${x(r.draftLength).toFixed(1)},${y(r.speedup).toFixed(1)}`).join(" ")}"/>`);
    for (const r of pts) out.push(`<circle cx="${x(r.draftLength).toFixed(1)}" cy="${y(r.speedup).toFixed(1)}" r="3" fill="${color}"/>`);
    const auto = rows.find((r) => r.temperature === t && r.draftLength === "auto");
    const label = `temp ${t}${auto ? ` (auto ${auto.speedup.toFixed(2)}×)` : ""}`;
    out.push(`<rect x="${W - RIGHT + 10}" y="${TOP + 18 * i}" width="12" height="3" fill="${color}"/>`);
    out.push(`<text x="${W - RIGHT + 26}" y="${TOP + 18 * i + 5}">${esc(label)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
