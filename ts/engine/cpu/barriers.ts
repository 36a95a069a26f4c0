/**
 * Which CPU ops need a barrier before them. The executor runs every op on all workers; a barrier
 * between two ops is only needed when one could see the other's half-done work. Ops run back to back
 * without one when they touch disjoint buffers (the Q/K/V matmuls, gate/up), or when both are
 * row-local over the same row count: worker i handles the same token rows in each (the executor's
 * even split), reading and writing only those rows, so it depends on nothing another worker does
 * (RMSNORM then QUANTIZE, ROPE then KV_STORE, SWIGLU then QUANTIZE).
 */

/** What an op touches: named buffers ("x", "xq", "kv:3:k"...), and its row split if row-local. */
export interface Access {
  reads: readonly string[];
  writes: readonly string[];
  /** Set when the op touches only row t of every buffer for the token rows its worker owns. */
  rowLocal?: "tokens" | "outputs";
}

function overlaps(a: readonly string[], b: readonly string[]): boolean {
  return a.some((x) => b.includes(x));
}

function conflict(a: Access, b: Access): boolean {
  if (a.rowLocal !== undefined && a.rowLocal === b.rowLocal) return false;
  return overlaps(a.writes, b.reads) || overlaps(a.writes, b.writes) || overlaps(a.reads, b.writes);
}

/** Feeds ops in program order; tells for each whether a barrier must separate it from the ops before. */
export class BarrierPlanner {
  /** Ops since the last barrier: any of them may still be running on another worker. */
  private open: Access[] = [];

  needsBarrierBefore(op: Access): boolean {
    const barrier = this.open.some((prev) => conflict(prev, op));
    if (barrier) this.open = [];
    this.open.push(op);
    return barrier;
  }
}
