/**
 * The output file of `ingot batch` as an append-only journal. Each record is one complete line handed
 * to the OS in a single write as soon as it is finished, so killing the process loses only what was
 * still generating. Opening an existing file collects the keys already done and cuts off a torn last
 * line (a write interrupted by a power loss, say), so a rerun appends exactly the missing records.
 * A lock file next to the output keeps two runs from writing the same file at once.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, truncateSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { IngotError } from "../errors.ts";
import { recordKey } from "./items.ts";
import { isErrorRecord, type BatchRecord } from "./records.ts";

export interface JournalOptions {
  /** Drop the error records already in the file, so their items run again. */
  retryErrors?: boolean;
}

export class Journal {
  /** Keys (see recordKey) of the records in the file. */
  readonly done = new Set<string>();
  /** Records found in the file when it was opened (after dropping errors with retryErrors). */
  readonly existing: number;
  /** Lines of the file that were not records (e.g. edited by hand); left in place, ignored. */
  readonly unreadable: number;
  private fd: number | null;

  private constructor(readonly path: string, private readonly lockPath: string, opts: JournalOptions) {
    const { records, unreadable, completeBytes, tornBytes, dropped } = readJournal(path, opts.retryErrors ?? false);
    if (dropped > 0) rewrite(path, records); // also drops a torn last line
    else if (tornBytes > 0) truncateSync(path, completeBytes);
    for (const r of records) this.done.add(recordKey(r.id, (r as { line?: number }).line ?? 0));
    this.existing = records.length;
    this.unreadable = unreadable;
    this.fd = openSync(path, "a");
  }

  /** Opens (or creates) the journal at `path`, taking its lock. */
  static open(path: string, opts: JournalOptions = {}): Journal {
    const lockPath = `${path}.lock`;
    takeLock(lockPath);
    try {
      return new Journal(path, lockPath, opts);
    } catch (e) {
      unlinkSync(lockPath);
      throw e;
    }
  }

  has(key: string): boolean {
    return this.done.has(key);
  }

  /** Appends one record as one line, written before this returns. */
  append(record: BatchRecord): void {
    if (this.fd === null) throw new IngotError("BAD_ARGUMENT", "the batch output is closed");
    const bytes = Buffer.from(`${JSON.stringify(record)}\n`);
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off);
    this.done.add(recordKey(record.id, (record as { line?: number }).line ?? 0));
  }

  /** Flushes to disk and releases the lock. Idempotent. */
  close(): void {
    if (this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
    try { unlinkSync(this.lockPath); } catch { /* already gone */ }
  }
}

function readJournal(path: string, retryErrors: boolean) {
  const records: BatchRecord[] = [];
  let unreadable = 0, dropped = 0;
  if (!existsSync(path)) return { records, unreadable, completeBytes: 0, tornBytes: 0, dropped };
  const bytes = readFileSync(path);
  const end = bytes.lastIndexOf(0x0a) + 1; // everything after the last newline is a torn write
  const tornBytes = bytes.length - end;
  for (const line of bytes.subarray(0, end).toString("utf8").split("\n")) {
    if (!line.trim()) continue;
    let r: BatchRecord;
    try {
      r = JSON.parse(line) as BatchRecord;
    } catch {
      unreadable++;
      continue;
    }
    if (!r || typeof r !== "object" || !("id" in r)) {
      unreadable++;
      continue;
    }
    if (retryErrors && isErrorRecord(r)) {
      dropped++;
      continue;
    }
    records.push(r);
  }
  return { records, unreadable, completeBytes: end, tornBytes, dropped };
}

/** Replaces the file with `records` atomically (temp file + rename), so a kill mid-way loses nothing. */
function rewrite(path: string, records: BatchRecord[]): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
  const fd = openSync(tmp, "r");
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
}

function takeLock(lockPath: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number(readFileSync(lockPath, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new IngotError("BAD_ARGUMENT", `another ingot batch (pid ${pid}) is writing ${lockPath.slice(0, -5)}: wait for it or stop it`);
      }
      unlinkSync(lockPath); // left behind by a run that was killed
    }
  }
  throw new IngotError("BAD_ARGUMENT", `cannot take the lock ${lockPath}`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
